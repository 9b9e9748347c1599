"""Advisory broadcasts: the audience, one text per language, a preview before sending, bulk rows that are never
duplicated, chunked dispatch and progress counted from the rows."""
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from farmdb.models import Advisory, Broadcast, Crop, DltTemplate, Farmer, OutboundMessage
from service import broadcasts
from service.broadcasts import Audience, BroadcastError
from workers import tasks as send_tasks

UTC = timezone.utc


@pytest.fixture(autouse=True)
def _noon(clock):
    """In-process tasks (the tasks fixture), console sender, noon in India."""


@pytest.fixture
def village(register_farmer, sessions):
    """Farmers around Nashik and Pune: who should and should not get a cotton advisory."""
    ids = {
        "asha": register_farmer(phone="+919800000001", locale="mr", district="Nashik", crops=("cotton",)),
        "ravi": register_farmer(phone="+919800000002", locale="hi", district="Nashik", crops=("cotton", "onion")),
        "john": register_farmer(phone="+919800000003", locale="en", district="Nashik", crops=("onion",)),
        "meera": register_farmer(phone="+919800000004", locale="mr", district="Pune", crops=("cotton",)),
        "stopped": register_farmer(phone="+919800000005", locale="mr", district="Nashik", crops=("cotton",)),
        "withdrawn": register_farmer(phone="+919800000006", locale="en", district="Nashik", crops=("cotton",)),
    }
    with sessions() as db, db.begin():
        db.execute(update(Farmer).where(Farmer.id == ids["stopped"]).values(sms_opted_out=True))
        db.get(Farmer, ids["withdrawn"]).withdraw_consent("ussd", "account.delete")
    return ids


@pytest.fixture
def cotton_advisory(sessions) -> int:
    with sessions() as db:
        return db.scalar(select(Advisory.id).join(Crop).where(Crop.code == "cotton").order_by(Advisory.id))


def _messages(sessions, broadcast_id) -> dict[int, OutboundMessage]:
    with sessions() as db:
        return {m.farmer_id: m for m in db.scalars(select(OutboundMessage)
                                                   .where(OutboundMessage.broadcast_id == broadcast_id))}


def test_a_cotton_advisory_reaches_nashiks_cotton_farmers_each_in_their_language(sessions, service, village,
                                                                                 cotton_advisory):
    with sessions() as db, db.begin():
        made, plan, new = broadcasts.advisory_broadcast(service, db, cotton_advisory, Audience(district="Nashik"))
        broadcast_id = made.id
    assert new and plan.problems == []
    messages = _messages(sessions, broadcast_id)
    assert set(messages) == {village["asha"], village["ravi"]}  # not onion-only, not Pune, not STOP, not withdrawn
    with sessions() as db:
        advisory = db.get(Advisory, cotton_advisory)
    asha, ravi = messages[village["asha"]], messages[village["ravi"]]
    assert asha.body.startswith("खेती सहायक, कापूस: ") and advisory.texts["mr"] in asha.body
    assert ravi.body.startswith("खेती सहायक, कपास: ") and advisory.texts["hi"] in ravi.body
    assert all(m.status == "sent" and m.template_id and m.category == "service_explicit" and m.encoding == "UCS-2"
               for m in messages.values())
    assert asha.idempotency_key == f"broadcast:{broadcast_id}:farmer:{village['asha']}"


def test_the_same_broadcast_again_adds_nobody_twice(sessions, service, village, cotton_advisory):
    for attempt in range(2):
        with sessions() as db, db.begin():
            made, _, new = broadcasts.advisory_broadcast(service, db, cotton_advisory, Audience(district="Nashik"))
        assert new is (attempt == 0)
    with sessions() as db:
        assert db.scalar(select(func.count()).select_from(OutboundMessage)) == 2
        assert db.scalar(select(func.count()).select_from(Broadcast)) == 1


@pytest.mark.parametrize("audience, who", [
    (Audience(state="Maharashtra"), {"asha", "ravi", "meera"}),
    (Audience(state="Maharashtra", locale="mr"), {"asha", "meera"}),
    (Audience(district="pune"), {"meera"}),
    (Audience(crop="onion"), {"ravi", "john"}),  # naming a crop replaces the advisory's own
])
def test_the_audience_narrows_by_state_language_district_and_crop(sessions, service, village, cotton_advisory,
                                                                  audience, who):
    with sessions() as db, db.begin():
        made, _, _ = broadcasts.advisory_broadcast(service, db, cotton_advisory, audience)
        broadcast_id = made.id
    assert set(_messages(sessions, broadcast_id)) == {village[name] for name in who}


def test_the_preview_shows_recipients_segments_and_cost_and_sends_nothing(sessions, service, village,
                                                                          cotton_advisory):
    with sessions() as db:
        made, plan, new = broadcasts.advisory_broadcast(service, db, cotton_advisory, Audience(district="Nashik"),
                                                        dry_run=True)
    assert made is None and not new
    assert [(p.locale, p.recipients, p.encoding) for p in plan.languages] == [("hi", 1, "UCS-2"), ("mr", 1, "UCS-2")]
    assert plan.segments == sum(p.segments for p in plan.languages) > 2
    assert plan.estimated_cost == Decimal("0.20") * plan.segments
    assert plan.as_dict()["estimated_cost"] == str(plan.estimated_cost)
    with sessions() as db:
        assert db.scalar(select(func.count()).select_from(OutboundMessage)) == 0


@pytest.mark.parametrize("audience, problem", [
    (Audience(crop="banana split"), "unknown crop 'banana split'"),
    (Audience(district="Atlantis"), "unknown district 'Atlantis'"),
    (Audience(district="Nashik", state="Kerala"), "unknown district 'Nashik' in Kerala"),
    (Audience(state="Narnia"), "unknown state 'Narnia'"),
    (Audience(district="Bilaspur"), "Bilaspur is a district in"),
    (Audience(locale="fr"), "unknown language 'fr'"),
    (Audience(district="Pune", locale="hi"),
     "nobody to send to: none of them uses this language (1 farmer matched the conditions before it)"),
])
def test_an_audience_that_cannot_be_reached_is_refused_with_the_reason(sessions, service, village,
                                                                       cotton_advisory, audience, problem):
    with sessions() as db, pytest.raises(BroadcastError) as refused:
        broadcasts.advisory_broadcast(service, db, cotton_advisory, audience)
    assert problem in str(refused.value)


def test_an_advisory_is_never_sent_as_service_implicit_and_must_exist(sessions, service, cotton_advisory):
    with sessions() as db:
        with pytest.raises(BroadcastError, match="never service_implicit"):
            broadcasts.advisory_broadcast(service, db, cotton_advisory, Audience(), category="service_implicit")
        with pytest.raises(BroadcastError, match="no advisory 999999"):
            broadcasts.advisory_broadcast(service, db, 999999, Audience())


def test_a_language_whose_text_dlt_would_drop_stops_the_whole_broadcast(sessions, service, village,
                                                                        cotton_advisory):
    with sessions() as db, db.begin():
        db.execute(update(DltTemplate).where(DltTemplate.category == "service_explicit",
                                             DltTemplate.name.like("broadcast.advisory_sms (mr)%"))
                   .values(active=False))
    try:
        with sessions() as db, pytest.raises(BroadcastError) as refused:
            broadcasts.advisory_broadcast(service, db, cotton_advisory, Audience(district="Nashik"))
        assert str(refused.value).startswith("mr: DLT: no registered service_explicit template")
        with sessions() as db:
            assert db.scalar(select(func.count()).select_from(Broadcast)) == 0
    finally:
        with sessions() as db, db.begin():
            db.execute(update(DltTemplate).values(active=True))


def test_dispatch_goes_in_chunks_and_progress_is_counted_from_the_rows(sessions, service, village,
                                                                       cotton_advisory, monkeypatch):
    chunks = []
    real = send_tasks.send_batch
    monkeypatch.setattr(send_tasks, "send_batch", lambda s, ids, **kw: chunks.append(list(ids)) or real(s, ids, **kw))
    monkeypatch.setattr("workers.broadcasts.CHUNK", 2)
    with sessions() as db, db.begin():
        made, _, _ = broadcasts.advisory_broadcast(service, db, cotton_advisory, Audience(state="Maharashtra"))
        broadcast_id = made.id
    assert [len(c) for c in chunks] == [2, 1]
    with sessions() as db:
        db.execute(update(OutboundMessage).where(OutboundMessage.id == chunks[0][0])
                   .values(status="delivered", cost=Decimal("0.1500"), cost_currency="INR"))
        db.commit()
        status = broadcasts.status(db, broadcast_id)
    assert status["counts"] == {"queued": 0, "sending": 0, "sent": 2, "delivered": 1, "undelivered": 0, "failed": 0,
                                "cancelled": 0}
    assert status["finished"] and status["recipients"] == 3 and status["status"] == "dispatched"
    assert (status["cost"], status["cost_currency"]) == ("0.1500", "INR")
    assert Decimal(status["estimated_cost"]) == Decimal("0.20") * status["segments"]


def test_at_night_a_broadcast_waits_for_the_window_and_skips_who_stopped_meanwhile(sessions, service, village,
                                                                                   cotton_advisory, clock, tasks):
    night = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)  # 01:30 in India
    clock.set(night)
    with sessions() as db, db.begin():
        made, _, _ = broadcasts.advisory_broadcast(service, db, cotton_advisory, Audience(district="Nashik"))
        broadcast_id = made.id
    with sessions() as db:
        status = broadcasts.status(db, broadcast_id)
    assert status["counts"]["queued"] == 2 and status["waiting_for_window"] == 2
    with sessions() as db, db.begin():  # Ravi sends STOP before morning
        db.execute(update(Farmer).where(Farmer.id == village["ravi"]).values(sms_opted_out=True))
    morning = datetime(2026, 11, 22, 4, 30, tzinfo=UTC)
    clock.set(morning)
    assert tasks.sweep_outbox(now=morning.isoformat())["released"] == 2
    messages = _messages(sessions, broadcast_id)
    assert messages[village["asha"]].status == "sent"
    assert (messages[village["ravi"]].status, messages[village["ravi"]].last_error) == \
        ("cancelled", "farmer opted out of SMS")
