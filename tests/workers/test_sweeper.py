"""The outbox sweeper: a lost task, a broker restart or a dead worker loses no SMS."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from farmdb.models import Broadcast, OutboundMessage

UTC = timezone.utc
T0 = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _console_sender():
    """In-process tasks with the app's backends and the console sender."""


def _row(db, key, status="queued", touched=T0, broadcast_id=None, provider_id=None, send_after=None,
         farmer_id=None):
    row = OutboundMessage(idempotency_key=key, phone="+254712345678", body="Mvua kubwa kesho.", locale="en",
                          farmer_id=farmer_id,
                          category="service_implicit", purpose="reply", encoding="GSM-7", segments=1, status=status,
                          attempts=0 if status == "queued" else 1, broadcast_id=broadcast_id,
                          provider_message_id=provider_id, send_after=send_after)
    db.add(row)
    db.flush()
    db.execute(update(OutboundMessage).where(OutboundMessage.id == row.id).values(updated_at=touched))
    return row.id


def _statuses(sessions) -> dict[str, tuple]:
    with sessions() as db:
        return {r.idempotency_key: (r.status, r.attempts, r.last_error) for r in db.query(OutboundMessage)}


def test_lost_tasks_are_queued_again_and_fresh_ones_left_alone(sessions, tasks):
    with sessions() as db, db.begin():
        _row(db, "lost")  # its task vanished with a broker restart
        _row(db, "fresh", touched=T0 + timedelta(minutes=4))  # its task may still be on its way
        _row(db, "handed-over", provider_id="ATXid_1")  # the provider has it (status "queued" at the provider)
        _row(db, "done", status="sent", provider_id="ATXid_2")
    counts = tasks.sweep_outbox(now=(T0 + timedelta(minutes=5, seconds=1)).isoformat())
    assert counts == {"released": 0, "requeued": 1, "resent": 0, "call_backs": 0}
    rows = _statuses(sessions)
    assert rows["lost"] == ("sent", 1, None)
    assert rows["fresh"][0] == rows["handed-over"][0] == "queued"


def test_a_row_whose_worker_died_mid_send_is_sent_again_and_says_so(sessions, tasks):
    with sessions() as db, db.begin():
        _row(db, "orphan", status="sending")
        _row(db, "busy", status="sending", touched=T0 + timedelta(minutes=5))
    counts = tasks.sweep_outbox(now=(T0 + timedelta(minutes=10, seconds=1)).isoformat())
    assert counts["resent"] == 1
    rows = _statuses(sessions)
    assert rows["orphan"][:2] == ("sent", 2) and "sent again" in rows["orphan"][2]
    assert rows["busy"][0] == "sending"  # still within a send's time: its worker may be alive


def test_a_moving_broadcast_is_not_swept_but_a_stalled_one_is(sessions, register_farmer, tasks):
    farmer_id = register_farmer(phone="+254712345678")
    with sessions() as db, db.begin():
        moving = Broadcast(key="b:moving", kind="advisory", category="service_implicit", progress_at=T0)
        stalled = Broadcast(key="b:stalled", kind="advisory", category="service_implicit",
                            progress_at=T0 - timedelta(hours=1))
        db.add_all([moving, stalled])
        db.flush()
        old = T0 - timedelta(minutes=30)  # both waited long in the broker: a million rows take minutes
        _row(db, "moving", touched=old, broadcast_id=moving.id, farmer_id=farmer_id)
        _row(db, "stalled", touched=old, broadcast_id=stalled.id, farmer_id=farmer_id)
    counts = tasks.sweep_outbox(now=(T0 + timedelta(seconds=30)).isoformat())
    assert counts["requeued"] == 1
    rows = _statuses(sessions)
    assert (rows["moving"][0], rows["stalled"][0]) == ("queued", "sent")


def test_a_second_sweep_does_not_publish_the_same_rows_again(sessions, monkeypatch, tasks):
    published = []
    monkeypatch.setattr("workers.sweeper._publish", lambda app, rows: published.append(sorted(rows)))
    with sessions() as db, db.begin():
        _row(db, "a")
        _row(db, "b")
    later = T0 + timedelta(minutes=6)
    assert tasks.sweep_outbox(now=later.isoformat())["requeued"] == 2
    assert tasks.sweep_outbox(now=(later + timedelta(seconds=60)).isoformat())["requeued"] == 0
    first, second = published[:3], published[3:]  # one call per kind (released, requeued, resent) and sweep
    assert [len(rows) for rows in first] == [0, 2, 0] and [len(rows) for rows in second] == [0, 0, 0]


def test_rows_held_for_their_window_are_released_when_it_opens(sessions, tasks):
    with sessions() as db, db.begin():
        _row(db, "held", send_after=T0 + timedelta(hours=1))
    assert tasks.sweep_outbox(now=(T0 + timedelta(minutes=59)).isoformat()) == {
        "released": 0, "requeued": 0, "resent": 0, "call_backs": 0}
    assert tasks.sweep_outbox(now=(T0 + timedelta(hours=1)).isoformat())["released"] == 1
    assert _statuses(sessions)["held"][0] == "sent"


def test_a_missed_call_whose_call_back_was_lost_is_queued_again_once(sessions, redis_client, monkeypatch, tasks):
    from farmdb.models import CallLog
    queued = []
    monkeypatch.setattr(tasks.call_back, "delay", lambda ring_id: queued.append(ring_id))

    def ring(db, call_id, phone, minutes_ago):
        row = CallLog(provider="twilio", call_id=call_id, kind="missed_call", direction="inbound", phone=phone,
                      line="+912071177300", status="rejected")
        db.add(row)
        db.flush()
        db.execute(update(CallLog).where(CallLog.id == row.id).values(created_at=T0 - timedelta(minutes=minutes_ago)))
        return row.id

    with sessions() as db, db.begin():
        lost = ring(db, "CA1", "+919800000001", 10)
        ring(db, "CA2", "+919800000002", 10)  # called back: its call-back is logged
        db.add(CallLog(provider="twilio", call_id="CA2b", kind="callback", direction="outbound",
                       phone="+919800000002", status="completed"))
        ring(db, "CA3", "+919800000003", 10)  # being called back right now (its claim is held)
        ring(db, "CA4", "+919800000004", 1)  # too fresh: its task may still be on its way
        ring(db, "CA5", "+919800000005", 24 * 60)  # outside the call-back period: too late to call
    redis_client.set("callback:+919800000003", 3)
    assert tasks.sweep_outbox(now=T0.isoformat())["call_backs"] == 1
    assert queued == [lost]
    assert tasks.sweep_outbox(now=(T0 + timedelta(minutes=1)).isoformat())["call_backs"] == 0  # once per ring
