from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from farmdb.models import ConsentEvent, Crop, District, Farmer, FarmerCrop


def test_a_phone_number_belongs_to_one_farmer(db):
    db.add(Farmer(phone="+919812345678", locale="hi"))
    db.commit()
    db.add(Farmer(phone="+919812345678", locale="mr"))
    with pytest.raises(IntegrityError):
        db.commit()


def test_consent_is_recorded_with_time_and_channel_and_survives_erasure(db):
    farmer = Farmer(phone="+919812345678", locale="mr", name="Sunita")
    db.add(farmer)
    given_at = datetime(2026, 6, 1, 4, 30, tzinfo=timezone.utc)
    db.add(farmer.give_consent("ussd", "consent.notice.v1", at=given_at))
    db.commit()
    assert farmer.has_consent and farmer.consent_channel == "ussd"

    db.add(farmer.withdraw_consent("sms", "consent.withdraw.v1"))
    db.commit()
    assert not farmer.has_consent
    db.delete(farmer)  # erasure after withdrawal: the events stay, no longer linked to a person
    db.commit()
    events = db.scalars(select(ConsentEvent).order_by(ConsentEvent.id)).all()
    assert [(e.action, e.channel, e.farmer_id) for e in events] == [("given", "ussd", None), ("withdrawn", "sms", None)]
    assert events[0].at == given_at


def test_times_come_back_as_aware_utc(db):
    farmer = Farmer(phone="+919812345678", locale="en")
    db.add(farmer)
    db.commit()
    db.expire_all()
    loaded = db.get(Farmer, farmer.id)
    assert loaded.created_at.tzinfo is not None and loaded.created_at.utcoffset() == timedelta(0)


def test_a_naive_datetime_is_refused(db):
    db.add(Farmer(phone="+919812345678", locale="en", consent_given_at=datetime(2026, 1, 1)))
    with pytest.raises(Exception, match="naive datetime"):
        db.commit()


def test_crop_stage_follows_the_sowing_date(db):
    wheat = db.scalar(select(Crop).where(Crop.code == "wheat"))
    sown = date(2026, 11, 10)
    stages = [s["stage"] for s in wheat.stages]
    assert wheat.stage_on(sown, sown) == stages[0]
    assert wheat.stage_on(sown, sown - timedelta(days=1)) is None
    assert wheat.stage_on(sown, sown + timedelta(days=400)) == stages[-1]


def test_a_farmer_grows_crops_and_has_a_district(db):
    nashik = db.scalar(select(District).where(District.name == "Nashik"))
    onion = db.scalar(select(Crop).where(Crop.code == "onion"))
    farmer = Farmer(phone="+919812345678", locale="mr", district=nashik, state=nashik.state)
    farmer.crops = [FarmerCrop(crop=onion, sown_on=date(2026, 10, 1))]
    db.add(farmer)
    db.commit()
    db.expire_all()
    loaded = db.scalar(select(Farmer).where(Farmer.phone == "+919812345678"))
    assert loaded.district.state.name == "Maharashtra"
    assert [fc.crop.name_in("mr") for fc in loaded.crops] == [onion.names["mr"]]
    assert loaded.crops[0].crop.name_in("mr", latin=True).isascii()
