"""Session logs in the console: a USSD session walked through the real endpoint and ended by Africa's Talking's
report, then read by each role (number masked, farmer-written text escaped, each reading audited), reached from the
farmer's timeline and from the ticket raised in it; a call's log the same way."""
import re

from sqlalchemy import select

from farmdb.models import AuditEvent, CallLog, ExpertRequest
from tests.gateway.africastalking.test_session_log import end_of

PHONE = "+919812345678"
NAME = "<script>alert(1)</script> Pawar"


def walked(ussd, client, presses):
    """A USSD session through the real endpoint, then AT's end-of-session report; returns the phone."""
    phone = ussd(PHONE)
    for press in presses:
        phone.dial() if press is None else phone.press(press)
    assert client.post("/africastalking/ussd/events", data=end_of(phone)).status_code == 200
    return phone


def test_a_ussd_session_s_steps_masked_escaped_and_audited(ussd, client, register_farmer, signed_in, db):
    register_farmer(name=NAME)
    phone = walked(ussd, client, [None, "2", "1"])
    url = f"/console/sessions/ussd/{phone.session_id}"
    for role in ("viewer", "agronomist", "admin"):
        page = signed_in(role).text(url)
        assert "+91******5678" in page and "9812345678" not in page  # in full only on the farmer's page
        assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        rows = re.findall(r"<tr>\s*<td data-label=\"At\">\+([\d.]+) s</td>\s*<td data-label=\"Screen\"><code>(\w+)",
                          page)
        assert [screen for _, screen in rows] == ["main", "prices_crop", "prices"]
        assert "40445" in page and "Success" in page  # as AT reported the session
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "session.viewed").order_by(AuditEvent.id)).all()
    assert [(e.actor, e.target_type, e.target_id) for e in events] == [
        (f"{role}1", "ussd", phone.session_id) for role in ("viewer", "agronomist", "admin")]


def test_reached_from_the_farmer_s_timeline_and_from_the_ticket_raised_in_it(ussd, client, register_farmer,
                                                                           signed_in, db):
    farmer_id = register_farmer()
    phone = walked(ussd, client, [None, "4", "1", "2"])  # a question for the expert: a ticket
    ticket = db.scalar(select(ExpertRequest).where(ExpertRequest.farmer_id == farmer_id))
    viewer = signed_in("viewer")
    link = f'href="/console/sessions/ussd/{phone.session_id}"'
    assert link in viewer.text(f"/console/farmers/{farmer_id}")
    assert link in viewer.text(f"/console/tickets/{ticket.ticket}")


def test_a_call_s_steps_from_the_timeline_and_its_ticket(register_farmer, ticket, signed_in, sessions, db):
    farmer_id = register_farmer()
    with sessions() as s, s.begin():
        row = CallLog(provider="twilio", call_id="CA42", kind="hotline", direction="inbound", phone=PHONE,
                      farmer_id=farmer_id, status="in-progress", steps=[
                          {"t": 100.0, "s": "main", "i": "", "o": "Welcome. Press 1 for weather."},
                          {"t": 104.5, "s": "expert_question", "i": "call me on 9876543210 <b>now</b>",
                           "o": "Speak after the beep."}])
        s.add(row)
        s.flush()
        call_id = row.id
    number = ticket(channel="voice", farmer_id=farmer_id)
    admin = signed_in("admin")
    page = admin.text(f"/console/calls/{call_id}")
    assert "+4.5 s" in page and "expert_question" in page and "Speak after the beep." in page
    assert "9876543210" not in page and "&lt;b&gt;now&lt;/b&gt;" in page  # a number they said is masked too
    assert f'href="/console/calls/{call_id}"' in admin.text(f"/console/farmers/{farmer_id}")
    assert f'href="/console/calls/{call_id}"' in admin.text(f"/console/tickets/{number}")


def test_no_one_signed_out_and_no_such_session(client, signed_in, app):
    response = app.test_client().get("/console/sessions/ussd/ATUid_nothing")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]
    assert signed_in("viewer").get("/console/sessions/ussd/ATUid_nothing").status_code == 404
    assert signed_in("admin").get("/console/calls/999999").status_code == 404

