"""Farmers brought in from a CSV (a field team's sign-up sheets, another programme's list), each with the evidence of
their consent: when they gave it, how, and to which notice. First `check` reads every row and says what is wrong
with each bad one, by line; then `bring_in` adds the good ones. A number we know already is merged into that farmer
(what is empty is filled, crops are added; their own choices and their SMS opt-out are kept), never duplicated.

Columns (a header row names them, in any order): phone, name, language, district, state, crops, consent_at,
consent_channel, consent_notice. Required: phone, district, consent_at, consent_channel, consent_notice."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from farmdb import districts as district_rows, farmers as farmer_rows
from farmdb.models import ConsentEvent, Crop, District, Farmer, State
from farmdb.phones import InvalidPhoneNumber, to_e164
from locales.languages import LANGUAGES
from service.settings import Settings

REQUIRED = ("phone", "district", "consent_at", "consent_channel", "consent_notice")
COLUMNS = REQUIRED + ("name", "language", "state", "crops")
CONSENT_CHANNELS = ("paper", "field_agent", "ivr", "ussd", "sms", "web")  # how the farmer said yes
MAX_ROWS = 200_000
BATCH = 500  # rows per transaction: a crash loses at most one batch, and running the import again merges


class FileProblem(ValueError):
    """The file as a whole cannot be read (no header, a required column missing, too many rows)."""


@dataclass(frozen=True)
class Row:
    line: int
    phone: str
    name: str | None
    locale: str
    district_id: int
    state_id: int
    crops: tuple[str, ...]
    consent_at: datetime
    consent_channel: str
    consent_notice: str


@dataclass
class Report:
    good: list[Row] = field(default_factory=list)
    bad: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    added: int = 0
    merged: int = 0


class _Lookups:
    """Districts, crops and languages as people write them, read once per file."""

    def __init__(self, db: Session):
        self.districts: dict[str, list[tuple[int, int, str]]] = {}
        for district_id, name, state_id, state in db.execute(
                select(District.id, District.name, State.id, State.name).join(State)):
            self.districts.setdefault(name.lower(), []).append((district_id, state_id, state))
        by_id = {place[0]: place for places in self.districts.values() for place in places}
        for former, ids in district_rows.former_names(db).items():  # "Allahabad" is Prayagraj, unless a district
            self.districts.setdefault(former, [by_id[i] for i in ids])  # is called so today
        self.crops: dict[str, str] = {}
        for crop in db.scalars(select(Crop)):
            for word in [crop.code, *crop.names.values(), *crop.romanised.values()]:
                self.crops.setdefault(word.strip().lower(), crop.code)
        self.languages = {}
        for language in LANGUAGES:
            for word in (language.code, language.english_name, language.native_name):
                self.languages[word.lower()] = language.code


def check(db: Session, settings: Settings, text: str) -> Report:
    """Every row read and judged; nothing written."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))  # spreadsheets often save a BOM
    header = [(name or "").strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise FileProblem(f"the header row has no {', '.join(missing)} column (columns: {', '.join(COLUMNS)})")
    reader.fieldnames = header
    lookups, report, seen = _Lookups(db), Report(), {}
    for number, raw in enumerate(reader, start=2):  # line 1 is the header
        if number - 1 > MAX_ROWS:
            raise FileProblem(f"more than {MAX_ROWS} rows: split the file")
        cells = {k: (v or "").strip() for k, v in raw.items() if k}
        if not any(cells.values()):
            continue  # a blank line
        try:
            row = _row(number, cells, lookups, settings)
        except ValueError as problem:
            report.bad.append((number, str(problem)))
            continue
        if row.phone in seen:
            report.bad.append((number, f"the same number as line {seen[row.phone]}"))
            continue
        seen[row.phone] = number
        report.good.append(row)
    return report


def _row(line: int, cells: dict, lookups: _Lookups, settings: Settings) -> Row:
    """The row, or a ValueError saying everything wrong with it (not only the first thing), "; "-separated."""
    if any("\x00" in value for value in cells.values()):
        raise ValueError("a cell holds a NUL character")
    problems = [f"{name} is empty" for name in REQUIRED if not cells.get(name)]

    def checked(read, *args):
        try:
            return read(*args)
        except ValueError as problem:
            problems.append(str(problem))
            return None

    phone = checked(_phone, cells["phone"], settings) if cells.get("phone") else None
    locale = checked(_language, cells.get("language") or settings.default_locale, lookups)
    place = checked(_district, cells["district"], cells.get("state", ""), lookups) if cells.get("district") else None
    crops = checked(_crops, cells.get("crops", ""), lookups)
    channel = checked(_channel, cells["consent_channel"]) if cells.get("consent_channel") else None
    name = checked(_name, cells.get("name") or None)
    at = checked(_moment, cells["consent_at"], settings.timezone) if cells.get("consent_at") else None
    if problems:
        raise ValueError("; ".join(problems))
    return Row(line, phone, name, locale, place[0], place[1], crops, at, channel, cells["consent_notice"][:64])


def _phone(text: str, settings: Settings) -> str:
    try:
        return to_e164(text, settings.default_region)
    except InvalidPhoneNumber:
        raise ValueError(f"{text[:20]!r} is not a phone number") from None


def _language(text: str, lookups: _Lookups) -> str:
    locale = lookups.languages.get(text.lower())
    if locale is None:
        raise ValueError(f"unknown language {text[:20]!r} (en, hi or mr)")
    return locale


def _district(district: str, state: str, lookups: _Lookups) -> tuple[int, int]:
    places = lookups.districts.get(district.lower(), [])
    if state:
        places = [p for p in places if p[2].lower() == state.lower()]
    if not places:
        raise ValueError(f"no district called {district[:40]!r}" + (f" in {state[:40]}" if state else ""))
    if len(places) > 1:
        raise ValueError(f"{district} is a district in {', '.join(p[2] for p in places)}: fill in state")
    return places[0][0], places[0][1]


def _crops(text: str, lookups: _Lookups) -> tuple[str, ...]:
    crops = []
    for word in text.replace(";", ",").split(","):
        if word.strip():
            code = lookups.crops.get(word.strip().lower())
            if code is None:
                raise ValueError(f"unknown crop {word.strip()[:30]!r}")
            crops.append(code)
    return tuple(dict.fromkeys(crops))


def _channel(text: str) -> str:
    if text.lower() not in CONSENT_CHANNELS:
        raise ValueError(f"consent_channel is one of {', '.join(CONSENT_CHANNELS)}")
    return text.lower()


def _name(name: str | None) -> str | None:
    if name and (len(name) > 80 or any(ch in name for ch in "<>")):
        raise ValueError("the name is longer than 80 characters or holds < or >")
    return name


def _moment(text: str, zone: str) -> datetime:
    """'2026-11-02' or '2026-11-02 10:30' (the service's time zone) or with an offset; never in the future."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"consent_at {text[:30]!r} is not a date (2026-11-02 or 2026-11-02 10:30)") from None
    if isinstance(moment, date) and len(text) <= 10:
        moment = datetime.combine(moment.date(), time(12))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    moment = moment.astimezone(timezone.utc)
    if moment > datetime.now(timezone.utc):
        raise ValueError("consent_at is in the future")
    return moment


def bring_in(sessions, report: Report, progress: Callable[[int], None] = lambda done: None) -> Report:
    """Add the good rows, BATCH to a transaction; `progress(rows done)` after each batch."""
    for start in range(0, len(report.good), BATCH):
        batch = report.good[start:start + BATCH]
        with sessions() as db, db.begin():
            known = {f.phone: f for f in db.scalars(select(Farmer).options(selectinload(Farmer.crops))
                                                    .where(Farmer.phone.in_([r.phone for r in batch])))}
            for row in batch:
                if row.phone in known:
                    _merge(db, known[row.phone], row)
                    report.merged += 1
                else:
                    _add(db, row)
                    report.added += 1
        progress(start + len(batch))
    return report


def _add(db: Session, row: Row) -> None:
    farmer = Farmer(phone=row.phone, name=row.name, locale=row.locale, state_id=row.state_id,
                    district_id=row.district_id, registered_via="import", sms_opted_out=False)
    db.add(farmer)
    farmer_rows.set_crops(db, farmer, row.crops)
    db.add(farmer.give_consent(row.consent_channel, row.consent_notice, at=row.consent_at))


def _merge(db: Session, farmer: Farmer, row: Row) -> None:
    farmer.name = farmer.name or row.name
    if farmer.district_id is None:
        farmer.district_id, farmer.state_id = row.district_id, row.state_id
    have = [fc.crop.code for fc in farmer.crops]
    farmer_rows.set_crops(db, farmer, have + [c for c in row.crops if c not in have])
    if not farmer.has_consent:
        db.add(farmer.give_consent(row.consent_channel, row.consent_notice, at=row.consent_at))
    else:  # they had consented already: the file's evidence is kept beside it, their own record unchanged
        db.add(ConsentEvent(farmer=farmer, action="given", channel=row.consent_channel, notice=row.consent_notice,
                            at=row.consent_at))
