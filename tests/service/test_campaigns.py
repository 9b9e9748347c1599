"""Recurring campaigns: their next time worked out in India's time zone, one broadcast a day however often the beat
looks, a missed day made once, and a week with nobody to send to said, not lost."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from farmdb.models import Advisory, Broadcast, Campaign, Crop, OutboundMessage
from service.broadcasts import Audience, BroadcastError, campaigns

UTC = timezone.utc
IST = "Asia/Kolkata"
WORDS = {"hi": "कपास में फेरोमोन ट्रैप देखते रहें।", "mr": "कापसात कामगंध सापळे तपासत राहा."}


@pytest.fixture(autouse=True)
def _noon(clock):
    """Noon in India (21 November 2026, a Saturday): inside every send window."""


@pytest.mark.parametrize("weekdays, at, after, expected", [
    ("mon", "07:00", datetime(2026, 11, 21, 6, 30, tzinfo=UTC), datetime(2026, 11, 23, 1, 30, tzinfo=UTC)),
    ("sat", "07:00", datetime(2026, 11, 21, 1, 29, tzinfo=UTC), datetime(2026, 11, 21, 1, 30, tzinfo=UTC)),
    ("sat", "07:00", datetime(2026, 11, 21, 1, 30, tzinfo=UTC), datetime(2026, 11, 28, 1, 30, tzinfo=UTC)),
    ("mon,thu", "18:30", datetime(2026, 11, 23, 13, 1, tzinfo=UTC), datetime(2026, 11, 26, 13, 0, tzinfo=UTC)),
    ("sun", "00:15", datetime(2026, 11, 21, 18, 44, tzinfo=UTC), datetime(2026, 11, 21, 18, 45, tzinfo=UTC)),
])
def test_the_next_time_is_in_indias_day(weekdays, at, after, expected):
    assert campaigns.next_run(weekdays, at, IST, after) == expected


@pytest.mark.parametrize("raw, problem", [("", "weekdays are some of"), ("monday", "weekdays are some of")])
def test_weekdays_are_checked(raw, problem):
    with pytest.raises(BroadcastError, match=problem):
        campaigns.weekdays_of(raw)


def test_a_campaign_makes_one_broadcast_a_day_and_a_missed_week_once(service, sessions, register_farmer):
    register_farmer(phone="+919800000001", locale="mr", district="Nashik", crops=("cotton",))
    register_farmer(phone="+919800000002", locale="hi", district="Nashik", crops=("cotton",))
    monday = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)  # 07:00 in India
    with sessions() as db, db.begin():
        made = campaigns.make(service, db, title="Cotton traps", audience=Audience(crop="cotton", district="Nashik"),
                              category="service_explicit", weekdays="mon", at_time="7:00", words=WORDS,
                              created_by="meera", now=datetime(2026, 11, 21, 6, 30, tzinfo=UTC))
        assert (made.weekdays, made.at_time, made.next_run_at) == ("mon", "07:00", monday)
        campaign_id = made.id
    assert campaigns.run_due(service, now=monday - timedelta(minutes=1))["due"] == 0
    assert campaigns.run_due(service, now=monday + timedelta(minutes=1)) == {"due": 1, "made": 1, "refused": 0}
    assert campaigns.run_due(service, now=monday + timedelta(minutes=2))["due"] == 0  # once that day
    three_weeks_on = monday + timedelta(days=21, hours=3)
    assert campaigns.run_due(service, now=three_weeks_on) == {"due": 1, "made": 1, "refused": 0}  # once, not 3x
    with sessions() as db:
        broadcasts = db.scalars(select(Broadcast).order_by(Broadcast.id)).all()
        assert [(b.key, b.recipients, b.created_by) for b in broadcasts] == [
            (f"campaign:{campaign_id}:2026-11-23", 2, f"campaign:{campaign_id}"),
            (f"campaign:{campaign_id}:2026-12-14", 2, f"campaign:{campaign_id}")]
        campaign = db.get(Campaign, campaign_id)
        assert campaign.next_run_at == datetime(2026, 12, 21, 1, 30, tzinfo=UTC)
        assert campaign.last_broadcast_id == broadcasts[-1].id and campaign.last_error is None
        assert db.scalar(select(OutboundMessage.body).where(OutboundMessage.locale == "mr")).startswith(
            "खेती सहायक: कापसात कामगंध सापळे तपासत राहा.")


def test_a_week_with_nobody_to_send_to_is_said_on_the_campaign(service, sessions):
    with sessions() as db, db.begin():
        advisory = db.scalar(select(Advisory.id).join(Crop).where(Crop.code == "cotton").order_by(Advisory.id))
        made = campaigns.make(service, db, title="Cotton advice", audience=Audience(district="Pune"),
                              category="service_explicit", weekdays="sat", at_time="12:00", advisory_id=advisory,
                              now=datetime(2026, 11, 21, 6, 0, tzinfo=UTC))
        assert made.audience["crop"] == "cotton"  # the advisory's crop
        campaign_id = made.id
    assert campaigns.run_due(service, now=datetime(2026, 11, 21, 6, 31, tzinfo=UTC))["refused"] == 1
    with sessions() as db:
        campaign = db.get(Campaign, campaign_id)
        assert campaign.last_error.startswith("nobody to send to") and campaign.last_broadcast_id is None
        assert campaign.next_run_at == datetime(2026, 11, 28, 6, 30, tzinfo=UTC)


@pytest.mark.parametrize("changes, problem", [
    ({"audience": Audience(district="Atlantis")}, "unknown district 'Atlantis'"),
    ({"words": {"hi": ""}}, "write the message in at least one language"),
    ({"advisory_id": 99_999_999, "words": None}, "no advisory 99999999"),
    ({"category": "service_implicit"}, "the category is one of"),
    ({"at_time": "25:00"}, "is not a time such as 07:00"),
])
def test_a_campaign_that_could_not_be_sent_is_refused_when_made(service, sessions, changes, problem):
    values = {"title": "x", "audience": Audience(), "category": "service_explicit", "weekdays": "mon",
              "at_time": "07:00", "words": WORDS, **changes}
    with sessions() as db, pytest.raises(BroadcastError, match=problem):
        campaigns.make(service, db, **values)
