"""Farmers: search, a profile with consent history, plan, payments and one timeline of everything the service did
with them; crops, district and language edited; the full number shown on request (each time audited); data erased
(with a confirmation step); a search exported as CSV (admins)."""
from __future__ import annotations

import csv
import io

from flask import Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from console.forms import ActionForm, EraseForm, FarmerForm, options
from console.i18n import _
from console.pages import page_number, page_of
from console.security import audited, requires, service
from farmdb.models import Crop, District, State
from farmdb.phones import mask_phone
from service import farmer_records as records

EXPORT_LIMIT = 50_000


def _filters(db):
    district = request.args.get("district", "").strip()
    district_id = db.scalar(select(District.id).where(func.lower(District.name) == district.lower())) \
        if district else None
    crop = request.args.get("crop", "").strip().lower() or None
    return request.args.get("q", "")[:80], district, district_id, crop


@requires("viewer")
def search():
    with service().backends.sessions() as db:
        text, district, district_id, crop = _filters(db)
        if district and district_id is None:
            flash(_("No district called %(name)s.", name=district), "error")
        query = records.search(text, district_id=district_id, crop=crop,
                               default_region=service().settings.default_region)
        page = page_of(db, query, request.args.get("page"))
        crops = db.scalars(select(Crop.code).order_by(Crop.code)).all()
        return render_template("console/farmers.html", page=page, q=text, district=district, crop=crop,
                               crops=crops, mask=mask_phone)


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
                          crops=[fc.crop.code for fc in farmer.crops])
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
            district_id = _district(db, form)
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


def _district(db, form: FarmerForm) -> int:
    query = select(District.id, State.name).join(State).where(func.lower(District.name) == form.district.data
                                                              .strip().lower())
    if form.state.data:
        query = query.where(func.lower(State.name) == form.state.data.strip().lower())
    found = db.execute(query).all()
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
    """The farmers a search finds, as CSV with full numbers: for an admin, and in the audit log."""
    with service().backends.sessions() as db, db.begin():
        text, district, district_id, crop = _filters(db)
        query = records.search(text, district_id=district_id, crop=crop,
                               default_region=service().settings.default_region).limit(EXPORT_LIMIT)
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
        audited(db, "farmers_exported", "farmers", None, rows=count, q=text, district=district, crop=crop or "")
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=farmers.csv"})


def _cell(text: str | None) -> str:
    """A name as a spreadsheet cell that cannot run as a formula (CSV injection)."""
    text = text or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


ROUTES = (
    ("GET", "/farmers", search),
    ("GET", "/farmers.csv", export),
    ("GET", "/farmers/<int:farmer_id>", profile),
    ("POST", "/farmers/<int:farmer_id>/reveal", reveal),
    ("POST", "/farmers/<int:farmer_id>/edit", edit),
    ("GET", "/farmers/<int:farmer_id>/erase", erase),
    ("POST", "/farmers/<int:farmer_id>/erase", erase),
)
ENDPOINTS = {"search": "farmers", "profile": "farmer"}  # url_for names that read better than the function's
