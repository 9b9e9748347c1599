"""The dialog engine as a table: who calls (a stranger or a registered farmer), what they press, and the screen,
words and effects that must come of it. Pure: the farm is in memory (tests/dialogs/farm.py), nothing is stored."""
from dataclasses import dataclass, field

import pytest

from dialogs.effects import (
    CreateExpertRequest, EraseFarmer, RegisterFarmer, SendSms, StartPayment, UpdateFarmer,
)
from dialogs.engine import resume
from dialogs.flows import farmer_dialog
from dialogs.model import Event, Session
from dialogs.texts import texts
from tests.dialogs.farm import Farm

PHONE = "+919812345678"
en = texts("en", latin=True)


@dataclass
class Case:
    name: str
    inputs: list
    screen: str
    effects: list = field(default_factory=list)
    shows: tuple[str, ...] = ()  # text the last screen must show
    stranger: bool = False
    end: bool = False


def shortcut(intent: str, **entities):
    return ("shortcut", intent, entities)


CASES = [
    # A stranger registers: language, name, state, district, crops (tick several, then 99), consent.
    Case("registration", ["1", "Ravi Kumar", "1", "1", "2", "99", "1"], "main", stranger=True,
         effects=[RegisterFarmer(phone=PHONE, name="Ravi Kumar", locale="en", state_id=1, district_id=11,
                                 crops=("onion",), channel="ussd", consent_notice="reg.consent.notice")],
         shows=("Ravi",)),
    Case("registration in Hindi keeps the language", ["2", "रवि कुमार", "2", "1", "1", "99", "1"], "main",
         stranger=True, effects=[RegisterFarmer(phone=PHONE, name="रवि कुमार", locale="hi", state_id=2,
                                                district_id=21, crops=("wheat",), channel="ussd",
                                                consent_notice="reg.consent.notice")]),
    Case("a district found by typing its name", ["1", "Ravi", "2", "purn"], "reg_crops", stranger=True),
    Case("saying no to consent stores nothing", ["1", "Ravi", "1", "1", "1", "99", "2"], "reg_declined",
         stranger=True, end=True),
    Case("a name that is not a name is asked again", ["1", "12345"], "reg_name", stranger=True,
         shows=(en("error.name"),)),
    Case("no crop ticked: done is refused", ["1", "Ravi", "1", "1", "99"], "reg_crops", stranger=True,
         shows=(en("error.choose_one"),)),
    Case("back from the state list returns to the name", ["1", "Ravi", "0"], "reg_name", stranger=True),
    # A registered farmer.
    Case("weather with its hint", ["1"], "weather", shows=("Nashik", en("weather.hint.rain_tomorrow"))),
    Case("prices at the nearest mandi", ["2", "2"], "prices", shows=("Lasalgaon", "1,850")),
    Case("a crop with no prices says so", ["2", "1"], "prices", shows=(en("prices.none", crop="Wheat"),)),
    Case("home from anywhere", ["2", "2", "00"], "main"),
    Case("back, screen by screen", ["2", "0"], "main"),
    Case("an option that is not there", ["9"], "main", shows=(en("error.invalid_option"),)),
    Case("input no keypad makes", ["1" * 161], "main", shows=(en("error.too_long"),)),
    Case("advice for the stage the sowing date gives", ["3", "2"], "advice",
         shows=("Give the second dose of nitrogen now.",)),
    Case("advice asks the stage when the crop's sowing is unknown", ["3", "1"], "advice_stage"),
    Case("pest report: a ticket and an SMS with it", ["4", "1", "1"], "pest_done", end=True,
         effects=[CreateExpertRequest(ticket="4200001", farmer_id=7, kind="pest_report", channel="ussd",
                                      crop="wheat", description="yellow_leaves"), SendSms], shows=("4200001",)),
    Case("an expert's call-back", ["5", "1"], "expert_done", end=True,
         effects=[CreateExpertRequest(ticket="4200001", farmer_id=7, kind="callback", channel="ussd")]),
    Case("subscribing starts one payment per day", ["7", "1", "1"], "subscribe_done", end=True,
         effects=[StartPayment(farmer_id=7, plan_code="season_basic", channel="ussd",
                               idempotency_key="subscribe:7:season_basic:2026-07-15")]),
    Case("stopping advice SMS", ["6", "4", "1"], "account_saved",
         effects=[UpdateFarmer(farmer_id=7, sms_opted_out=True)]),
    Case("a new language", ["6", "1", "3"], "account_saved", effects=[UpdateFarmer(farmer_id=7, locale="mr")]),
    Case("withdrawing consent erases", ["6", "5", "1"], "account_deleted", end=True,
         effects=[EraseFarmer(farmer_id=7, channel="ussd", notice="account.delete.confirm")]),
    Case("said at the main menu: onion prices", [shortcut("market_price", crop="onion")], "prices",
         shows=("Lasalgaon",)),
    Case("a shortcut that leads nowhere", [shortcut("greeting")], "main", shows=(en("error.invalid_option"),)),
]


def walk(farm: Farm, inputs: list, dropped: Session | None = None):
    dialog = farmer_dialog()
    session, reply, effects = resume(None, Event("start", PHONE, "ussd"), farm, dialog, dropped)
    for step in inputs:
        if isinstance(step, tuple):
            kind, text, entities = step
            event = Event(kind, PHONE, "ussd", text, entities=entities)
        else:
            event = Event("input", PHONE, "ussd", step)
        session = Session.from_dict(session.to_dict())  # as it comes back from Redis between hops
        session, reply, more = resume(session, event, farm, dialog)
        effects += more
    return session, reply, effects


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_engine(case):
    farm = Farm(farmer=None) if case.stranger else Farm()
    session, reply, effects = walk(farm, case.inputs)
    shown = "\n".join([*reply.view.lines, *(option.label for option in reply.view.options)])
    assert session.screen == case.screen, shown
    assert reply.end is case.end
    assert len(effects) == len(case.effects), effects
    for got, want in zip(effects, case.effects):
        assert isinstance(got, want) if isinstance(want, type) else got == want
    for text in case.shows:
        assert text in shown


def test_a_caller_who_dropped_mid_registration_is_offered_to_continue():
    farm = Farm(farmer=None)
    dropped, _, _ = walk(farm, ["1", "Ravi", "1"])
    session, reply, _ = walk(farm, [], dropped=dropped)
    assert session.screen == "resume"
    session, reply, _ = resume(session, Event("input", PHONE, "ussd", "1"), farm, farmer_dialog())
    assert (session.screen, session.answers["name"]) == ("reg_district", "Ravi")
