"""The expert desk as an agronomist works it: a farmer's request arrives from the phone, is claimed, answered by SMS
in the farmer's language, closed and reopened; every step audited, nothing sent twice."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import responses
from sqlalchemy import select, update

from dialogs.texts import texts
from farmdb.models import AuditEvent, ExpertRequest, Farmer, OutboundMessage
from farmdb.types import utcnow


def _ticket(db, number):
    db.rollback()  # a fresh look: end the read transaction (SQLite keeps its snapshot till then)
    return db.scalar(select(ExpertRequest).where(ExpertRequest.ticket == number))


def _sms(db, purpose):
    db.rollback()  # a fresh look: end the read transaction (SQLite keeps its snapshot till then)
    return db.scalars(select(OutboundMessage).where(OutboundMessage.purpose == purpose)
                      .order_by(OutboundMessage.id)).all()


def test_a_pest_report_from_a_ussd_walk_is_answered_in_the_farmers_language(ussd, register_farmer, signed_in, db):
    register_farmer(locale="hi", name="Ramesh Patil")
    phone = ussd()
    for press in (None, "4", "1", "2"):  # pest report, soybean, "holes in the leaves"
        phone.dial() if press is None else phone.press(press)
    assert phone.ended
    [request] = db.scalars(select(ExpertRequest)).all()

    desk = signed_in("agronomist", "meera", name="Meera Kulkarni")
    page = desk.text("/console/desk")
    row = re.search(rf'<tr class="[^"]*">\s*<td data-label="Ticket"><a href="/console/tickets/{request.ticket}">'
                    r'.*?</tr>', page, re.S)[0]
    for shown in ("Ramesh Patil", "Nashik", "soybean", "Hindi", "ussd", "pest report", "nobody yet"):
        assert shown in row

    assert desk.post(f"/console/tickets/{request.ticket}/claim").status_code == 302
    assert "Meera Kulkarni" in desk.text(f"/console/tickets/{request.ticket}")
    answer = "पत्तों पर नीम का तेल छिड़कें, 5 मिली प्रति लीटर पानी में।"
    assert desk.post(f"/console/tickets/{request.ticket}/answer", {"text": answer}).status_code == 302

    [sms] = _sms(db, "ticket_answer")
    assert sms.body == texts("hi", latin=False)("ticket.answer_sms", ticket=request.ticket, answer=answer)
    assert (sms.phone, sms.locale, sms.category) == ("+919812345678", "hi", "service_implicit")
    assert sms.template_id  # the demo DLT template for expert answers
    ticket = _ticket(db, request.ticket)
    assert (ticket.status, ticket.answer, ticket.assigned_to.username) == ("answered", answer, "meera")

    assert desk.post(f"/console/tickets/{request.ticket}/close", {"outcome": "answered"}).status_code == 302
    assert _ticket(db, request.ticket).status == "closed"
    assert _sms(db, "ticket_closed") == []  # the answer already told them: no second SMS
    assert desk.post(f"/console/tickets/{request.ticket}/reopen").status_code == 302
    assert _ticket(db, request.ticket).status == "assigned"

    log = db.execute(select(AuditEvent.actor, AuditEvent.action, AuditEvent.target_id)
                     .where(AuditEvent.target_type == "ticket").order_by(AuditEvent.id)).all()
    assert [(a.actor, a.action, a.target_id) for a in log] == [
        ("meera", action, request.ticket)
        for action in ("ticket_claimed", "ticket_answered", "ticket_closed", "ticket_reopened")]


@pytest.mark.parametrize("outcome, message", [("unreachable", "ticket.unreachable_sms"),
                                              ("referred", "ticket.referred_sms"),
                                              ("answered", "ticket.closed_sms")])
def test_closing_without_an_sms_answer_tells_the_farmer_once(outcome, message, ticket, signed_in, db):
    number = ticket(locale="mr")
    desk = signed_in("agronomist")
    for _ in range(2):  # a double click
        assert desk.post(f"/console/tickets/{number}/close", {"outcome": outcome}).status_code == 302
    [sms] = _sms(db, "ticket_closed")
    assert sms.body == texts("mr", latin=False)(message, ticket=number) and sms.locale == "mr"
    assert _ticket(db, number).outcome == outcome


def test_the_same_answer_submitted_twice_is_sent_once(ticket, signed_in, db):
    number = ticket()
    desk = signed_in("agronomist")
    for _ in range(2):
        desk.post(f"/console/tickets/{number}/answer", {"text": "Spray neem oil, 5 ml a litre."})
    assert len(_sms(db, "ticket_answer")) == 1


@pytest.mark.parametrize("text, problem", [
    ("", "This field is required."),
    ("x" * 481, "Field cannot be longer than 480 characters."),
])
def test_a_bad_answer_is_refused_with_its_reason_and_nothing_is_sent(text, problem, ticket, signed_in, db):
    number = ticket()
    desk = signed_in("agronomist")
    response = desk.post(f"/console/tickets/{number}/answer", {"text": text})
    assert problem in desk.text(response.headers["Location"])
    assert _sms(db, "ticket_answer") == [] and _ticket(db, number).status == "open"


def test_a_closed_ticket_takes_no_answer_until_reopened(ticket, signed_in, db):
    number = ticket()
    desk = signed_in("agronomist")
    desk.post(f"/console/tickets/{number}/close", {"outcome": "referred"})
    response = desk.post(f"/console/tickets/{number}/answer", {"text": "late answer"})
    assert f"ticket {number} is closed: reopen it first" in desk.text(response.headers["Location"])
    assert _sms(db, "ticket_answer") == []
    assert db.scalars(select(AuditEvent.action).where(AuditEvent.action == "ticket_answered")).all() == []


def test_a_ticket_is_given_to_an_agronomist_not_to_a_viewer(ticket, signed_in, operator, db):
    number = ticket()
    desk = signed_in("agronomist")
    colleague, viewer = operator("sunil", "agronomist"), operator("guest", "viewer")
    desk.post(f"/console/tickets/{number}/assign", {"operator": colleague})
    assert _ticket(db, number).assigned_to.username == "sunil"
    response = desk.post(f"/console/tickets/{number}/assign", {"operator": viewer})
    assert "Guest cannot work tickets" in desk.text(response.headers["Location"])
    assert _ticket(db, number).assigned_to.username == "sunil"


def test_a_viewer_sees_the_ticket_but_no_way_to_act_on_it(ticket, signed_in):
    number = ticket()
    page = signed_in("viewer").text(f"/console/tickets/{number}")
    assert "leaves curling" in page
    assert "/answer" not in page and "/claim" not in page and "Send by SMS" not in page


def test_what_a_farmer_wrote_is_shown_as_text_never_as_markup(ticket, signed_in, sessions):
    words = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    number = ticket(description=words, name='<b onmouseover="alert(2)">Ravi</b>')
    browser = signed_in("agronomist")
    with sessions() as db:
        farmer_id = db.scalar(select(ExpertRequest.farmer_id).where(ExpertRequest.ticket == number))
    for url in ("/console/desk", f"/console/tickets/{number}", f"/console/farmers/{farmer_id}",
                "/console/farmers?q=Ravi"):
        page = browser.text(url)
        assert "<script>alert" not in page and "<img src=x" not in page and "<b onmouseover" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in browser.text(f"/console/tickets/{number}")


def test_overdue_tickets_stand_out(ticket, signed_in, sessions):
    late, fresh = ticket(), ticket(kind="callback", phone="+919812300000")
    with sessions() as db, db.begin():
        db.execute(update(ExpertRequest).where(ExpertRequest.ticket == late)
                   .values(created_at=utcnow() - timedelta(days=3)))
    page = signed_in("viewer").text("/console/desk")
    assert "2 open, 1 waiting longer than the farmer was promised." in page
    rows = re.findall(r'<tr class="([^"]*)">\s*<td data-label="Ticket"><a href="/console/tickets/(\d+)"', page)
    assert rows == [("overdue", late), ("", fresh)]  # the longest wait on top


def test_the_desk_filters_by_status_kind_and_whose(ticket, signed_in):
    pest, call = ticket(), ticket(kind="callback", phone="+919812300000", crop=None)
    desk = signed_in("agronomist")
    desk.post(f"/console/tickets/{call}/claim")
    assert pest not in desk.text("/console/desk?mine=1") and call in desk.text("/console/desk?mine=1")
    assert call not in desk.text("/console/desk?kind=pest_report")
    desk.post(f"/console/tickets/{pest}/close", {"outcome": "referred"})
    assert pest in desk.text("/console/desk?status=closed") and pest not in desk.text("/console/desk")
    assert desk.get("/console/desk?status=nonsense&page=-4").status_code == 200


def test_the_farmers_earlier_tickets_are_beside_this_one(ticket, signed_in, sessions):
    with sessions() as db:
        pass
    first = ticket(description="white flies")
    with sessions() as db:
        farmer_id = db.scalar(select(Farmer.id))
    second = ticket(description="yellow leaves", farmer_id=farmer_id)
    page = signed_in("viewer").text(f"/console/tickets/{second}")
    assert f"/console/tickets/{first}" in page and "white flies" in page


def test_an_erased_farmers_ticket_cannot_be_answered(ticket, signed_in, sessions, db):
    number = ticket()
    admin = signed_in("admin")
    with sessions() as s:
        farmer_id = s.scalar(select(Farmer.id))
    admin.get(f"/console/farmers/{farmer_id}/erase")
    assert admin.post(f"/console/farmers/{farmer_id}/erase", {"confirm": "ERASE"}).status_code == 302
    page = admin.text(f"/console/tickets/{number}")
    assert "erased their data" in page and "Send by SMS" not in page
    assert _ticket(db, number).status == "closed"  # off the desk: nobody is left to answer
    admin.post(f"/console/tickets/{number}/reopen")
    response = admin.post(f"/console/tickets/{number}/answer", {"text": "hello"})
    assert "the farmer has erased their data" in admin.text(response.headers["Location"])


@pytest.mark.parametrize("text, encoding, segments", [
    ("Spray neem oil", "GSM-7", 1),
    ("नीम का तेल छिड़कें", "UCS-2", 1),
    ("नीम " * 20, "UCS-2", 2),  # 79 characters: over the 70 of one Devanagari SMS
    ("a" * 161, "GSM-7", 2),
])
def test_the_answer_is_measured_as_the_farmers_phone_counts_it(text, encoding, segments, signed_in):
    desk = signed_in("agronomist")
    response = desk.client.post("/console/measure", json={"text": text}, headers={"X-CSRFToken": desk.token})
    assert response.status_code == 200
    assert (response.json["encoding"], response.json["segments"]) == (encoding, segments)
    assert f"{segments} SMS" in response.json["summary"]


@responses.activate
def test_a_recorded_question_plays_through_our_server_and_is_audited(ticket, signed_in, db):
    url = "https://api.twilio.com/2010-04-01/Accounts/AC0123/Recordings/RE0456"
    responses.get(url, body=b"ID3 mp3 bytes", content_type="audio/mpeg")
    number = ticket("question", crop=None, description=None, channel="voice", recording_url=url)
    viewer = signed_in("viewer")
    assert f'src="/console/tickets/{number}/recording"' in viewer.text(f"/console/tickets/{number}")
    played = viewer.get(f"/console/tickets/{number}/recording")
    assert (played.status_code, played.mimetype, played.data) == (200, "audio/mpeg", b"ID3 mp3 bytes")
    assert db.scalar(select(AuditEvent.action).where(AuditEvent.target_id == number)) == "recording_played"


@responses.activate
def test_a_recording_url_off_the_providers_hosts_is_not_fetched(ticket, signed_in):
    number = ticket("question", crop=None, recording_url="https://169.254.169.254/latest/meta-data/")
    response = signed_in("viewer").get(f"/console/tickets/{number}/recording")
    assert response.status_code == 404 and len(responses.calls) == 0


def test_a_ticket_a_colleague_holds_is_not_taken_from_them(ticket, signed_in, db):
    number = ticket()
    meera, sunil = signed_in("agronomist", "meera"), signed_in("agronomist", "sunil")
    meera.post(f"/console/tickets/{number}/claim")
    response = sunil.post(f"/console/tickets/{number}/claim")
    assert "Meera has this ticket" in sunil.text(response.headers["Location"])
    assert _ticket(db, number).assigned_to.username == "meera"


def test_two_agronomists_do_not_answer_the_same_farmer_unknowingly(ticket, signed_in, db):
    number = ticket()
    meera, sunil = signed_in("agronomist", "meera"), signed_in("agronomist", "sunil")
    pages = [re.search(r'name="seen" value="([^"]+)"', b.text(f"/console/tickets/{number}"))[1]
             for b in (meera, sunil)]
    meera.post(f"/console/tickets/{number}/answer", {"text": "Spray neem oil.", "seen": pages[0]})
    response = sunil.post(f"/console/tickets/{number}/answer", {"text": "Use a trap.", "seen": pages[1]})
    assert "changed since you opened it" in sunil.text(response.headers["Location"])
    assert [m.body.endswith("Spray neem oil.") for m in _sms(db, "ticket_answer")] == [True]


def test_a_reopened_ticket_waits_again(ticket, signed_in, sessions):
    number = ticket()
    desk = signed_in("agronomist")
    desk.post(f"/console/tickets/{number}/answer", {"text": "Spray neem oil."})
    desk.post(f"/console/tickets/{number}/close", {"outcome": "answered"})
    with sessions() as s, s.begin():
        s.execute(update(ExpertRequest).values(created_at=utcnow() - timedelta(days=3),
                                               answered_at=utcnow() - timedelta(days=2, hours=23)))
    desk.post(f"/console/tickets/{number}/reopen")
    assert "1 open, 1 waiting longer" in desk.text("/console/desk")


def test_numbers_in_what_a_farmer_wrote_are_masked(ticket, signed_in):
    number = ticket(description="call my son on 9876543210 please")
    page = signed_in("viewer").text(f"/console/tickets/{number}")
    assert "9876543210" not in page and "call my son on ******3210 please" in page


def test_on_the_voice_line_the_farmer_hears_the_answer_once_offered(app, ticket, signed_in, db):
    from service.calls import Heard, take_turn
    number = ticket(locale="hi")
    desk = signed_in("agronomist")
    desk.post(f"/console/tickets/{number}/answer", {"text": "नीम का तेल छिड़कें"})
    calls = app.extensions["kheti_conversations"]
    T = texts("hi", latin=False)

    def call(call_id: str, *keys: str):
        turn = take_turn(calls, call_id, "+919812345678", Heard("start"))
        for key in keys:
            turn = take_turn(calls, call_id, "+919812345678", Heard("keys", key))
        return turn.prompt.phrases

    second_page = call("CA-1", "9")
    offer = f"{T('main.answer')}"
    assert any(offer in phrase for phrase in second_page)
    heard = call("CA-2", "9", "3")
    assert T("answer.read", ticket=" ".join(number), answer="नीम का तेल छिड़कें") in heard
    db.rollback()
    assert _ticket(db, number).answer_heard_at is not None
    assert "read out to the farmer on a call" in desk.text(f"/console/tickets/{number}")
    assert not any(offer in phrase for phrase in call("CA-3", "9"))  # heard: not offered again


def test_the_count_includes_the_words_the_answer_goes_out_with(ticket, signed_in, db):
    number = ticket(locale="hi")
    desk = signed_in("agronomist")
    answer = "नीम का तेल छिड़कें, पाँच मिली प्रति लीटर"  # 39 characters: one SMS alone, two with the opening
    measured = desk.client.post("/console/measure", json={"text": answer, "ticket": number},
                                headers={"X-CSRFToken": desk.token}).json
    alone = desk.client.post("/console/measure", json={"text": answer}, headers={"X-CSRFToken": desk.token}).json
    assert (alone["segments"], measured["segments"], measured["characters"]) == (1, 2, len(answer))
    desk.post(f"/console/tickets/{number}/answer", {"text": answer})
    [sent] = _sms(db, "ticket_answer")
    assert (sent.encoding, sent.segments) == (measured["encoding"], measured["segments"])  # as the outbox counts
