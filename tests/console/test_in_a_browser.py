"""The console in a real browser (Playwright driving Debian's chromium, never a downloaded one): what a person does,
through the pages, the forms and the live SMS count, against a live server on the test database.

`make screenshots` also saves the desk, a ticket and a farmer's page into docs/ for the README."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from dialogs.texts import texts
from farmdb.models import AuditEvent, ExpertRequest, OutboundMessage
from tests.console.conftest import PASSWORD

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (make install does)")
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
# On a laptop without a browser these skip, saying why; in CI (which installs chromium) a missing one fails.
pytestmark = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                                reason="no chromium here: apt-get install chromium (CI does)")
DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def shots(tmp_path):
    """Where screenshots go: docs/ under `make screenshots`, otherwise the test's own folder."""
    folder = DOCS if os.environ.get("KHETI_SCREENSHOTS") == "docs" else tmp_path
    return lambda page, name: page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _sign_in(browser, base: str, username: str, password: str = PASSWORD):
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.goto(f"{base}/console/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button:has-text('Sign in')")
    return page


def test_a_pest_report_walked_on_ussd_is_answered_from_the_desk(browser, live_server, operator, register_farmer,
                                                                 ussd, db, shots):
    operator("admin", "admin", name="Anita Rao", must_change=True, password="abcd-efgh-jkmn-pqrs")
    operator("meera", "agronomist", name="Meera Kulkarni")
    register_farmer(locale="hi", name="Ramesh Patil")
    phone = ussd()
    for press in (None, "4", "1", "2"):  # a pest report: soybean, holes in the leaves
        phone.dial() if press is None else phone.press(press)
    number = db.scalar(select(ExpertRequest.ticket))

    # The admin's first sign-in: the one-time password must be changed before anything else.
    admin = _sign_in(browser, live_server, "admin", "abcd-efgh-jkmn-pqrs")
    sync_api.expect(admin).to_have_url(f"{live_server}/console/password")
    admin.fill("#current", "abcd-efgh-jkmn-pqrs")
    admin.fill("#new", "a new pass phrase for anita")
    admin.fill("#repeat", "a new pass phrase for anita")
    admin.click("button:has-text('Change password')")
    sync_api.expect(admin.locator(".flash")).to_have_text("Password changed.")

    # The agronomist finds it on the desk, takes it and answers in Hindi, watching the count.
    desk = _sign_in(browser, live_server, "meera")
    sync_api.expect(desk).to_have_url(f"{live_server}/console/desk")
    row = desk.locator("tr", has=desk.locator(f"a:text-is('{number}')"))
    sync_api.expect(row).to_contain_text("Ramesh Patil")
    sync_api.expect(row).to_contain_text("Hindi")
    shots(desk, "console-desk")
    row.locator(f"a:text-is('{number}')").click()
    desk.click("button:has-text('Take it')")
    sync_api.expect(desk.locator("dl.facts")).to_contain_text("Meera Kulkarni")
    answer = "पत्तों पर नीम का तेल छिड़कें, 5 मिली प्रति लीटर पानी में।"
    desk.fill("#text", answer)
    sync_api.expect(desk.locator(".count")).to_contain_text(f"{len(answer)} of 480 characters")
    sync_api.expect(desk.locator(".count")).to_contain_text("UCS-2")
    sync_api.expect(desk.locator(".count")).to_contain_text("2 SMS")  # with the words it opens with
    shots(desk, "console-ticket")
    desk.click("button:has-text('Send by SMS')")
    sync_api.expect(desk.locator(".flash")).to_have_text("The answer is on its way to the farmer by SMS.")

    db.rollback()  # a fresh look: SQLite keeps a read transaction's snapshot
    sms = db.scalar(select(OutboundMessage).where(OutboundMessage.purpose == "ticket_answer"))
    assert sms.body == texts("hi", latin=False)("ticket.answer_sms", ticket=number, answer=answer)

    # The admin reads it in the audit log, and looks at the farmer.
    admin.goto(f"{live_server}/console/audit?actor=meera")
    sync_api.expect(admin.locator("table.audit")).to_contain_text("ticket answered")
    sync_api.expect(admin.locator("table.audit")).to_contain_text(number)
    admin.goto(f"{live_server}/console/farmers")
    admin.click("a:has-text('+91******5678')")
    sync_api.expect(admin.locator("h1")).to_contain_text("Ramesh Patil")
    sync_api.expect(admin.locator("table.timeline")).to_contain_text("sms out")
    shots(admin, "console-farmer")
    db.rollback()
    actions = set(db.scalars(select(AuditEvent.action)))
    assert {"login", "password_changed", "ticket_claimed", "ticket_answered"} <= actions


def test_a_viewer_sees_the_ticket_but_cannot_answer_it(browser, live_server, operator, ticket):
    number = ticket(description="पत्तियाँ पीली पड़ रही हैं", locale="hi")
    operator("guest", "viewer")
    page = _sign_in(browser, live_server, "guest")
    page.goto(f"{live_server}/console/tickets/{number}")
    sync_api.expect(page.locator("blockquote.farmer-text")).to_have_text("पत्तियाँ पीली पड़ रही हैं")
    assert page.locator("text=Send by SMS").count() == 0 and page.locator("#text").count() == 0
    sync_api.expect(page.locator("nav")).not_to_contain_text("Operators")


def test_on_a_phone_the_desk_is_one_column(browser, live_server, operator, ticket, shots):
    ticket()
    operator("meera", "agronomist")
    page = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True).new_page()
    page.goto(f"{live_server}/console/login")
    page.fill("#username", "meera")
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    sync_api.expect(page.locator("table")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing to scroll sideways
    shots(page, "console-desk-phone")
