"""Every screen of every flow, in every language, on Latin-only and on UCS-2 networks, fits the screen limit of its
encoding; and a Latin-only network never gets a character outside GSM-7 (no Devanagari, no ₹).

The crawler presses every option on every screen it reaches (the first, second and last of long computed lists,
and "98" for more pages). To branch cheaply it snapshots the caller's Redis key and restores it, instead of
dialling again for every path.
"""
import pytest

from dialogs.flows import farmer_dialog
from dialogs.encoding import GSM7, screen_units

LATIN_NETWORK, UCS2_NETWORK = "40445", "40410"
NEVER_PRESS = {("account_delete", "1")}  # erasing the farmer would end the crawl of everything after it
TYPED = {"alert_amount": ("2500", "1200")}  # screens that ask for words: what a farmer types there (a rise, a fall)


@pytest.fixture
def booted(make_service):
    """The app of these tests has one network configured as able to show Devanagari on USSD."""
    return make_service(ussd_ucs2_networks=frozenset({UCS2_NETWORK}))


@pytest.fixture
def ucs2_app(app):
    return app


def _options(screen_text: str) -> list[str]:
    keys = [line.split(" ", 1)[0] for line in screen_text.splitlines()]
    return [k for k in keys if k.isdigit() and k not in ("0", "00", "98", "99")]


def crawl(app, phone, first_inputs=()):
    store = app.extensions["kheti_conversations"].ussd_sessions
    limits = app.extensions["kheti"].settings
    seen_screens, checked = set(), 0
    phone.dial()
    for press in first_inputs:
        phone.press(press)

    def check(text):
        nonlocal checked
        encoding, units = screen_units(text)
        limit = limits.ussd_max_chars if encoding == GSM7 else limits.ussd_ucs2_max_chars
        assert units <= limit, f"{units} {encoding} characters (limit {limit}):\n{text}"
        if phone.network_code == LATIN_NETWORK:
            assert encoding == GSM7, f"a Latin-only network got UCS-2 text:\n{text}"
        checked += 1

    def explore(visited_pages: set, depth: int):
        stored = store.load(phone.phone)
        sid, page = stored.session.screen, stored.session.page
        seen_screens.add(sid)
        if (sid, page) in visited_pages or depth > 12 or phone.ended:
            return
        visited_pages.add((sid, page))
        snapshot, inputs, screen = store.client.get(store.key(phone.phone)), list(phone.inputs), phone.screen
        options = _options(screen)
        tries = options if len(options) <= 8 else options[:2] + options[-1:]
        tries = list(TYPED.get(sid, tries))
        if "98 " in screen or screen.rstrip().endswith("98") or "\n98 " in screen:
            tries = tries + ["98"]
        if "\n99 " in screen:
            tries = tries + ["99"]
        for key in tries:
            if (sid, key) in NEVER_PRESS:
                continue
            check(phone.press(key))
            explore(visited_pages, depth + 1)
            store.client.set(store.key(phone.phone), snapshot)  # back to this screen for the next branch
            phone.inputs, phone.screen, phone.ended = list(inputs), screen, False

    check(phone.screen)
    explore(set(), 0)
    return seen_screens, checked


@pytest.mark.parametrize("network", [LATIN_NETWORK, UCS2_NETWORK])
@pytest.mark.parametrize("locale", ["en", "hi", "mr"])
def test_every_screen_fits_for_a_registered_farmer(ucs2_app, ussd, register_farmer, locale, network):
    register_farmer(locale=locale)
    seen, checked = crawl(ucs2_app, ussd(network=network))
    expected = set(farmer_dialog().screens) - {"language", "reg_name", "reg_state", "reg_district", "reg_crops",
                                               "reg_consent", "reg_declined", "resume", "account_deleted",
                                               "expert_question", "expert_answer",  # voice only: a recorded question
                                               "alerts_full", "alert_cancelled"}  # deeper: the test below
    # expert_answer is the voice line's: an answer read out (on USSD the farmer has it by SMS)
    assert expected <= seen, f"never reached: {sorted(expected - seen)}"
    assert checked > 100


@pytest.mark.parametrize("network", [LATIN_NETWORK, UCS2_NETWORK])
@pytest.mark.parametrize("language_key", ["1", "2", "3"])
def test_every_registration_screen_fits(ucs2_app, ussd, language_key, network):
    phone = ussd("+919812399999", network=network)
    seen, _ = crawl(ucs2_app, phone, first_inputs=[language_key, "Kamala Devi", "21", "nashik", "6"])
    assert {"reg_crops", "reg_consent", "reg_declined", "main"} <= seen


@pytest.mark.parametrize("network", [LATIN_NETWORK, UCS2_NETWORK])
@pytest.mark.parametrize("locale", ["en", "hi", "mr"])
def test_every_screen_fits_for_a_farmer_in_the_district_with_the_longest_name(ucs2_app, ussd, register_farmer, db,
                                                                              locale, network):
    """Weather, prices and the account name the farmer's district: the longest name in each language must fit too
    (Devanagari goes as UCS-2: 80 characters a screen)."""
    from sqlalchemy import select

    from farmdb.models import District
    longest = max(db.scalars(select(District)), key=lambda d: (len(d.names[locale]), d.name))
    register_farmer(locale=locale, district=longest.name)
    _, checked = crawl(ucs2_app, ussd(network=network))
    assert checked > 100


@pytest.mark.parametrize("network", [LATIN_NETWORK, UCS2_NETWORK])
@pytest.mark.parametrize("locale", ["en", "hi", "mr"])
def test_every_price_alert_screen_fits_with_five_long_alerts(ucs2_app, ussd, register_farmer, db, locale, network):
    """Five alerts (the most a farmer may have) on the crops and mandis with the longest names: the list, the
    "you have five" screen and the cancel question still fit."""
    from datetime import date, timedelta

    from sqlalchemy import select

    from dialogs.flows.price_alerts import MAX_ALERTS
    from farmdb.models import Crop, Mandi, PriceAlert

    farmer = register_farmer(locale=locale)
    crops = sorted(db.scalars(select(Crop)), key=lambda c: -len(c.names[locale]))[:MAX_ALERTS]
    mandi = max(db.scalars(select(Mandi)), key=lambda m: len(m.names.get(locale, m.name)))
    db.add_all(PriceAlert(farmer_id=farmer, crop_id=crop.id, mandi_id=mandi.id, direction="below", amount=125_000,
                          channel="ussd", expires_on=date.today() + timedelta(days=90), armed=True, times_sent=0)
               for crop in crops)
    db.commit()
    seen, checked = crawl(ucs2_app, ussd(network=network), first_inputs=["2"])
    assert {"alert_mandi", "alerts_full", "alerts", "alert_cancel", "alert_cancelled"} <= seen
