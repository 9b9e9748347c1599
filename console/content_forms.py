"""The content pages' forms (CSRF on every one). They only check that fields are readable; the rules themselves
(languages, lengths, prices) are service.content's, the same the CLI applies, so a refusal says the same thing."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from console.forms import options
from console.i18n import _
from locales.languages import LANGUAGES
from service.content import ADVISORY_LANGUAGES
from service.value_types import SMS_CATEGORIES


def language_label(code: str) -> str:
    """"Hindi", "Hindi in Latin letters"."""
    base, _sep, script = code.partition("_")
    name = next(language.english_name for language in LANGUAGES if language.code == base)
    return _("%(language)s in Latin letters", language=name) if script else name


class AdvisoryForm(FlaskForm):
    """One text per language: text_en, text_hi, ..., text_mr_Latn (added below)."""

    def texts(self) -> dict[str, str]:
        return {code: self[f"text_{code}"].data or "" for code in ADVISORY_LANGUAGES}


for _code in ADVISORY_LANGUAGES:  # long enough to be refused by the rule, with its message, not cut by the browser
    setattr(AdvisoryForm, f"text_{_code}", TextAreaField(language_label(_code), validators=[Length(max=5000)]))


class VariantForm(FlaskForm):
    state = SelectField(_("State"), coerce=int)


class TemplateForm(FlaskForm):
    template_id = StringField(_("Template id"), validators=[Length(max=200)])
    entity_id = StringField(_("Entity id"), validators=[Length(max=200)])
    header = StringField(_("Header (sender id)"), validators=[Length(max=200)])
    category = SelectField(_("Category"), choices=options((c, c.replace("_", " ")) for c in SMS_CATEGORIES))
    name = StringField(_("What it is for"), validators=[Length(max=200)])
    text = TextAreaField(_("Text exactly as registered, with {#var#}"), validators=[Length(max=5000)])


class PlanForm(FlaskForm):
    price = StringField(_("Price in rupees"), validators=[InputRequired(), Length(max=12)])
    duration_days = IntegerField(_("Days"), validators=[InputRequired(), NumberRange(min=1, max=3660)])
    active = BooleanField(_("Offered to farmers"))


for _language in LANGUAGES:
    setattr(PlanForm, f"name_{_language.code}", StringField(language_label(_language.code),
                                                            validators=[Optional(), Length(max=200)]))
    if _language.romanised:
        setattr(PlanForm, f"name_{_language.romanised}", StringField(
            language_label(_language.romanised), validators=[Optional(), Length(max=200)]))


class PriceForm(FlaskForm):
    min_price = IntegerField(_("Min (₹/quintal)"), validators=[InputRequired()])
    max_price = IntegerField(_("Max (₹/quintal)"), validators=[InputRequired()])
    modal_price = IntegerField(_("Modal (₹/quintal)"), validators=[InputRequired()])
