"""The console's forms. Every one is a FlaskForm, so every one carries and checks its CSRF token; what a form
refuses it says beside the field, and nothing changes."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField, PasswordField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField, widgets,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from console.i18n import _
from farmdb.models.operators import ROLES
from locales.languages import LANGUAGES
from service.operators import MIN_PASSWORD
from service.tickets import MAX_ANSWER


def options(pairs) -> list[SelectChoice]:
    """(value, label) pairs as a select's options."""
    return [SelectChoice(value, label) for value, label in pairs]


class LoginForm(FlaskForm):
    username = StringField(_("Username"), validators=[DataRequired(), Length(max=40)])
    password = PasswordField(_("Password"), validators=[DataRequired(), Length(max=200)])


class PasswordForm(FlaskForm):
    current = PasswordField(_("Current password"), validators=[DataRequired(), Length(max=200)])
    new = PasswordField(_("New password"), validators=[
        DataRequired(), Length(min=MIN_PASSWORD, max=200, message=_("A password has at least %(min)d characters."))])
    repeat = PasswordField(_("New password again"),
                           validators=[DataRequired(), EqualTo("new", message=_("The two do not match."))])


class ActionForm(FlaskForm):
    """A button that changes something (claim, reopen, reveal, disable): its CSRF token is all it carries."""


class AssignForm(FlaskForm):
    operator = SelectField(_("Give it to"), coerce=int)


class AnswerForm(FlaskForm):
    text = TextAreaField(_("Answer, in the farmer's language"),
                         validators=[DataRequired(), Length(max=MAX_ANSWER)])


class CloseForm(FlaskForm):
    outcome = SelectField(_("Outcome"), choices=options([
        ("answered", _("Answered")), ("unreachable", _("Could not reach the farmer")),
        ("referred", _("Referred to the local agriculture office"))]))


class MultiCheckbox(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class FarmerForm(FlaskForm):
    locale = SelectField(_("Language"), choices=options(
        (language.code, f"{language.english_name} ({language.native_name})") for language in LANGUAGES))
    district = StringField(_("District"), validators=[DataRequired(), Length(max=64)])
    state = StringField(_("State (where two districts share the name)"), validators=[Optional(), Length(max=64)])
    crops = MultiCheckbox(_("Crops"))


class EraseForm(FlaskForm):
    confirm = StringField(_("Type ERASE to confirm"),
                          validators=[DataRequired(), Regexp("^ERASE$", message=_("Type ERASE, in capitals."))])


class OperatorForm(FlaskForm):
    username = StringField(_("Username"), validators=[DataRequired(), Length(min=3, max=40)])
    display_name = StringField(_("Name"), validators=[Optional(), Length(max=80)])
    role = SelectField(_("Role"), choices=options((role, role) for role in ROLES))
    phone = StringField(_("Phone (rung first when they call a farmer)"), validators=[Optional(), Length(max=24)])


class PhoneForm(FlaskForm):
    phone = StringField(_("Phone"), validators=[Optional(), Length(max=24)])


class KeyForm(FlaskForm):
    name = StringField(_("What the key is for"), validators=[DataRequired(), Length(max=80)])


class AuditFilterForm(FlaskForm):
    actor = StringField(_("Who"), validators=[Optional(), Length(max=40)])
    action = StringField(_("What"), validators=[Optional(), Length(max=40)])
    target = StringField(_("On (e.g. farmer:12, ticket:7143414, operator:3)"), validators=[Optional(), Length(max=64)])
    since = DateField(_("From"), validators=[Optional()])
    until = DateField(_("To"), validators=[Optional()])
