"""Dialog definitions are checked when they load; the engine runs on any services, with no I/O of its own."""
from datetime import date

import pytest

from dialogs.dialog import Dialog, DialogError
from dialogs.engine import resume
from dialogs.flows import farmer_dialog
from dialogs.model import Event, Profile
from dialogs.screens import Choice, Menu
from dialogs.services import CropInfo, DayWeather, Named, ServiceUnavailable
from dialogs.ussd import UssdLayout


def _menu(sid, *targets, title="main.title"):
    return Menu(sid, title=title, choices=tuple(Choice("common.yes", target=t) for t in targets))


def test_the_shipped_dialog_is_valid():
    dialog = farmer_dialog()
    assert {"language", "main", "resume", "weather", "prices", "advice", "pest_done", "expert_done",
            "account_deleted", "subscribe_done"} <= set(dialog.screens)


@pytest.mark.parametrize("screens, problem", [
    ([_menu("main", "nowhere"), _menu("language", "main"), _menu("resume", "main")],
     "main: exit to unknown screen 'nowhere'"),
    ([_menu("main", "main"), _menu("language", "main"), _menu("resume", "main"), _menu("island", "main")],
     "island: cannot be reached"),
    ([_menu("main", "main", title="no.such.message"), _menu("language", "main"), _menu("resume", "main")],
     "main: 'no.such.message' is not translated in en"),
    ([_menu("main", "main"), _menu("main", "main")], "two screens are called 'main'"),
])
def test_a_broken_definition_is_refused_when_loaded(screens, problem):
    with pytest.raises(DialogError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        Dialog(screens, home="main", welcome="language", resume="resume")


def test_a_message_missing_in_one_catalogue_is_named(monkeypatch):
    from dialogs.texts import Texts
    screens = [_menu("main", "main"), _menu("language", "main"), _menu("resume", "main")]
    original = Texts.has
    monkeypatch.setattr(Texts, "has", lambda self, key: original(self, key)
                        and not (self.catalogue == "mr_Latn" and key == "main.title"))
    with pytest.raises(DialogError, match="'main.title' is not translated in mr_Latn"):
        Dialog(screens, home="main", welcome="language", resume="resume")


class FakeFarm:
    """Everything the engine may ask, in memory: proof that it needs no database, Redis or HTTP."""

    default_locale = "en"
    grievance_contact = "1800-000-0000"
    layout = UssdLayout()

    def __init__(self, weather_down=False):
        self.weather_down = weather_down

    def today(self): return date(2026, 7, 15)
    def profile(self, phone): return Profile(7, "Meena Kumari", "en", 1, 11, {"wheat": None})
    def states(self): return [Named(1, {"en": "Bihar"}, {})]
    def districts(self, state_id): return [Named(11, {"en": "Purnia"}, {})]
    def find_states(self, text): return []
    def find_districts(self, state_id, text): return []
    def district(self, district_id): return Named(11, {"en": "Purnia"}, {})
    def crops(self): return [CropInfo("wheat", {"en": "Wheat"}, {}, ("sowing",))]
    def crop_stage(self, crop, sown_on): return "sowing"
    def prices(self, crop, district_id, limit=3): return []
    def advisory(self, crop, stage, state_id): return None
    def plans(self): return []
    def new_ticket(self): return "1234567"

    def forecast(self, district_id, days=3):
        if self.weather_down:
            raise ServiceUnavailable("timeout")
        return [DayWeather(date(2026, 7, 15 + n), 70.0 if n == 1 else 0.0, 24, 33) for n in range(3)]


def _walk(services, *inputs):
    dialog = farmer_dialog()
    session, reply, effects = resume(None, Event("start", "+919812345678", "ussd"), services, dialog)
    for text in inputs:
        session, reply, new_effects = resume(session, Event("input", "+919812345678", "ussd", text), services, dialog)
        effects += new_effects
    return session, reply, effects


def test_weather_with_a_heavy_rain_warning_from_any_services():
    session, reply, effects = _walk(FakeFarm(), "1")
    assert session.screen == "weather" and effects == []
    assert reply.view.lines == ("Weather, Purnia:", "Today: rain 0mm, 24-33C", "Tomorrow: rain 70mm, 24-33C",
                                "Day after: rain 0mm, 24-33C",
                                "Heavy rain due: clear field drains, hold fertiliser.")


def test_a_weather_outage_is_a_friendly_screen_not_an_error():
    session, reply, _ = _walk(FakeFarm(weather_down=True), "1")
    assert reply.view.lines == ("Weather is not available right now. Please try again later.",)
    assert not reply.end and [o.key for o in reply.view.nav] == ["0", "00"]


def test_effects_are_returned_not_performed():
    from dialogs.effects import CreateExpertRequest, SendSms
    session, reply, effects = _walk(FakeFarm(), "4", "1", "3")
    assert reply.end and "1234567" in reply.view.lines[0]
    assert [type(e) for e in effects] == [CreateExpertRequest, SendSms]
    assert effects[0] == CreateExpertRequest(ticket="1234567", farmer_id=7, kind="pest_report", channel="ussd",
                                             crop="wheat", description="spots")


def test_the_session_survives_serialisation_at_every_step():
    from dialogs.model import Session
    dialog, services = farmer_dialog(), FakeFarm()
    session, _, _ = resume(None, Event("start", "+919812345678", "ussd"), services, dialog)
    for text in ["6", "2", "1", "99", "0", "3", "1"]:
        session = Session.from_dict(session.to_dict())
        session, reply, _ = resume(session, Event("input", "+919812345678", "ussd", text), services, dialog)
    assert session.screen == "account_district"
