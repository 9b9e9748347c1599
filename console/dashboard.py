"""The dashboard: the last day's and week's figures at a glance (issue #12, part 3). Counts and sums only: no phone
number is on this page, so every role sees the same thing. The same figures are on /metrics for Prometheus."""
from __future__ import annotations

from decimal import Decimal

from flask import render_template, request

from console import charts
from console.i18n import _
from console.security import requires, service
from service import figures

# AT's words for how a session ended, in the order a bar shows them.
OUTCOMES = (("Success", "good"), ("Incomplete", "warn"), ("Failed", "bad"))


def money(amount, currency: str) -> str:
    return f"{Decimal(amount or 0):,.2f} {currency}"


def major(minor: int) -> Decimal:
    """Paise to rupees (and cents to shillings): every currency the service takes has two decimals."""
    return Decimal(minor or 0) / 100


@requires("viewer")
def dashboard():
    window = request.args.get("window", "day")
    window = window if window in figures.WINDOWS else "day"
    with service().backends.sessions() as db:
        found = figures.for_window(db, window)
    return render_template("console/dashboard.html", f=found, window=window, windows=figures.WINDOWS,
                           currency=service().settings.sms_segment_price.currency, money=money, major=major,
                           charts=_charts(found))


def _charts(f: figures.Figures) -> dict:
    # AT's own words for the outcomes, as a support engineer at AT would read them; anything else as "other".
    parts = [(name, css) for name, css in OUTCOMES]
    counts = [f.ussd.get(name, 0) for name, _css in OUTCOMES]
    others = sum(n for status, n in f.ussd.items() if status not in dict(OUTCOMES))
    if others:
        parts.append((_("other"), "other"))
        counts.append(others)
    return {
        "ussd": charts.stacked_bars([(_("sessions"), counts)] if f.ussd else [], parts,
                                    _("USSD sessions by how they ended")),
        "drop_offs": charts.bar_chart([(screen or _("(screen not known)"), n) for screen, n in f.drop_offs],
                                      _("Where farmers dropped off (USSD screen)"), kind="warn"),
        "delivery": charts.stacked_bars(
            [(d.provider, [d.delivered, d.pending, d.failed]) for d in f.delivery],
            [(_("delivered"), "good"), (_("sent, no report yet"), "other"), (_("failed"), "bad")],
            _("Delivery per SMS provider")),
        "sms": charts.bar_chart([(_("SMS in"), f.sms_in), (_("SMS out"), f.sms_out_total),
                                 (_("DLT refusals"), f.dlt_refusals)], _("SMS in and out")),
        "intents": charts.bar_chart([(intent or _("(not understood)"), n) for intent, n in f.intents],
                                    _("What farmers' SMS asked for")),
    }


ROUTES = (("GET", "/dashboard", dashboard),)
