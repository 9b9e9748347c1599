"""The app as Plivo reaches it: PLIVO_AUTH_TOKEN set, behind a proxy (PUBLIC_BASE_URL), one missed-call line; and
Plivo's REST API answered by `responses` for what the app sends it (call-backs, replies)."""
from dataclasses import replace

import pytest
import responses

from gateway import create_app
from service.routing import parse_routes
from tests.conftest import SEED_DAY
from tests.gateway.plivo.payloads import AUTH_ID, MISSED_LINE, PUBLIC, TOKEN, VOICE_NUMBER

CALL_URL = f"https://api.plivo.com/v1/Account/{AUTH_ID}/Call/"
MESSAGE_URL = f"https://api.plivo.com/v1/Account/{AUTH_ID}/Message/"


@pytest.fixture
def plivo_settings(settings):
    return replace(settings, plivo_auth_id=AUTH_ID, plivo_auth_token=TOKEN, plivo_from="KHETIS",
                   plivo_voice_number=VOICE_NUMBER, public_base_url=PUBLIC,
                   missed_call_numbers=frozenset({f"+{MISSED_LINE}"}), callback_period=3600)


@pytest.fixture
def plivo_app(plivo_settings, backends):
    app = create_app(plivo_settings, backends=backends, today=lambda: SEED_DAY)  # its tasks run in-process
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def india_by_plivo(plivo_settings, backends):
    """The app with +91 routed to Plivo (PROVIDER_ROUTES): replies to Indian numbers go out through Plivo's API."""
    app = create_app(replace(plivo_settings, provider_routes=parse_routes("+91=plivo")), backends=backends,
                     today=lambda: SEED_DAY)
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps
