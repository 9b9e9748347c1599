"""The console's feature phone in a real browser (Debian's chromium through Playwright): an agronomist dials the
service code on the keypad, walks the registration and reads a price, as a farmer would on their handset."""
from __future__ import annotations

from sqlalchemy import select

from dialogs.texts import texts
from farmdb.models import Farmer, UssdSession
from tests.console.test_in_a_browser import _sign_in, browser, pytestmark, shots, sync_api  # noqa: F401

STEPS = ("1", "Sunita Shinde", "maharashtra", "nasik", "6", "99", "1", "2", "1")  # ... onion, consent, prices, onion


def test_the_phone_walks_registration_and_shows_a_price(browser, live_server, operator, db, shots):  # noqa: F811
    operator("meera", "agronomist", name="Meera Kulkarni")
    page = _sign_in(browser, live_server, "meera")
    page.goto(f"{live_server}/console/phone")
    screen = page.locator("#phone-screen")
    for key in "*384*123#":  # dialled on the keypad
        page.click(f"button.key[data-key='{key}']")
    sync_api.expect(page.locator("#phone-words")).to_have_value("*384*123#")
    page.click("#phone-call")
    sync_api.expect(screen).to_contain_text("1 English")
    sync_api.expect(page.locator("#phone-posted")).to_contain_text("serviceCode=*384*123#")
    T = texts("en", latin=True)
    for words in STEPS:
        before = screen.text_content()
        page.fill("#phone-words", words)
        page.click("#phone-call")
        sync_api.expect(screen).not_to_have_text(before)
    sync_api.expect(screen).to_contain_text(T("prices.title", crop="Onion"))
    sync_api.expect(screen).to_contain_text("Rs ")
    sync_api.expect(page.locator("#phone-posted")).to_contain_text("text=" + "*".join(STEPS))
    sync_api.expect(page.locator("#phone-length")).to_contain_text("/ 182")
    sync_api.expect(page.locator("#phone-encoding")).to_contain_text("GSM-7")
    shown = screen.text_content()
    assert page.locator("#phone-length").text_content().startswith(f"{len(shown.strip())} / 182")
    shots(page, "phone")
    db.rollback()  # a fresh look: SQLite keeps a read transaction's snapshot
    assert db.scalar(select(Farmer.name).where(Farmer.phone.like("+9199999%"))) == "Sunita Shinde"

    # Hung up on the prices: Africa's Talking's end-of-session report, as a handset's would be, then the dashboard
    # counts the session and where it was left, and its log shows every screen.
    page.click("#phone-end")
    sync_api.expect(screen).to_contain_text("ended")
    db.rollback()
    ended = db.scalar(select(UssdSession))
    assert (ended.status, ended.exit_screen, ended.hops) == ("Incomplete", "prices", len(STEPS) + 1)
    assert [step["s"] for step in ended.steps][-1] == "prices" and ended.steps[0]["s"] == "language"
    page.click("nav a:has-text('Dashboard')")
    sync_api.expect(page.locator(".figure").first).to_contain_text("1")
    sync_api.expect(page.locator("main")).to_contain_text("prices")  # where farmers drop off
    shots(page, "console-dashboard")
    page.goto(f"{live_server}/console/sessions/ussd/{ended.session_id}")
    sync_api.expect(page.locator("table")).to_contain_text("Sunita Shinde")
    sync_api.expect(page.locator("table")).to_contain_text("reg_name")
    shots(page, "console-session-log")


def test_an_sms_from_the_phone_gets_its_answer_in_the_inbox(browser, live_server, operator):  # noqa: F811
    operator("meera", "agronomist")
    page = _sign_in(browser, live_server, "meera")
    page.goto(f"{live_server}/console/phone")
    page.click("button.mode[data-mode='sms']")
    page.fill("#phone-words", "kanda bhav")
    page.click("#phone-call")
    inbox = page.locator("#phone-inbox")
    sync_api.expect(inbox.locator("tr.sent")).to_contain_text("kanda bhav")
    sync_api.expect(inbox.locator("tr.received").last).to_contain_text("simulated phone: shown in the console")
