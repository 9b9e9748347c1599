"""What admins keep beside the advisories: DLT templates (recorded and switched off and on, checked as `kheti dlt add`
checks them), plans (names, price in rupees, days, offered or not) and a correction to one mandi price (judged as an
import judges it, heard by the dialogs at once). Viewers read all of it. Every change is audited."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from console.content_forms import PlanForm, PriceForm, TemplateForm, language_label
from console.forms import ActionForm
from console.i18n import _
from console.pages import page_of
from console.security import audited, requires, service
from farmdb.models import Crop, DltTemplate, MarketPrice, Plan, State
from locales.languages import LANGUAGES
from service.content import ContentError
from service.content_admin import correct_price, latest_prices, record_template, set_template_active, update_plan


def _refused(refused: ContentError, form) -> None:
    """Each problem beside its field (or at the top when the form has none of that name)."""
    flash(_("Not saved: %(why)s", why=str(refused)), "error")
    for name, why in refused.problems.items():
        field = form._fields.get(name) or form._fields.get(f"name_{name}")
        if field is not None:
            field.errors = [*field.errors, why]


# --- DLT templates -------------------------------------------------------------------------------------------------

def _templates_page(form: TemplateForm | None = None, status: int = 200):
    with service().backends.sessions() as db:
        query = select(DltTemplate).order_by(DltTemplate.source.desc(), DltTemplate.active.desc(),
                                             DltTemplate.category, DltTemplate.id)  # registered before demo
        page = page_of(db, query, request.args.get("page"), per_page=50)
        return render_template("console/content_templates.html", page=page, form=form or TemplateForm(),
                               action=ActionForm()), status


@requires("viewer")
def templates():
    return _templates_page()


@requires("admin")
def add_template():
    form = TemplateForm()
    if not form.validate_on_submit():
        return _templates_page(form, 400)
    try:
        with service().backends.sessions() as db, db.begin():
            row, changed = record_template(db, template_id=form.template_id.data, entity_id=form.entity_id.data,
                                           header=form.header.data, category=form.category.data,
                                           name=form.name.data, text=form.text.data)
            new = "template_id" in changed  # its id was None before
            audited(db, "content.dlt.added" if new else "content.dlt.updated", "dlt_template", row.id,
                    template=_named(row), changed=changed)
    except ContentError as refused:
        _refused(refused, form)
        return _templates_page(form, 400)
    flash(_("Template recorded: messages are checked against it from now on."))
    return redirect(url_for("console.content_templates"))


def _named(row: DltTemplate) -> str:
    """"mela: 1107...": the audit masks a bare run of digits as a phone number; named, the id stays readable."""
    return f"{row.name}: {row.template_id}"


def _switch(template_id: int, active: bool):
    if not ActionForm().validate_on_submit():
        abort(400)
    with service().backends.sessions() as db, db.begin():
        row = db.get(DltTemplate, template_id)
        if row is None:
            abort(404, description=_("No such template."))
        changed = set_template_active(row, active)
        if changed:
            audited(db, "content.dlt.activated" if active else "content.dlt.deactivated", "dlt_template", row.id,
                    template=_named(row), changed=changed)
    return redirect(url_for("console.content_templates"))


@requires("admin")
def deactivate_template(template_id: int):
    return _switch(template_id, False)


@requires("admin")
def activate_template(template_id: int):
    return _switch(template_id, True)


# --- plans ---------------------------------------------------------------------------------------------------------

@requires("viewer")
def plans():
    with service().backends.sessions() as db:
        rows = db.scalars(select(Plan).order_by(Plan.price_minor)).all()
        return render_template("console/content_plans.html", rows=rows)


def _plan_fields() -> list[str]:
    return [code for language in LANGUAGES for code in (language.code, language.romanised) if code]


def _plan_page(plan: Plan, form: PlanForm, status: int = 200):
    fields = [(form[f"name_{code}"], language_label(code)) for code in _plan_fields()]
    return render_template("console/content_plan.html", plan=plan, form=form, names=fields), status


@requires("viewer")
def plan(plan_id: int):
    with service().backends.sessions() as db:
        found = db.get(Plan, plan_id) or abort(404, description=_("No such plan."))
        data = {f"name_{code}": found.names.get(code, "") for code in (lang.code for lang in LANGUAGES)}
        data.update({f"name_{lang.romanised}": found.romanised.get(lang.code, "") for lang in LANGUAGES
                     if lang.romanised})
        form = PlanForm(formdata=None, data={**data, "price": f"{found.price_minor / 100:.2f}",
                                             "duration_days": found.duration_days, "active": found.active})
        return _plan_page(found, form)


@requires("admin")
def save_plan(plan_id: int):
    form = PlanForm()
    sessions = service().backends.sessions
    try:
        if not form.validate_on_submit():
            raise ContentError({})
        with sessions() as db, db.begin():
            found = db.get(Plan, plan_id) or abort(404, description=_("No such plan."))
            changed = update_plan(
                found, names={lang.code: form[f"name_{lang.code}"].data for lang in LANGUAGES},
                romanised={lang.code: form[f"name_{lang.romanised}"].data for lang in LANGUAGES if lang.romanised},
                rupees=form.price.data, duration_days=form.duration_days.data, active=form.active.data)
            if changed:
                audited(db, "content.plan.updated", "plan", found.id, code=found.code, changed=changed)
    except ContentError as refused:
        if refused.problems:
            _refused(refused, form)
        with sessions() as db:
            return _plan_page(db.get(Plan, plan_id), form, 400)
    flash(_("Plan saved."))
    return redirect(url_for("console.content_plans"))


# --- prices --------------------------------------------------------------------------------------------------------

@requires("viewer")
def prices():
    crop, state = request.args.get("crop", "")[:32], request.args.get("state", "")[:6]
    with service().backends.sessions() as db:
        page = page_of(db, latest_prices(crop or None, int(state) if state.isdigit() else None),
                       request.args.get("page"), per_page=50)
        crops = db.scalars(select(Crop.code).order_by(Crop.code)).all()
        states = db.execute(select(State.id, State.name).order_by(State.name)).all()
        return render_template("console/content_prices.html", page=page, crops=crops, states=states, crop=crop,
                               state=state)


def _price_page(price_id: int, form: PriceForm, status: int = 200):
    with service().backends.sessions() as db:
        row = db.get(MarketPrice, price_id) or abort(404, description=_("No such price."))
        return render_template("console/content_price.html", price=row, form=form), status


@requires("viewer")
def price(price_id: int):
    with service().backends.sessions() as db:
        row = db.get(MarketPrice, price_id) or abort(404, description=_("No such price."))
        form = PriceForm(formdata=None, obj=row)
    return _price_page(price_id, form)


@requires("admin")
def correct(price_id: int):
    form = PriceForm()
    if not form.validate_on_submit():
        return _price_page(price_id, form, 400)
    try:
        with service().backends.sessions() as db, db.begin():
            row = db.get(MarketPrice, price_id) or abort(404, description=_("No such price."))
            changed = correct_price(service(), db, row, min_price=form.min_price.data,
                                    max_price=form.max_price.data, modal_price=form.modal_price.data)
            if changed:
                audited(db, "content.price.corrected", "market_price", row.id, crop=row.crop.code,
                        mandi=row.mandi.name, day=row.price_date.isoformat(), changed=changed)
    except ContentError as refused:
        _refused(refused, form)
        return _price_page(price_id, form, 400)
    flash(_("Price corrected: farmers hear it within a minute."))
    return redirect(url_for("console.content_price", price_id=price_id))


ROUTES = (
    ("GET", "/content/templates", templates),
    ("POST", "/content/templates", add_template),
    ("POST", "/content/templates/<int:template_id>/deactivate", deactivate_template),
    ("POST", "/content/templates/<int:template_id>/activate", activate_template),
    ("GET", "/content/plans", plans),
    ("GET", "/content/plans/<int:plan_id>", plan),
    ("POST", "/content/plans/<int:plan_id>", save_plan),
    ("GET", "/content/prices", prices),
    ("GET", "/content/prices/<int:price_id>", price),
    ("POST", "/content/prices/<int:price_id>", correct),
)
ENDPOINTS = {name: f"content_{name}" for name in (
    "templates", "add_template", "deactivate_template", "activate_template", "plans", "plan", "save_plan",
    "prices", "price", "correct")}
