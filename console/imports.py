"""Importing farmers from a CSV (admins): the file checked first, every bad row shown by line and reason; then, on
the admin's word, the good rows brought in by a worker, with a progress bar (service.import_jobs)."""
from __future__ import annotations

from flask import abort, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired

from console.forms import ActionForm
from console.i18n import _
from console.security import requires, service
from flask_wtf import FlaskForm
from service import import_jobs
from service.farmer_import import COLUMNS, CONSENT_CHANNELS, REQUIRED, FileProblem, check

MAX_BYTES = 20 * 1024 * 1024  # a CSV of about 200,000 farmers
SHOWN_BAD = 500  # bad rows listed on the page; the count says how many there are in all


class ImportForm(FlaskForm):
    file = FileField(_("CSV file (UTF-8)"), validators=[FileRequired(_("Choose a file."))])


def allow_large_upload() -> None:
    """The whole app takes small bodies (MAX_REQUEST_BYTES); an admin's import may be larger."""
    if request.endpoint == "console.import_farmers" and current_user.is_authenticated \
            and current_user.may("admin"):
        request.max_content_length = MAX_BYTES


def _page(form, status=200, **shown):
    return render_template("console/import.html", form=form, columns=COLUMNS, required=REQUIRED,
                           channels=CONSENT_CHANNELS, action=ActionForm(), shown_bad=SHOWN_BAD, **shown), status


@requires("admin")
def import_farmers():
    form = ImportForm()
    if request.method == "GET":
        return _page(form)
    if not form.validate_on_submit():
        return _page(form, 400)
    try:
        text = form.file.data.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        form.file.errors.append(_("The file is not UTF-8: save it from the spreadsheet as 'CSV UTF-8'."))
        return _page(form, 400)
    with service().backends.sessions() as db:
        try:
            report = check(db, service().settings, text)
        except FileProblem as problem:
            form.file.errors.append(str(problem))
            return _page(form, 400)
    token = import_jobs.stage(service(), text, form.file.data.filename or "farmers.csv", current_user.id, report)
    return _page(form, report=report, token=token)


@requires("admin")
def start(token: str):
    if not ActionForm().validate_on_submit():
        abort(400, description=_("The form expired: open the page again."))
    if import_jobs.status(service(), token) is None:
        abort(404, description=_("No such import (they are kept for a day)."))
    import_jobs.start(service(), token)  # a second press changes nothing
    return redirect(url_for("console.import_progress", token=token))


@requires("admin")
def progress(token: str):
    found = import_jobs.status(service(), token)
    if found is None:
        abort(404, description=_("No such import (they are kept for a day)."))
    if request.path.endswith(".json"):
        return jsonify(found)
    return render_template("console/import_progress.html", job=found, token=token)


ROUTES = (
    ("GET", "/farmers/import", import_farmers),
    ("POST", "/farmers/import", import_farmers),
    ("POST", "/farmers/import/<token>", start),
    ("GET", "/farmers/import/<token>", progress),
    ("GET", "/farmers/import/<token>.json", progress),
)
ENDPOINTS = {"start": "start_import", "progress": "import_progress"}
