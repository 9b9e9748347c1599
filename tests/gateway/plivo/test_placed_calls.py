"""The calls around the ones farmers make, over Plivo: a ring on the missed-call line rejected unanswered (the farmer
pays nothing) and called back through Plivo's API (answered by `responses`), the call-back answered by our reference
(`?call=...&kind=callback`) with the dialog for the farmer in To, and the expert desk's call that dials the farmer
once the agronomist answers; each call's hangup closing its log row."""
import json
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from dialogs.texts import texts
from farmdb.farmers import ERASED
from farmdb.models import CallLog
from tests.gateway.plivo.caller import STATUS, VOICE, Call, logs
from tests.gateway.plivo.conftest import CALL_URL
from tests.gateway.plivo.payloads import FARMER, MISSED_LINE, VOICE_NUMBER, answered, bare, post


def test_a_ring_on_the_missed_call_line_is_rejected_unanswered_and_called_back(plivo_app, register_farmer, sessions,
                                                                              api):
    farmer_id = register_farmer(phone=FARMER, locale="hi")
    api.post(CALL_URL, json={"api_id": "b1", "message": "call fired", "request_uuid": "9f8e7d6c-0000-4000-8000-1"},
             status=201)
    client = plivo_app.test_client()
    ring = post(client, VOICE, answered(uuid="1a2b3c4d-9e3b-11ef-9d2e-000000000001", line=MISSED_LINE,
                                        CallStatus="ringing"))
    assert ring.status_code == 200 and ring.mimetype == "application/xml"
    assert ring.get_data(as_text=True) == '<Response><Hangup reason="rejected"/></Response>'  # the farmer pays nothing

    [placed] = api.calls
    sent = json.loads(placed.request.body)
    reference = parse_qs(urlsplit(sent["answer_url"]).query)["call"][0]
    assert (sent["from"], sent["to"], sent["answer_url"], sent["hangup_url"]) == (
        MISSED_LINE, bare(FARMER), f"{VOICE}?call={reference}&kind=callback",
        f"{STATUS}?call={reference}&kind=callback")
    ring_log, callback = logs(sessions)
    assert (ring_log.kind, ring_log.provider, ring_log.phone, ring_log.line, ring_log.farmer_id, ring_log.status,
            ring_log.ended_at is not None) == ("missed_call", "plivo", FARMER, f"+{MISSED_LINE}", farmer_id,
                                               "rejected", True)
    assert (callback.kind, callback.call_id, callback.direction, callback.phone, callback.status) == \
        ("callback", reference, "outbound", FARMER, "queued")

    # The farmer answers: Plivo asks the answer URL, with our reference, its own CallUUID and the farmer in To.
    c = Call(client, plivo_app.extensions["kheti_voice_audio"], reference=reference, kind="callback",
             uuid="2b3c4d5e-9e3b-11ef-9d2e-000000000002", line=MISSED_LINE, direction="outbound").start()
    t = texts("hi", latin=False)
    assert c.said[0] == t("voice.callback")  # in the farmer's own language, for the farmer in To
    assert c.xml.find("GetInput").get("action") == f"{VOICE}?turn=input&call={reference}"
    assert c.redirect == f"{VOICE}?turn=silence&call={reference}"
    c.press("1")
    assert c.said[0] == t("weather.title", district="नाशिक")
    c.hang_up(duration="42", cost="0.00720")
    [callback] = logs(sessions, "callback")  # the same row, kept by our reference
    assert (callback.last_screen, callback.status, callback.duration_s, callback.cost, callback.cost_currency) == \
        ("weather", "completed", 42, Decimal("0.0072"), "USD")
    assert len(logs(sessions)) == 2


@pytest.fixture
def bridge(sessions):
    """The expert desk's call to a farmer, as service.bridges logs it when Plivo takes the call."""
    def make(phone=FARMER, reference="4e1f6b52-3c77-4f0e-9d51-7b5a0c3e2f10"):
        with sessions() as db, db.begin():
            db.add(CallLog(provider="plivo", call_id=reference, kind="bridge", direction="outbound", phone=phone,
                           line=VOICE_NUMBER, status="queued"))
        return reference
    return make


def test_the_agronomist_answering_the_desks_call_is_connected_to_the_farmer(plivo_app, bridge):
    reference = bridge()
    agronomist = "+919900011122"
    form = answered(uuid="5c6d7e8f-9e3b-11ef-9d2e-000000000005", phone=agronomist, line=VOICE_NUMBER,
                    direction="outbound")
    response = post(plivo_app.test_client(), f"{VOICE}?call={reference}&kind=bridge", form)
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert response.get_data(as_text=True) == \
        f'<Response><Dial callerId="{bare(VOICE_NUMBER)}"><Number>{bare(FARMER)}</Number></Dial></Response>'


def test_a_farmer_erased_while_the_agronomists_phone_rang_is_not_called(plivo_app, bridge):
    reference = bridge(phone=ERASED)
    form = answered(phone="+919900011122", line=VOICE_NUMBER, direction="outbound")
    response = post(plivo_app.test_client(), f"{VOICE}?call={reference}&kind=bridge", form)
    assert response.get_data(as_text=True) == '<Response><Hangup reason="rejected"/></Response>'


def test_a_bridge_with_no_log_row_connects_nobody_and_is_never_taken_for_a_call_back(plivo_app, sessions, caplog):
    """The desk's request rolled back after Plivo took the call: the agronomist must not hear the farmers' menu."""
    form = answered(phone="+919900011122", line=VOICE_NUMBER, direction="outbound")
    response = post(plivo_app.test_client(), f"{VOICE}?call=6a7b8c9d-0000-4000-8000-00000000dead&kind=bridge", form)
    assert response.get_data(as_text=True) == "<Response><Hangup/></Response>"
    assert "a bridge answered with no log row" in caplog.text
    assert logs(sessions) == []  # no call-back row made for the agronomist's number


@pytest.mark.parametrize("query", ["call=6a7b8c9d-0000-4000-8000-000000000001",
                                   "call=6a7b8c9d-0000-4000-8000-000000000001&kind=conference"])
def test_a_placed_call_that_does_not_say_what_it_is_for_is_refused(plivo_app, query):
    response = post(plivo_app.test_client(), f"{VOICE}?{query}", answered(direction="outbound"))
    assert response.status_code == 400 and b"kind" in response.data


def test_our_reference_makes_a_call_outbound_whatever_direction_plivo_posts(plivo_app, register_farmer, sessions):
    register_farmer(phone=FARMER, locale="hi")
    reference = "6a7b8c9d-0000-4000-8000-000000000002"
    # A Direction that says "inbound" (a proxy's rewrite, a Plivo change): the signed URL says whose call it is.
    form = {**answered(line=MISSED_LINE, direction="outbound"), "Direction": "inbound"}
    response = post(plivo_app.test_client(), f"{VOICE}?call={reference}&kind=callback", form)
    assert response.status_code == 200
    [row] = logs(sessions)
    assert (row.call_id, row.kind, row.direction, row.phone) == (reference, "callback", "outbound", FARMER)
