"""Farmers: search, a profile with consent history, plan, payments and one timeline of everything the service did
with them; crops, district and language edited; the full number shown on request (each time audited); data erased
(with a confirmation step); a search exported as CSV (admins)."""
from __future__ import annotations

import csv
import io

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from console.forms import ActionForm, EraseForm, FarmerForm, options
from console.i18n import _
from console.pages import page_number, page_of
from console.security import audited, requires, service
from farmdb import districts as district_rows
from farmdb.models import Crop
from farmdb.phones import mask_phone
from service import farmer_records as records

EXPORT_LIMIT = 50_000


def _query(db, given):
    """The search `given` (the page's query string, or the export form) as a query, or the reason it finds
    nobody: an unknown district or a partial number narrows to nothing rather than to everyone."""
    text, district = given.get("q", "")[:80], given.get("district", "").strip()[:64]
    crop = given.get("crop", "").strip().lower()[:32] or None
    filters = {"q": text, "district": district, "crop": crop or ""}
    district_ids = None
    if district:
        district_ids = records.districts_named(db, district)
        if not district_ids:
            return None, filters, _("No district called %(name)s.", name=district)
    try:
        query = records.search(text, district_ids=district_ids, crop=crop, default_region=service().settings
                               .default_region, last_digits=current_user.may("agronomist"))
    except records.RecordError:
        return None, filters, _("Type the whole number: searching by its last digits needs the agronomist role.")
    return query, filters, None


@requires("viewer")
def search():
    with service().backends.sessions() as db:
        query, filters, problem = _query(db, request.args)
        if problem:
            flash(problem, "error")
        page = page_of(db, query, request.args.get("page")) if query is not None else None
        crops = db.scalars(select(Crop.code).order_by(Crop.code)).all()
        return render_template("console/farmers.html", page=page, crops=crops, mask=mask_phone, **filters)


def _farmer(db, farmer_id: int):
    farmer = records.get(db, farmer_id)
    if farmer is None:
        abort(404, description=_("No such farmer (their data may have been erased)."))
    return farmer


def _profile(db, farmer, form=None, shown_number: str | None = None, status: int = 200):
    page = page_number(request.args.get("page"))
    subscriptions, payments = records.plans(db, farmer)
    if form is None:
        form = FarmerForm(locale=farmer.locale, district=farmer.district.name if farmer.district else "",
                          state=farmer.state.name if farmer.state else "", crops=[fc.crop.code for fc in farmer.crops])
    form.crops.choices = options((c.code, c.name_in("en")) for c in db.scalars(select(Crop).order_by(Crop.code)))
    events = records.timeline(db, farmer, page=page)
    return render_template("console/farmer.html", farmer=farmer, number=shown_number or mask_phone(farmer.phone),
                           shown=shown_number is not None, consents=records.consent_history(db, farmer),
                           subscriptions=subscriptions, payments=payments, events=events, page=page,
                           more=len(events) == 25, form=form, action=ActionForm()), status


@requires("viewer")
def profile(farmer_id: int):
    with service().backends.sessions() as db:
        return _profile(db, _farmer(db, farmer_id))


@requires("agronomist")
def reveal(farmer_id: int):
    """The full number, for this page only; every showing is in the audit log."""
    if not ActionForm().validate_on_submit():
        abort(400, description=_("The form expired: open the page again."))
    with service().backends.sessions() as db, db.begin():
        farmer = _farmer(db, farmer_id)
        audited(db, "farmer_number_shown", "farmer", farmer.id)
        return _profile(db, farmer, shown_number=farmer.phone)


@requires("agronomist")
def edit(farmer_id: int):
    form = FarmerForm()
    with service().backends.sessions() as db:
        form.crops.choices = options((c.code, c.code) for c in db.scalars(select(Crop)))
        if not form.validate_on_submit():
            return _profile(db, _farmer(db, farmer_id), form=form, status=400)
    try:
        with service().backends.sessions() as db, db.begin():
            farmer = _farmer(db, farmer_id)
            district_id = _district(db, form, farmer)
            changed = records.edit(db, farmer, crops=form.crops.data, district_id=district_id,
                                   locale=form.locale.data)
            if changed:
                audited(db, "farmer_edited", "farmer", farmer.id, **changed)
    except records.RecordError as problem:
        with service().backends.sessions() as db:
            form.district.errors.append(str(problem))
            return _profile(db, _farmer(db, farmer_id), form=form, status=400)
    flash(_("Saved.") if changed else _("Nothing changed."))
    return redirect(url_for("console.farmer", farmer_id=farmer_id))


def _district(db, form: FarmerForm, farmer) -> int:
    """The district the form names; the farmer's own when its name was left as it was."""
    same_district = farmer.district and form.district.data.strip().lower() == farmer.district.name.lower()
    same_state = not form.state.data or not farmer.state or form.state.data.strip().lower() == farmer.state.name.lower()
    if same_district and same_state:
        return farmer.district_id
    found = district_rows.called(db, form.district.data, state_name=form.state.data)  # "Ahmednagar" too
    if not found:
        raise records.RecordError(_("No district called %(name)s.", name=form.district.data))
    if len(found) > 1:
        raise records.RecordError(_("%(name)s is a district in %(states)s: say which state.",
                                    name=form.district.data, states=", ".join(s for _, s in found)))
    return found[0][0]


@requires("admin")
def erase(farmer_id: int):
    form = EraseForm()
    with service().backends.sessions() as db:
        farmer = _farmer(db, farmer_id)
        if request.method == "GET" or not form.validate_on_submit():
            status = 400 if request.method == "POST" else 200
            return render_template("console/erase.html", farmer=farmer, number=mask_phone(farmer.phone),
                                   form=form), status
    with service().backends.sessions() as db, db.begin():
        farmer = _farmer(db, farmer_id)
        records.erase(service(), db, farmer)
        audited(db, "farmer_erased", "farmer", farmer_id)
    flash(_("The farmer's data is erased; the record of their consent is kept, as the law asks."))
    return redirect(url_for("console.farmers"))


@requires("admin")
def export():
    """The farmers a search finds, as CSV with full numbers: for an admin, asked by a form (a link from elsewhere
    cannot make an admin's browser export), and in the audit log."""
    if not ActionForm().validate_on_submit():
        abort(400, description=_("The form expired: open the page again."))
    with service().backends.sessions() as db, db.begin():
        query, filters, problem = _query(db, request.form)
        if problem:
            abort(400, description=problem)
        query = query.limit(EXPORT_LIMIT)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["id", "phone", "name", "language", "district", "crops", "consent_given_at", "sms_stopped"])
        count = 0
        for farmer in db.scalars(query).unique():
            writer.writerow([farmer.id, farmer.phone, _cell(farmer.name), farmer.locale,
                             farmer.district.name if farmer.district else "",
                             " ".join(sorted(fc.crop.code for fc in farmer.crops)),
                             farmer.consent_given_at.isoformat() if farmer.consent_given_at else "",
                             "yes" if farmer.sms_opted_out else "no"])
            count += 1
        audited(db, "farmers_exported", "farmers", None, rows=count, **filters)
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=farmers.csv"})


def _cell(text: str | None) -> str:
    """A name as a spreadsheet cell that cannot run as a formula (CSV injection)."""
    text = text or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


ROUTES = (
    ("GET", "/farmers", search),
    ("POST", "/farmers.csv", export),
    ("GET", "/farmers/<int:farmer_id>", profile),
    ("POST", "/farmers/<int:farmer_id>/reveal", reveal),
    ("POST", "/farmers/<int:farmer_id>/edit", edit),
    ("GET", "/farmers/<int:farmer_id>/erase", erase),
    ("POST", "/farmers/<int:farmer_id>/erase", erase),
)
ENDPOINTS = {"search": "farmers", "profile": "farmer"}  # url_for names that read better than the function's
