"""The app a simulated phone calls (with every provider's credentials and a missed-call line), the provider's way to
it (through its public URL, as the proxy in front of the gateway delivers it), and the phones."""
from dataclasses import replace
from urllib.parse import urlsplit

import pytest

from gateway import create_app
from simulator.voice import PLIVO, TWILIO, VoicePhone
from tests.conftest import SEED_DAY
from tests.simulator.calls import AT_TOKEN, AUTH, CALLER, MISSED_CALL_LINE, PLIVO_AUTH, PLIVO_ID, PUBLIC


@pytest.fixture
def voice_app(settings, backends):
    app = create_app(replace(settings, twilio_auth_token=AUTH, public_base_url=PUBLIC, at_webhook_token=AT_TOKEN,
                             plivo_auth_id=PLIVO_ID, plivo_auth_token=PLIVO_AUTH,
                             missed_call_numbers=frozenset({MISSED_CALL_LINE})),
                     backends=backends, today=lambda: SEED_DAY)
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def transport(voice_app):
    """Deliver what the provider posts to its public URL to the app, as the proxy in front of it would."""
    client = voice_app.test_client()

    def post(url, form, headers):
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == PUBLIC, f"the provider was sent off the public URL: {url}"
        response = client.post(parts.path + (f"?{parts.query}" if parts.query else ""), data=form, headers=headers)
        return response.status_code, response.get_data(as_text=True)
    return post


@pytest.fixture
def phone(transport):
    def make(provider=TWILIO, caller=CALLER, **overrides):
        options = dict(post=transport, provider=provider, phone=caller, base_url=PUBLIC,
                       auth_token=PLIVO_AUTH if provider == PLIVO else AUTH, auth_id=PLIVO_ID, token=AT_TOKEN)
        return VoicePhone(**{**options, **overrides})
    return make
