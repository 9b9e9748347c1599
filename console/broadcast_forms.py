"""The broadcast composer's form: what to send (an advisory, or words in each language), to whom (the audience
builder), as what category and when. The same form is shown again, filled, with the preview, for confirming."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField, DateField, DateTimeLocalField, HiddenField, IntegerField, SelectField, SelectMultipleField,
    StringField, TextAreaField, widgets,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from console.forms import options
from console.i18n import _
from farmdb.models import Advisory, Crop, State
from locales.languages import LANGUAGES
from service.broadcasts import Audience
from service.broadcasts.campaigns import WEEKDAYS
from service.broadcasts.notices import MAX_TEXT


class ComposeForm(FlaskForm):
    title = StringField(_("Title (for the list)"), validators=[DataRequired(), Length(max=120)])
    source = SelectField(_("What to send"), choices=options([("words", _("My own words in each language")),
                                                              ("advisory", _("An advisory"))]))
    advisory = IntegerField(_("Advisory number"), validators=[Optional(), NumberRange(min=1, max=2_147_483_647)])
    text_en = TextAreaField(_("English"), validators=[Optional(), Length(max=MAX_TEXT)])
    text_hi = TextAreaField(_("Hindi"), validators=[Optional(), Length(max=MAX_TEXT)])
    text_mr = TextAreaField(_("Marathi"), validators=[Optional(), Length(max=MAX_TEXT)])
    crop = SelectField(_("Crop"), validators=[Optional()])
    stage = SelectField(_("Crop stage"), validators=[Optional()])
    state = SelectField(_("State"), validators=[Optional()])
    district = StringField(_("District"), validators=[Optional(), Length(max=64)])
    locale = SelectField(_("Language"), validators=[Optional()])
    subscribers = BooleanField(_("Only farmers with a plan running"))
    registered_since = DateField(_("Registered on or after"), validators=[Optional()])
    category = SelectField(_("Kind of SMS"), choices=options([
        ("service_explicit", _("Service (advice the farmer signed up for)")),
        ("promotional", _("Promotional (an offer)"))]))
    send_at = DateTimeLocalField(_("Send at (India time; empty: now)"), validators=[Optional()],
                                 format="%Y-%m-%dT%H:%M")
    confirmed = HiddenField()
    nonce = HiddenField()  # made when the confirmation page is shown: one confirmation, one broadcast

    def fill_choices(self, db) -> None:
        crops = db.scalars(select(Crop).order_by(Crop.id)).all()
        self.crop.choices = options([("", _("Any crop"))] + [(c.code, c.names["en"]) for c in crops])
        stages = sorted({s["stage"] for c in crops for s in c.stages})
        self.stage.choices = options([("", _("Any stage"))] + [(s, s.replace("_", " ")) for s in stages])
        states = db.scalars(select(State.name).order_by(State.name)).all()
        self.state.choices = options([("", _("All of India"))] + [(s, s) for s in states])
        self.locale.choices = options([("", _("Every language"))]
                                      + [(lang.code, lang.english_name) for lang in LANGUAGES])

    def audience(self) -> Audience:
        return Audience(crop=self.crop.data or None, district=(self.district.data or "").strip() or None,
                        state=self.state.data or None, locale=self.locale.data or None, stage=self.stage.data or None,
                        subscribers=bool(self.subscribers.data), registered_since=self.registered_since.data)

    def words(self) -> dict[str, str]:
        return {"en": self.text_en.data or "", "hi": self.text_hi.data or "", "mr": self.text_mr.data or ""}

    def scheduled_for(self, timezone: str) -> datetime | None:
        """The time asked for, in the service's time zone, as UTC."""
        if not self.send_at.data:
            return None
        return self.send_at.data.replace(tzinfo=ZoneInfo(timezone)).astimezone(ZoneInfo("UTC"))

    def advisory_row(self, db) -> Advisory | None:
        return db.get(Advisory, self.advisory.data) if self.advisory.data else None


def local_time(moment: datetime | None, timezone: str) -> str:
    """'10:00 IST, 6 December' style, for "starts at"."""
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(timezone))
    return local.strftime("%H:%M %Z, %d %B %Y").replace(" 0", " ")


class CampaignForm(ComposeForm):
    """A broadcast that comes back: the composer's what and to whom, and on which weekdays at what time."""
    weekdays = SelectMultipleField(_("On"), choices=options([(d, d.title()) for d in WEEKDAYS]),
                                   widget=widgets.ListWidget(prefix_label=False),
                                   option_widget=widgets.CheckboxInput(), validators=[DataRequired()])
    at_time = StringField(_("At (India time)"), default="07:00", validators=[DataRequired(), Length(max=5)])
