"""Farmers from a CSV: every bad row named by line and reason, good rows added with their consent evidence, a known
number merged and never duplicated, the farmer's own choices and opt-out kept."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from farmdb.models import ConsentEvent, Farmer
from service.farmer_import import FileProblem, bring_in, check

HEADER = "phone,name,language,district,state,crops,consent_at,consent_channel,consent_notice\n"


def _check(db, settings, rows: str):
    return check(db, settings, HEADER + rows)


@pytest.mark.parametrize("row, reason", [
    ("12345,Ravi,hi,Pune,,onion,2026-11-02,paper,form-v1", "'12345' is not a phone number"),
    ("9822200011,Ravi,xx,Pune,,onion,2026-11-02,paper,form-v1", "unknown language 'xx' (en, hi or mr)"),
    ("9822200011,Ravi,hi,Atlantis,,onion,2026-11-02,paper,form-v1", "no district called 'Atlantis'"),
    ("9822200011,Ravi,hi,Pune,Kerala,onion,2026-11-02,paper,form-v1", "no district called 'Pune' in Kerala"),
    ("9822200011,Ravi,hi,Pune,,tobacco,2026-11-02,paper,form-v1", "unknown crop 'tobacco'"),
    ("9822200011,Ravi,hi,Pune,,onion,02/11/2026,paper,form-v1", "consent_at '02/11/2026' is not a date"),
    ("9822200011,Ravi,hi,Pune,,onion,2099-01-01,paper,form-v1", "consent_at is in the future"),
    ("9822200011,Ravi,hi,Pune,,onion,2026-11-02,telepathy,form-v1", "consent_channel is one of paper"),
    ("9822200011,Ravi,hi,Pune,,onion,2026-11-02,paper,", "consent_notice is empty"),
    ("9822200011,<script>,hi,Pune,,onion,2026-11-02,paper,form-v1", "holds < or >"),
    ("9822200011,Ra\x00vi,hi,Pune,,onion,2026-11-02,paper,form-v1", "a cell holds a NUL character"),
])
def test_each_bad_row_is_named_by_line_and_reason(row, reason, db, settings):
    report = _check(db, settings, "9833300022,Sita,mr,Nashik,,,2026-11-01,field_agent,form-v1\n" + row + "\n")
    assert len(report.good) == 1
    [(line, said)] = report.bad
    assert line == 3 and reason in said


def test_people_write_languages_crops_and_dates_their_own_way(db, settings):
    report = _check(db, settings, "+91 98222-00011,Ravi,Marathi,pune,maharashtra,\"Onion; gehun, कापूस\","
                                  "2026-11-02 10:30,ivr,ivr-notice-3\n")
    [row] = report.good
    assert (row.phone, row.locale, row.crops) == ("+919822200011", "mr", ("onion", "wheat", "cotton"))
    assert row.consent_at == datetime(2026, 11, 2, 5, 0, tzinfo=timezone.utc)  # 10:30 in India


def test_the_same_number_twice_in_a_file_is_refused_the_second_time(db, settings):
    report = _check(db, settings, "9822200011,Ravi,hi,Pune,,,2026-11-02,paper,f\n"
                                  "098222 00011,Ravi J,hi,Pune,,,2026-11-02,paper,f\n")
    assert report.bad == [(3, "the same number as line 2")]


def test_a_file_without_the_required_columns_is_refused_whole(db, settings):
    with pytest.raises(FileProblem, match="no consent_at, consent_channel, consent_notice column"):
        check(db, settings, "phone,district\n9822200011,Pune\n")


def test_good_rows_come_in_with_their_consent_and_known_numbers_are_merged(db, settings, sessions,
                                                                           register_farmer):
    asha = register_farmer(locale="en", crops=("onion",))  # +919812345678, Nashik, consented already
    with sessions() as s, s.begin():
        s.get(Farmer, asha).sms_opted_out = True
    report = _check(db, settings, "9822200011,Ravi,hi,Pune,,tomato,2026-11-02,paper,form-v1\n"
                                  "9812345678,Asha P,mr,Satara,,wheat,2026-10-01,paper,form-v1\n")
    steps = []
    bring_in(sessions, report, steps.append)
    assert (report.added, report.merged, steps) == (1, 1, [2])
    db.rollback()
    ravi = db.scalar(select(Farmer).where(Farmer.phone == "+919822200011"))
    assert (ravi.name, ravi.locale, ravi.district.name, ravi.registered_via) == ("Ravi", "hi", "Pune", "import")
    assert ravi.consent_given_at == datetime(2026, 11, 2, 6, 30, tzinfo=timezone.utc)  # noon in India
    [given] = db.scalars(select(ConsentEvent).where(ConsentEvent.farmer_id == ravi.id)).all()
    assert (given.action, given.channel, given.notice) == ("given", "paper", "form-v1")

    merged = db.get(Farmer, asha)
    assert (merged.name, merged.locale, merged.district.name, merged.sms_opted_out) == \
        ("Asha Pawar", "en", "Nashik", True)  # their own choices, and their opt-out, kept
    assert sorted(fc.crop.code for fc in merged.crops) == ["onion", "wheat"]
    evidence = db.execute(select(ConsentEvent.channel, ConsentEvent.notice).where(ConsentEvent.farmer_id == asha)
                          .order_by(ConsentEvent.id)).all()
    assert evidence == [("operator", "reg.consent.notice"), ("paper", "form-v1")]  # the file's evidence kept too
    assert merged.consent_channel == "operator"  # their own record unchanged

    bring_in(sessions, _check(db, settings, "9822200011,Ravi,hi,Pune,,tomato,2026-11-02,paper,form-v1\n"))
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Farmer).where(Farmer.phone == "+919822200011")) == 1


def test_every_problem_of_a_row_is_said_not_only_the_first(db, settings):
    report = _check(db, settings, "12,Ravi,xx,Atlantis,,tobacco,02/11/2026,telepathy,\n")
    [(line, reason)] = report.bad
    assert line == 2 and reason.split("; ") == [
        "consent_notice is empty", "'12' is not a phone number", "unknown language 'xx' (en, hi or mr)",
        "no district called 'Atlantis'", "unknown crop 'tobacco'", "consent_channel is one of paper, field_agent, "
        "ivr, ussd, sms, web", "consent_at '02/11/2026' is not a date (2026-11-02 or 2026-11-02 10:30)"]
