"""Broadcasts in the console: composed from an operator's own words or an advisory, the audience counted (and why it
is empty) as it is built, previewed and confirmed, sent with the console sender and in-process tasks, watched,
scheduled, cancelled (nothing sent twice), its failures grouped by the provider's reason; roles and audit."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from farmdb.models import Advisory, AuditEvent, Broadcast, Crop, FarmerCrop, OutboundMessage

UTC = timezone.utc


@pytest.fixture(autouse=True)
def _noon(clock):
    """Noon in India: inside every send window, so sends go at once."""


@pytest.fixture
def village(register_farmer):
    return {
        "asha": register_farmer(phone="+919800000001", locale="mr", district="Nashik", crops=("cotton",)),
        "ravi": register_farmer(phone="+919800000002", locale="hi", district="Nashik", crops=("cotton", "onion")),
        "john": register_farmer(phone="+919800000003", locale="en", district="Nashik", crops=("onion",)),
        "meera": register_farmer(phone="+919800000004", locale="mr", district="Pune", crops=("cotton",)),
    }


WORDS = {"title": "Pink bollworm", "source": "words", "category": "service_explicit",
         "text_en": "Pink bollworm seen in Nashik: set pheromone traps now.",
         "text_hi": "नासिक में गुलाबी सुंडी दिखी है: अभी फेरोमोन ट्रैप लगाएं।",
         "text_mr": "नाशिकमध्ये गुलाबी बोंडअळी दिसली आहे: आत्ताच फेरोमोन सापळे लावा.",
         "crop": "cotton", "district": "Nashik"}


def _messages(db, broadcast_id):
    db.rollback()
    return db.scalars(select(OutboundMessage).where(OutboundMessage.broadcast_id == broadcast_id)
                      .order_by(OutboundMessage.farmer_id)).all()


def test_compose_preview_confirm_send_and_watch(signed_in, village, db):
    meera = signed_in("agronomist")
    assert meera.get("/console/broadcasts/new").status_code == 200
    preview = meera.post("/console/broadcasts/new", WORDS)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "2 farmers" in page and "starts now" in page
    assert "Send to 2 farmers" in page and "गुलाबी बोंडअळी" in page  # the Marathi farmer's SMS, as it will go
    assert db.scalar(select(Broadcast.id)) is None  # a preview makes nothing
    sent = meera.post("/console/broadcasts/new", {**WORDS, "confirmed": "yes"})
    assert sent.status_code == 302
    broadcast_id = int(re.search(r"/broadcasts/(\d+)$", sent.headers["Location"])[1])
    db.rollback()
    made = db.get(Broadcast, broadcast_id)
    assert (made.kind, made.title, made.created_by, made.recipients) == ("notice", "Pink bollworm", "agronomist1", 2)
    rows = _messages(db, broadcast_id)
    assert {m.farmer_id: m.status for m in rows} == {village["asha"]: "sent", village["ravi"]: "sent"}
    assert rows[0].body == ("खेती सहायक: नाशिकमध्ये गुलाबी बोंडअळी दिसली आहे: आत्ताच फेरोमोन सापळे लावा. "
                            "हे SMS बंद करण्यासाठी STOP पाठवा.") and rows[0].template_id  # matched its DLT template
    progress = meera.get(f"/console/broadcasts/{broadcast_id}/progress").get_json()
    assert progress["counts"]["sent"] == 2 and progress["state"] == "finished"
    assert "Pink bollworm" in meera.text("/console/broadcasts")
    audit = db.scalars(select(AuditEvent).where(AuditEvent.action == "broadcast.created")).one()
    assert audit.target_id == str(broadcast_id) and audit.detail["recipients"] == 2
    again = meera.post("/console/broadcasts/new", {**WORDS, "confirmed": "yes"})  # a double click
    assert again.status_code == 302 and len(_messages(db, broadcast_id)) == 2


def test_the_audience_count_follows_the_builder_and_says_why_it_is_empty(signed_in, village):
    meera = signed_in("agronomist")
    meera.get("/console/broadcasts/new")
    count = meera.post("/console/broadcasts/audience", WORDS).get_json()
    assert count["recipients"] == 2 and count["languages"] == {"hi": 1, "mr": 1} and count["starts"]
    nobody = meera.post("/console/broadcasts/audience", {**WORDS, "district": "Pune", "locale": "hi"}).get_json()
    assert nobody["recipients"] == 0
    assert nobody["empty"] == "none of them uses this language (1 farmer matched the conditions before it)"
    unknown = meera.post("/console/broadcasts/audience", {**WORDS, "district": "Atlantis"}).get_json()
    assert unknown["problem"] == "unknown district 'Atlantis'"


def test_a_language_without_words_is_named_and_nothing_can_be_sent(signed_in, village, db):
    meera = signed_in("agronomist")
    page = meera.post("/console/broadcasts/new", {**WORDS, "text_hi": ""}).get_data(as_text=True)
    assert "no text in this language" in page and "Send to" not in page
    meera.post("/console/broadcasts/new", {**WORDS, "text_hi": "", "confirmed": "yes"})
    assert db.scalar(select(Broadcast.id)) is None


def test_the_crop_stage_subscribers_and_registration_date_narrow_the_audience(signed_in, village, sessions):
    with sessions() as db, db.begin():  # Asha's cotton was sown 70 days ago; Ravi's has no sowing date
        db.execute(update(FarmerCrop).where(FarmerCrop.farmer_id == village["asha"])
                   .values(sown_on=date.today() - timedelta(days=70)))
        stages = db.scalar(select(Crop.stages).where(Crop.code == "cotton"))
    at_70 = [s["stage"] for s in stages if s["from_day"] <= 70][-1]
    meera = signed_in("agronomist")
    meera.get("/console/broadcasts/new")
    ask = meera.post
    assert ask("/console/broadcasts/audience", {**WORDS, "stage": at_70}).get_json()["languages"] == {"mr": 1}
    assert ask("/console/broadcasts/audience", {**WORDS, "subscribers": "y"}).get_json()["empty"].startswith(
        "none of them has a plan running")
    future = (datetime.now(ZoneInfo("Asia/Kolkata")).date() + timedelta(days=1)).isoformat()  # India's tomorrow
    assert ask("/console/broadcasts/audience", {**WORDS, "registered_since": future}).get_json()["recipients"] == 0


def test_an_advisory_goes_in_its_own_words_to_its_crop(signed_in, village, db):
    advisory = db.scalar(select(Advisory.id).join(Crop).where(Crop.code == "cotton").order_by(Advisory.id))
    meera = signed_in("agronomist")
    sent = meera.post("/console/broadcasts/new", {"title": "Cotton advice", "source": "advisory",
                                                  "advisory": advisory, "district": "Nashik",
                                                  "category": "service_explicit", "confirmed": "yes"})
    broadcast_id = int(sent.headers["Location"].rsplit("/", 1)[1])
    db.rollback()
    made = db.get(Broadcast, broadcast_id)
    assert (made.kind, made.advisory_id, made.audience["crop"]) == ("advisory", advisory, "cotton")
    assert len(_messages(db, broadcast_id)) == 2


def test_scheduled_for_later_its_rows_wait_and_cancelling_stops_them(signed_in, village, db):
    meera = signed_in("agronomist")
    sent = meera.post("/console/broadcasts/new", {**WORDS, "send_at": "2026-11-22T09:30", "confirmed": "yes"})
    broadcast_id = int(sent.headers["Location"].rsplit("/", 1)[1])
    rows = _messages(db, broadcast_id)
    # 09:30 is before the 10:00 window for service explicit SMS: they wait for 10:00 India time, 04:30 UTC
    assert {(m.status, m.send_after) for m in rows} == {("queued", datetime(2026, 11, 22, 4, 30, tzinfo=UTC))}
    page = meera.text(f"/console/broadcasts/{broadcast_id}")
    assert "scheduled" in page and "Cancel what has not been sent" in page
    viewer = signed_in("viewer")
    assert viewer.post(f"/console/broadcasts/{broadcast_id}/cancel").status_code == 403
    cancelled = meera.post(f"/console/broadcasts/{broadcast_id}/cancel")
    assert cancelled.status_code == 302
    assert {m.status for m in _messages(db, broadcast_id)} == {"cancelled"}
    db.rollback()
    assert db.get(Broadcast, broadcast_id).cancelled_by == "agronomist1"
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "broadcast.cancelled")).one().detail[
        "messages_cancelled"] == 2


def test_cancelling_leaves_what_a_provider_has_alone(signed_in, village, db, sessions):
    meera = signed_in("agronomist")
    sent = meera.post("/console/broadcasts/new", {**WORDS, "send_at": "2026-11-22T11:00", "confirmed": "yes"})
    broadcast_id = int(sent.headers["Location"].rsplit("/", 1)[1])
    first = _messages(db, broadcast_id)[0].id
    with sessions() as other, other.begin():  # one already with the provider
        other.execute(update(OutboundMessage).where(OutboundMessage.id == first)
                      .values(status="sent", provider_message_id="ATXid_1"))
    meera.post(f"/console/broadcasts/{broadcast_id}/cancel")
    assert sorted(m.status for m in _messages(db, broadcast_id)) == ["cancelled", "sent"]


def test_failures_are_grouped_by_the_providers_reason(signed_in, village, db, sessions):
    meera = signed_in("agronomist")
    sent = meera.post("/console/broadcasts/new", {**WORDS, "confirmed": "yes"})
    broadcast_id = int(sent.headers["Location"].rsplit("/", 1)[1])
    with sessions() as other, other.begin():
        other.execute(update(OutboundMessage).where(OutboundMessage.broadcast_id == broadcast_id)
                      .values(status="failed", last_error="DND: the number is on the do-not-disturb list"))
    page = meera.text(f"/console/broadcasts/{broadcast_id}")
    assert "DND: the number is on the do-not-disturb list" in page and "<td data-label=\"Messages\">2</td>" in page


@pytest.mark.parametrize("role", ["viewer", "agronomist"])
def test_a_viewer_sees_the_list_but_cannot_compose(signed_in, role):
    browser = signed_in(role)
    assert browser.get("/console/broadcasts").status_code == 200
    assert browser.get("/console/broadcasts/new").status_code == (403 if role == "viewer" else 200)
    assert browser.post("/console/broadcasts/new", WORDS).status_code == (403 if role == "viewer" else 200)


def test_farmer_written_words_are_escaped(signed_in, village):
    meera = signed_in("agronomist")
    page = meera.post("/console/broadcasts/new", {**WORDS, "text_en": "<script>alert(1)</script> traps now",
                                                  "title": "<b>x</b>"}).get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page and "<b>x</b>" not in page


def test_the_live_count_of_words_says_segments_and_template(signed_in):
    meera = signed_in("agronomist")
    meera.get("/console/broadcasts/new")
    response = meera.client.post("/console/broadcasts/measure/mr", json={"text": "आत्ताच फेरोमोन सापळे लावा."},
                                 headers={"X-CSRFToken": meera.token})
    measured = response.get_json()
    assert "UCS-2" in measured["summary"] and "DLT template" in measured["summary"]
    assert "no DLT template matches" not in measured["summary"]


def test_api_v1_lists_and_cancels(app, signed_in, village, operator, sessions, db):
    from service.operators import new_api_key
    from farmdb.models import Operator
    meera = signed_in("agronomist")
    sent = meera.post("/console/broadcasts/new", {**WORDS, "send_at": "2026-11-22T11:00", "confirmed": "yes"})
    broadcast_id = int(sent.headers["Location"].rsplit("/", 1)[1])
    keys = {}
    for role in ("viewer", "agronomist"):
        with sessions() as s, s.begin():
            _row, keys[role] = new_api_key(s, s.get(Operator, operator(f"api{role}", role)), "a script")
    client = app.test_client()
    listed = client.get("/api/v1/broadcasts", headers={"Authorization": f"Bearer {keys['viewer']}"}).get_json()
    assert [(b["id"], b["title"], b["state"], b["counts"]["queued"]) for b in listed["items"]] == [
        (broadcast_id, "Pink bollworm", "scheduled", 2)]
    refused = client.post(f"/api/v1/broadcasts/{broadcast_id}/cancel",
                          headers={"Authorization": f"Bearer {keys['viewer']}"})
    assert refused.status_code == 403
    done = client.post(f"/api/v1/broadcasts/{broadcast_id}/cancel",
                       headers={"Authorization": f"Bearer {keys['agronomist']}"}).get_json()
    assert done["messages_cancelled"] == 2 and done["counts"]["cancelled"] == 2
    assert client.post("/api/v1/broadcasts/999999/cancel",
                       headers={"Authorization": f"Bearer {keys['agronomist']}"}).status_code == 404


def test_a_cancelled_broadcast_is_not_made_again_and_its_retries_do_not_go(signed_in, village, db, sessions, tasks):
    meera = signed_in("agronomist")
    sent = meera.post("/console/broadcasts/new", {**WORDS, "send_at": "2026-11-22T11:00", "confirmed": "yes"})
    broadcast_id = int(sent.headers["Location"].rsplit("/", 1)[1])
    first = _messages(db, broadcast_id)[0].id
    with sessions() as other, other.begin():  # one was with a provider, which failed it in a way worth a retry
        other.execute(update(OutboundMessage).where(OutboundMessage.id == first)
                      .values(status="sending", provider_message_id=None))
    meera.post(f"/console/broadcasts/{broadcast_id}/cancel")
    with sessions() as other, other.begin():  # the retry puts it back to "queued", its time come
        other.execute(update(OutboundMessage).where(OutboundMessage.id == first)
                      .values(status="queued", send_after=None))
    assert tasks.send_sms(first) == "cancelled"
    again = meera.post("/console/broadcasts/new", {**WORDS, "send_at": "2026-11-22T11:00", "confirmed": "yes"})
    assert again.status_code == 302 and again.headers["Location"].endswith("/console/broadcasts/new")
    assert {m.status for m in _messages(db, broadcast_id)} == {"cancelled"}


def test_an_advisory_scheduled_for_later_waits(signed_in, village, db):
    advisory = db.scalar(select(Advisory.id).join(Crop).where(Crop.code == "cotton").order_by(Advisory.id))
    meera = signed_in("agronomist")
    sent = meera.post("/console/broadcasts/new", {"title": "Cotton advice", "source": "advisory", "advisory": advisory,
                                                  "district": "Nashik", "category": "service_explicit",
                                                  "send_at": "2026-11-22T18:00", "confirmed": "yes"})
    broadcast_id = int(sent.headers["Location"].rsplit("/", 1)[1])
    assert {(m.status, m.send_after) for m in _messages(db, broadcast_id)} == {
        ("queued", datetime(2026, 11, 22, 12, 30, tzinfo=UTC))}  # 18:00 India time


def test_a_campaign_is_made_paused_and_resumed_by_an_agronomist(signed_in, village, db):
    viewer = signed_in("viewer")
    assert viewer.get("/console/campaigns").status_code == 200
    assert viewer.post("/console/campaigns/new", {}).status_code == 403
    meera = signed_in("agronomist")
    made = meera.post("/console/campaigns/new", {**WORDS, "title": "Monday traps", "weekdays": ["mon", "thu"],
                                                 "at_time": "07:00"})
    assert made.status_code == 302
    db.rollback()
    from farmdb.models import Campaign
    campaign = db.scalars(select(Campaign)).one()
    assert (campaign.weekdays, campaign.at_time, campaign.audience) == ("mon,thu", "07:00",
                                                                      {"crop": "cotton", "district": "Nashik"})
    page = meera.text("/console/campaigns")
    assert "Monday traps" in page and "mon, thu 07:00" in page
    assert meera.post(f"/console/campaigns/{campaign.id}/pause").status_code == 302
    db.rollback()
    assert db.get(Campaign, campaign.id).active is False
    meera.post(f"/console/campaigns/{campaign.id}/resume")
    db.rollback()
    actions = [a for a in db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)) if a.startswith("campaign")]
    assert actions == ["campaign.created", "campaign.paused", "campaign.resumed"]
    refused = meera.post("/console/campaigns/new", {**WORDS, "title": "x", "weekdays": ["mon"], "at_time": "7pm"})
    assert refused.status_code == 200 and "is not a time such as 07:00" in refused.get_data(as_text=True)


def test_api_v1_sends_words_scheduled_to_a_narrowed_audience(app, village, operator, sessions, db):
    from farmdb.models import Operator
    from service.operators import new_api_key
    with sessions() as s, s.begin():
        _row, key = new_api_key(s, s.get(Operator, operator("apiagro", "agronomist")), "a script")
    client, auth = app.test_client(), {"Authorization": f"Bearer {key}"}
    request = {"words": {"hi": WORDS["text_hi"], "mr": WORDS["text_mr"]}, "title": "From a script",
               "crop": "cotton", "district": "Nashik", "send_at": "2026-11-22T11:00:00+05:30"}
    preview = client.post("/api/v1/broadcasts", json={**request, "preview": True}, headers=auth).get_json()
    assert preview["recipients"] == 2 and preview["problems"] == []
    made = client.post("/api/v1/broadcasts", json=request, headers=auth)
    assert made.status_code == 201
    rows = _messages(db, made.get_json()["id"])
    assert {(m.status, m.send_after) for m in rows} == {("queued", datetime(2026, 11, 22, 5, 30, tzinfo=UTC))}
    for bad in ({"words": {"hi": "x"}, "advisory_id": 1}, {}, {"words": {"hi": "x"}, "send_at": "tomorrow"},
                {"words": {"hi": "x"}, "send_at": "2026-11-22T11:00"}, {"words": {"fr": "x"}},
                {"words": {"hi": "x"}, "registered_since": "22/11/2026"}):
        assert client.post("/api/v1/broadcasts", json=bad, headers=auth).status_code == 400, bad
