"""Content: advisories in every language (crop, stage, region), DLT templates, plans and prices, shown and edited
(issue #12, part 2). An advisory's five texts are edited with a live count of characters, encoding and SMS, and
checked on save by service.content, the same rules `kheti advisory add` applies; the page says which DLT template
each language's broadcast SMS fits, or why none does. Agronomists edit advisories; admins the rest
(console.content_admin); viewers read."""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from console import content_admin
from console.content_forms import AdvisoryForm, VariantForm, language_label
from console.forms import options
from console.i18n import _
from console.pages import page_of
from console.security import audited, requires, service
from dialogs.encoding import measure as sms_length
from farmdb.models import Advisory, Crop, State
from service.content import (
    ADVISORY_LANGUAGES, LATIN, MAX_ADVICE, ContentError, add_advisory, broadcast_fit, update_texts,
)


@requires("viewer")
def advisories():
    crop, stage, state = (request.args.get(name, "")[:40] for name in ("crop", "stage", "state"))
    with service().backends.sessions() as db:
        query = select(Advisory).join(Crop).order_by(Crop.code, Advisory.stage, Advisory.state_id.is_not(None),
                                                     Advisory.key)
        if crop:
            query = query.where(Crop.code == crop)
        if stage:
            query = query.where(Advisory.stage == stage)
        if state == "all":
            query = query.where(Advisory.state_id.is_(None))
        elif state.isdigit():
            query = query.where(Advisory.state_id == int(state))
        page = page_of(db, query, request.args.get("page"))
        crops = db.scalars(select(Crop).order_by(Crop.code)).all()
        stages = sorted({s["stage"] for c in crops for s in c.stages} | {"alert"})
        states = db.execute(select(State.id, State.name).order_by(State.name)).all()
        return render_template("console/content_advisories.html", page=page, crops=[c.code for c in crops],
                               stages=stages, states=states, crop=crop, stage=stage, state=state,
                               languages=ADVISORY_LANGUAGES)


def _advisory(db, advisory_id: int) -> Advisory:
    found = db.get(Advisory, advisory_id)
    if found is None:
        abort(404, description=_("No such advisory."))
    return found


def _page(db, found: Advisory, form: AdvisoryForm | None = None, problems: dict | None = None, status: int = 200):
    """The advisory's page: its texts (a form for an agronomist), the DLT fit of each language's broadcast SMS
    (of what was typed, when a save was refused), and its regional variants."""
    if form is None:
        form = AdvisoryForm(formdata=None, data={f"text_{code}": found.texts.get(code, "")
                                                 for code in ADVISORY_LANGUAGES})
    fits = broadcast_fit(service(), db, found.crop, form.texts())
    variants = db.scalars(select(Advisory).where(Advisory.crop_id == found.crop_id, Advisory.stage == found.stage,
                                                 Advisory.id != found.id).order_by(Advisory.key)).all()
    taken = {v.state_id for v in variants} | {found.state_id}
    variant = VariantForm()
    variant.state.choices = options((s.id, s.name) for s in db.scalars(select(State).order_by(State.name))
                                    if s.id not in taken)
    return render_template("console/content_advisory.html", advisory=found, form=form, problems=problems or {},
                           fits=fits, variants=variants, variant=variant, limit=MAX_ADVICE,
                           languages=[(code, language_label(code)) for code in ADVISORY_LANGUAGES]), status


@requires("viewer")
def advisory(advisory_id: int):
    with service().backends.sessions() as db:
        return _page(db, _advisory(db, advisory_id))


@requires("agronomist")
def save_advisory(advisory_id: int):
    form = AdvisoryForm()
    sessions = service().backends.sessions
    problems = None if form.validate_on_submit() else {k.removeprefix("text_"): v[0] for k, v in form.errors.items()}
    try:
        if problems:
            raise ContentError(problems)
        with sessions() as db, db.begin():
            found = _advisory(db, advisory_id)
            changed = update_texts(found, form.texts())
            if changed:
                audited(db, "content.advisory.updated", "advisory", found.id, key=found.key, changed=changed)
    except ContentError as refused:  # nothing saved: the transaction rolled back
        flash(_("Not saved: %(why)s", why=str(refused)), "error")
        with sessions() as db:
            return _page(db, _advisory(db, advisory_id), form, refused.problems, 400)
    with sessions() as db:
        _said_fit(db, _advisory(db, advisory_id))
    return redirect(url_for("console.content_advisory", advisory_id=advisory_id))


def _said_fit(db, found: Advisory) -> None:
    unfit = [fit.locale for fit in broadcast_fit(service(), db, found.crop, found.texts) if fit.template_id is None]
    if unfit:
        flash(_("Saved, but as a broadcast SMS it fits no registered DLT template in: %(languages)s. Indian numbers "
                "would not get it until one is registered.", languages=", ".join(unfit)), "error")
    else:
        flash(_("Saved. Every language's broadcast SMS fits a registered DLT template."))


@requires("agronomist")
def add_variant(advisory_id: int):
    """A region's own advice for the same crop and stage, starting as a copy of this one's texts to adapt."""
    form = VariantForm()
    sessions = service().backends.sessions
    with sessions() as db:
        form.state.choices = options((s.id, s.name) for s in db.scalars(select(State)))
    if not form.validate_on_submit():
        flash(_("Choose a state."), "error")
        return redirect(url_for("console.content_advisory", advisory_id=advisory_id))
    try:
        with sessions() as db, db.begin():
            found, state = _advisory(db, advisory_id), db.get(State, form.state.data)
            made = add_advisory(db, crop_code=found.crop.code, stage=found.stage, texts=found.texts,
                                state_name=state.name)
            audited(db, "content.advisory.created", "advisory", made.id, key=made.key, copied_from=found.id,
                    state=state.name)
            made_id, state_name = made.id, state.name
    except ContentError as refused:
        flash(_("Not added: %(why)s", why=str(refused)), "error")
        return redirect(url_for("console.content_advisory", advisory_id=advisory_id))
    flash(_("The variant for %(state)s starts as a copy of this advice: adapt it to the region.", state=state_name))
    return redirect(url_for("console.content_advisory", advisory_id=made_id))


@requires("agronomist")
def measure(advisory_id: int, language: str):
    """What one text makes as it is typed: its own length against the limit, and, for a language broadcast in its
    own script, the broadcast SMS's segments and the DLT template it fits (console.js asks as the person types)."""
    body = request.get_json(silent=True)
    text = body.get("text", "") if isinstance(body, dict) else None
    if not isinstance(text, str) or language not in ADVISORY_LANGUAGES:
        abort(400, description="text is a string, and the language one of the advisory's")
    text = text.strip()[:2000]
    length = sms_length(text)
    measured = {"characters": len(text), "limit": MAX_ADVICE, "encoding": length.encoding,
                "segments": length.segments}
    summary = _("%(characters)s of %(limit)s characters · %(encoding)s · %(segments)s SMS", **measured)
    if language not in LATIN:
        with service().backends.sessions() as db:
            found = _advisory(db, advisory_id)
            [fit] = [f for f in broadcast_fit(service(), db, found.crop, {**found.texts, language: text})
                     if f.locale == language]
        measured.update(broadcast_segments=fit.segments, template_id=fit.template_id)
        summary += " · " + (_("as a broadcast: %(segments)s SMS, DLT template %(template)s",
                              segments=fit.segments, template=fit.template_id) if fit.template_id else
                            _("as a broadcast: %(segments)s SMS, fits no DLT template", segments=fit.segments))
    measured["summary"] = summary
    return jsonify(measured)


ROUTES = (
    ("GET", "/content/advisories", advisories),
    ("GET", "/content/advisories/<int:advisory_id>", advisory),
    ("POST", "/content/advisories/<int:advisory_id>", save_advisory),
    ("POST", "/content/advisories/<int:advisory_id>/variant", add_variant),
    ("POST", "/content/advisories/<int:advisory_id>/measure/<language>", measure),
    *content_admin.ROUTES,
)
ENDPOINTS = {"advisories": "content_advisories", "advisory": "content_advisory",
             "save_advisory": "content_save_advisory", "add_variant": "content_add_variant",
             "measure": "content_measure", **content_admin.ENDPOINTS}
