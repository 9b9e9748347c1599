"""Broadcasts in a real browser (Debian's chromium): an agronomist composes one to a district, watches the audience
count follow the builder and the live count of each language, previews, confirms, and watches the progress reach
the end (console sender, in-process tasks); one scheduled for tomorrow is cancelled. Screenshots for docs/."""
from __future__ import annotations

from sqlalchemy import select

from farmdb.models import Broadcast, OutboundMessage
from tests.console.test_in_a_browser import CHROMIUM, DOCS, _sign_in, browser, pytestmark, shots, sync_api  # noqa: F401


def test_a_broadcast_composed_sent_watched_and_another_cancelled(browser, live_server, operator,  # noqa: F811
                                                                  register_farmer, db, shots, clock):  # noqa: F811
    operator("meera", "agronomist", name="Meera Kulkarni")
    register_farmer(phone="+919800000001", locale="mr", district="Nashik", crops=("cotton",))
    register_farmer(phone="+919800000002", locale="hi", district="Nashik", crops=("cotton",))
    register_farmer(phone="+919800000003", locale="mr", district="Pune", crops=("cotton",))
    page = _sign_in(browser, live_server, "meera")
    page.click("nav a:has-text('Broadcasts')")
    page.click("a:has-text('New broadcast')")
    page.fill("#title", "Pink bollworm traps")
    page.fill("#text_hi", "गुलाबी सुंडी दिखी है: अभी फेरोमोन ट्रैप लगाएं।")
    sync_api.expect(page.locator('[data-count-for="text_hi"]')).to_contain_text("UCS-2")
    sync_api.expect(page.locator('[data-count-for="text_hi"]')).to_contain_text("DLT template")
    page.fill("#text_mr", "गुलाबी बोंडअळी दिसली आहे: आत्ताच फेरोमोन सापळे लावा.")
    page.select_option("#crop", "cotton")
    sync_api.expect(page.locator("p.audience")).to_contain_text("3 farmers")
    page.fill("#district", "Nashik")
    sync_api.expect(page.locator("p.audience")).to_contain_text("2 farmers")
    page.fill("#district", "Satara")
    sync_api.expect(page.locator("p.audience")).to_contain_text("Nobody: no such farmer in this district")
    page.fill("#district", "Nashik")
    sync_api.expect(page.locator("p.audience")).to_contain_text("2 farmers")
    shots(page, "console-broadcast-new")
    page.click("button:has-text('Preview')")
    sync_api.expect(page.locator("p.summary")).to_contain_text("2 farmers")
    sync_api.expect(page.locator("table")).to_contain_text("आत्ताच फेरोमोन सापळे लावा")
    shots(page, "console-broadcast-confirm")
    page.click("button:has-text('Send to 2 farmers')")
    sync_api.expect(page.locator(".flash")).to_have_text("Broadcast made.")
    sync_api.expect(page.locator('[data-count="sent"]')).to_have_text("2")
    sync_api.expect(page.locator("[data-field=state]")).to_have_text("finished")
    shots(page, "console-broadcast")
    db.rollback()
    assert {m.status for m in db.scalars(select(OutboundMessage))} == {"sent"}

    # One for tomorrow morning, cancelled before it starts.
    page.goto(f"{live_server}/console/broadcasts/new")
    page.fill("#title", "Tomorrow's meeting")
    page.fill("#text_hi", "कल 10 बजे गांव में बैठक है।")
    page.fill("#text_mr", "उद्या 10 वाजता गावात बैठक आहे.")
    page.select_option("#crop", "cotton")
    page.fill("#district", "Nashik")
    page.fill("#send_at", "2026-11-22T10:00")
    page.click("button:has-text('Preview')")
    sync_api.expect(page.locator("p.summary")).to_contain_text("starts at 10:00 IST, 22 November 2026")
    page.click("button:has-text('Send to 2 farmers')")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Cancel what has not been sent')")
    sync_api.expect(page.locator(".flash")).to_contain_text("Cancelled: 2 messages")
    sync_api.expect(page.locator("[data-field=state]")).to_have_text("cancelled")
    db.rollback()
    cancelled = db.scalar(select(Broadcast).where(Broadcast.title == "Tomorrow's meeting"))
    assert cancelled.cancelled_by == "meera"
