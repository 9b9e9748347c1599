"""The USSD session store: compact, expiring, and one caller at a time."""
import threading

import pytest

from dialogs.model import Profile, Session
from dialogs.store import Busy, SessionStore, Stored


def _stored(screen="prices", reply_chars=180):
    session = Session(screen=screen, locale="mr", back=["main", "prices_crop"], answers={"crop": "onion"},
                      profile=Profile(41235, "Ramesh Patil", "mr", 20, 337,
                                      {"onion": "2026-10-01", "soybean": None}))
    return Stored("ATUid_0123456789abcdef01234567", "2*6", "CON " + "x" * reply_chars, session)


def test_a_typical_session_serialises_small():
    assert len(_stored().dumps().encode()) < 500
    devanagari = _stored()
    devanagari.reply = "CON " + "क" * 80  # a full UCS-2 screen: 3 bytes a letter in UTF-8, not 6 as \\u escapes
    assert len(devanagari.dumps().encode()) < 560


def test_round_trip():
    stored = _stored()
    again = Stored.loads(stored.dumps().encode())
    assert again.session.to_dict() == stored.session.to_dict() and again.reply == stored.reply


def test_mid_flow_sessions_live_long_enough_to_be_continued(redis_client):
    store = SessionStore(redis_client, ttl=180, resume_window=600)
    store.save("+919812345678", _stored(), mid_flow=True)
    assert 590 < redis_client.ttl(store.key("+919812345678")) <= 600
    store.save("+919812345678", _stored("main"), mid_flow=False)
    assert 170 < redis_client.ttl(store.key("+919812345678")) <= 180
    ended = _stored()
    ended.ended = True
    store.save("+919812345678", ended, mid_flow=True)
    assert redis_client.ttl(store.key("+919812345678")) <= 180


def test_the_key_is_a_cluster_hash_tag():
    assert SessionStore(None).key("+919812345678") == "ussd:{+919812345678}"


def test_a_hop_holds_the_lock_reads_then_writes_as_it_lets_go(redis_client, monkeypatch):
    """The second hop waits for the first: it is refused the lock (at least once) while the first holds it, and
    reads what the first wrote. Ordered by events, not by sleeping."""
    store = SessionStore(redis_client)
    order, first_in, refused = [], threading.Event(), threading.Event()
    take = store._take

    def take_noting_refusals(keys, args):
        got, raw = take(keys=keys, args=args)
        if not got:
            refused.set()
        return got, raw
    store._take = take_noting_refusals

    def first():
        with store.hop("+919812345678") as hop:
            order.append(("first in", hop.stored))
            first_in.set()
            assert refused.wait(5), "the second hop never asked for the lock"
            hop.save(_stored("weather"), mid_flow=True)
            order.append("first out")

    def second():
        with store.hop("+919812345678") as hop:  # waits for the first hop, then sees what it wrote
            order.append(("second in", hop.stored.session.screen))

    holder = threading.Thread(target=first)
    holder.start()
    assert first_in.wait(5)
    waiter = threading.Thread(target=second)
    waiter.start()
    holder.join(10)
    waiter.join(10)
    assert order == [("first in", None), "first out", ("second in", "weather")]
    assert redis_client.get(store.key("+919812345678") + ":lock") is None

    monkeypatch.setattr("dialogs.store.LOCK_WAIT_S", 0.1)
    redis_client.set(store.key("+919812345678") + ":lock", "someone", px=5000)
    with pytest.raises(Busy):
        with store.hop("+919812345678"):
            pass
    assert redis_client.get(store.key("+919812345678") + ":lock") == b"someone"  # not ours: left alone


def test_a_hop_that_outlived_its_lock_writes_nothing(redis_client):
    store = SessionStore(redis_client)
    lock = store.key("+919812345678") + ":lock"
    with pytest.raises(Busy):
        with store.hop("+919812345678") as hop:
            redis_client.set(lock, "the next hop", px=5000)  # ours expired mid-hop; another hop took it
            hop.save(_stored(), mid_flow=False)
    assert redis_client.get(lock) == b"the next hop"  # not released by its old owner
    assert redis_client.get(store.key("+919812345678")) is None  # and the newer hop's state is not overwritten


def test_a_hop_that_fails_lets_go_of_the_lock(redis_client):
    store = SessionStore(redis_client)
    with pytest.raises(RuntimeError):
        with store.hop("+919812345678"):
            raise RuntimeError("database down")
    assert redis_client.get(store.key("+919812345678") + ":lock") is None


def test_a_lock_request_that_redis_runs_too_late_takes_no_lock(redis_client):
    """Redis paused and resumed runs what was waiting: a request whose sender gave up must not take the lock (the
    fault-injection suite pauses a real Redis; this is the script's own rule)."""
    store = SessionStore(redis_client)
    took = store._take(keys=["ussd:{+919812345678}:lock", "ussd:{+919812345678}"], args=["t1", 6000, 1])
    assert took[0] == -1 and not redis_client.exists("ussd:{+919812345678}:lock")
    seconds, micros = redis_client.time()
    in_time = seconds * 1000 + micros // 1000 + 500
    took = store._take(keys=["ussd:{+919812345678}:lock", "ussd:{+919812345678}"], args=["t2", 6000, in_time])
    assert took[0] == 1 and redis_client.get("ussd:{+919812345678}:lock") == b"t2"


def test_a_clock_measured_against_redis_survives_a_step_of_ours(redis_client, monkeypatch):
    from dialogs.store import RedisClock
    clock = RedisClock(redis_client)
    clock.wait_ms = 500
    clock.deadline_ms()  # measured
    seconds, micros = redis_client.time()
    monkeypatch.setattr("time.time", lambda: 0.0)  # then NTP steps our wall clock back by decades
    assert abs(clock.deadline_ms() - (seconds * 1000 + micros // 1000 + 500)) < 250
