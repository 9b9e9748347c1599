"""Quiet hours: promotional and service-explicit SMS only inside their local window; the rest at any hour."""
from datetime import datetime, timezone

import pytest

from service.settings import Settings, SettingsError
from service.send_windows import next_send_time, zone_for

WINDOWS = Settings.from_env({}).send_windows  # the default: TRAI's 10:00-21:00 for both categories
UTC = timezone.utc


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize("category, phone, now, opens", [
    ("promotional", "+919812345678", "2026-11-21 03:00", "2026-11-21 04:30"),  # 08:30 IST: wait till 10:00 IST
    ("promotional", "+919812345678", "2026-11-21 04:30", None),  # 10:00 IST sharp: open
    ("service_explicit", "+919812345678", "2026-11-21 15:29", None),  # 20:59 IST
    ("service_explicit", "+919812345678", "2026-11-21 15:30", "2026-11-22 04:30"),  # 21:00 IST: tomorrow 10:00
    ("service_explicit", "+919812345678", "2026-11-21 20:00", "2026-11-22 04:30"),  # 01:30 IST, after midnight
    ("service_implicit", "+919812345678", "2026-11-21 20:00", None),  # receipts and replies: any hour
    ("promotional", "+254712345678", "2026-11-21 05:00", "2026-11-21 07:00"),  # 08:00 in Nairobi: its own zone
    ("promotional", "+254712345678", "2026-11-21 08:00", None),
])
def test_a_windowed_category_waits_for_the_recipients_local_window(category, phone, now, opens):
    expected = at(opens) if opens else None
    assert next_send_time(WINDOWS, category, phone, at(now), "Asia/Kolkata") == expected


def test_a_number_with_no_single_zone_uses_the_configured_one():
    assert str(zone_for("+919812345678", "Africa/Nairobi")) in ("Asia/Kolkata", "Asia/Calcutta")
    assert str(zone_for("not a number", "Africa/Nairobi")) == "Africa/Nairobi"
    assert str(zone_for("+12025550123", "Asia/Kolkata")) == "America/New_York"


def test_windows_are_configurable_per_category():
    windows = Settings.from_env({"SEND_WINDOWS": "promotional=09:00-18:30"}).send_windows
    assert next_send_time(windows, "service_explicit", "+919812345678", at("2026-11-21 20:00"), "UTC") is None
    assert next_send_time(windows, "promotional", "+919812345678", at("2026-11-21 13:00"), "UTC") == \
        at("2026-11-22 03:30")
    assert str(windows) == "promotional=09:00-18:30"
    assert Settings.from_env({"SEND_WINDOWS": "none"}).send_windows.for_category("promotional") is None
    assert Settings.from_env({"SEND_WINDOWS": ""}).send_windows == WINDOWS  # empty means unset: the default


@pytest.mark.parametrize("raw, problem", [
    ("promotional=21:00-10:00", "must start before it ends"),
    ("spam=10:00-21:00", "is not category=HH:MM-HH:MM"),
    ("promotional=25:00-26:00", "out of range"),
    ("promotional 10-21", "is not category=HH:MM-HH:MM"),
])
def test_a_bad_window_stops_start_up_with_its_reason(raw, problem):
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"SEND_WINDOWS": raw})
    assert str(caught.value).startswith("SEND_WINDOWS: ") and problem in str(caught.value)
