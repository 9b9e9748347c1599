"""Recurring campaigns in the console (issue #12, part 1): the list (when each runs next, what its last run made or
why it made nothing), a new one (what, to whom, which weekdays at what time), paused and resumed. The beat makes
their broadcasts (service.broadcasts.campaigns); each then shows on the broadcasts page like any other."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from console.broadcast_forms import CampaignForm, local_time
from console.forms import ActionForm
from console.i18n import _
from console.security import audited, requires, service
from farmdb.models import Campaign
from service.broadcasts import BroadcastError, campaigns


@requires("viewer")
def campaigns_list():
    svc = service()
    with svc.backends.sessions() as db:
        rows = db.scalars(select(Campaign).order_by(Campaign.active.desc(), Campaign.next_run_at)).all()
        return render_template("console/campaigns.html", rows=rows, form=ActionForm(),
                               next_run=lambda c: local_time(c.next_run_at, svc.settings.timezone),
                               may_change=current_user.may("agronomist"))


@requires("agronomist")
def new_campaign():
    form = CampaignForm(request.form if request.method == "POST" else None)
    svc = service()
    with svc.backends.sessions() as db:
        form.fill_choices(db)
        if request.method == "POST" and form.validate():
            try:
                with db.begin_nested():
                    made = campaigns.make(
                        svc, db, title=form.title.data, audience=form.audience(), category=form.category.data,
                        weekdays=form.weekdays.data, at_time=form.at_time.data,
                        advisory_id=form.advisory.data if form.source.data == "advisory" else None,
                        words=form.words() if form.source.data != "advisory" else None,
                        created_by=current_user.username)
                    audited(db, "campaign.created", "campaign", made.id, title=made.title, weekdays=made.weekdays,
                            at=made.at_time, audience=made.audience)
                db.commit()
            except BroadcastError as exc:
                db.rollback()
                flash(str(exc), "error")
            else:
                flash(_("Campaign made: it first runs %(when)s.",
                        when=local_time(made.next_run_at, svc.settings.timezone)), "ok")
                return redirect(url_for("console.campaigns"))
        return render_template("console/campaign_new.html", form=form, campaign=True)


def _switch(campaign_id: int, active: bool):
    if not ActionForm().validate_on_submit():
        abort(400, description="the form expired: open the page again")
    svc = service()
    with svc.backends.sessions() as db, db.begin():
        try:
            campaigns.set_active(svc, db, campaign_id, active)
        except LookupError:
            abort(404)
        audited(db, "campaign.resumed" if active else "campaign.paused", "campaign", campaign_id)
    return redirect(url_for("console.campaigns"))


@requires("agronomist")
def pause(campaign_id: int):
    return _switch(campaign_id, False)


@requires("agronomist")
def resume(campaign_id: int):
    return _switch(campaign_id, True)


ROUTES = (
    ("GET", "/campaigns", campaigns_list),
    ("GET", "/campaigns/new", new_campaign),
    ("POST", "/campaigns/new", new_campaign),
    ("POST", "/campaigns/<int:campaign_id>/pause", pause),
    ("POST", "/campaigns/<int:campaign_id>/resume", resume),
)
ENDPOINTS = {"campaigns_list": "campaigns", "new_campaign": "new_campaign", "pause": "pause_campaign",
             "resume": "resume_campaign"}
