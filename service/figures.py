"""The business figures the dashboard shows and Prometheus scrapes: USSD sessions and where farmers drop off, SMS in
and out, delivery per provider, DLT refusals, money spent and taken, tickets, what farmers write about.

Every figure is a GROUP BY in the database (a handful of queries, never a loop over rows), so a million messages cost
one scan each, not a million objects. No phone number leaves this module: only counts and sums."""
from __future__ import annotations

import json

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from farmdb.models import CallLog, InboundMessage, OutboundMessage, Payment, UssdSession
from farmdb.types import UtcDateTime, utcnow
from service import tickets

WINDOWS = {"day": timedelta(days=1), "week": timedelta(days=7)}
# Africa's Talking reports "Success" for a session our menu ended (an END screen); "Incomplete" (the farmer hung up
# or timed out) and "Failed" are the ones that dropped off somewhere, and exit_screen says where.
FINISHED = "Success"
TOP = 8
DELIVERED, UNDELIVERED = "delivered", ("failed", "undelivered")
DLT_REFUSED = and_(OutboundMessage.status == "failed", OutboundMessage.last_error.like("DLT%"))


@dataclass(frozen=True)
class Delivery:
    provider: str
    delivered: int = 0
    failed: int = 0  # failed or undelivered: the provider said it did not arrive
    pending: int = 0  # handed over ("sent"), no final word yet

    @property
    def rate(self) -> float | None:
        """delivered / (delivered + failed + sent): a message with no word from the handset yet counts against."""
        total = self.delivered + self.failed + self.pending
        return self.delivered / total if total else None


@dataclass
class Figures:
    window: str
    since: datetime
    until: datetime
    ussd: dict[str, int] = field(default_factory=dict)  # outcome (AT status) -> sessions
    drop_offs: list[tuple[str | None, int]] = field(default_factory=list)  # exit screen -> sessions, top 8
    sms_in: int = 0
    sms_out: dict[str, int] = field(default_factory=dict)  # our status -> messages
    delivery: list[Delivery] = field(default_factory=list)
    dlt_refusals: int = 0
    sms_spent: Decimal = Decimal(0)  # estimated, of messages handed to a provider
    call_spent: dict[str, Decimal] = field(default_factory=dict)  # currency -> what providers charged for calls
    payments: dict[str, int] = field(default_factory=dict)  # status -> payments made in the window
    revenue: dict[str, int] = field(default_factory=dict)  # currency -> minor units paid in the window
    tickets_open: int = 0
    tickets_overdue: int = 0
    intents: list[tuple[str | None, int]] = field(default_factory=list)  # top 8 of what farmers' SMS asked

    @property
    def ussd_total(self) -> int:
        return sum(self.ussd.values())

    @property
    def sms_out_total(self) -> int:
        return sum(self.sms_out.values())


def for_window(db: Session, window: str = "day", now: datetime | None = None) -> Figures:
    """The figures of the last day or week up to `now`; tickets are as they stand now, whatever the window."""
    until = now or utcnow()
    since = until - WINDOWS[window]
    figures = Figures(window, since, until)
    _ussd(db, figures)
    _inbound(db, figures)
    _outbound(db, figures)
    _money_in(db, figures)
    figures.tickets_open, figures.tickets_overdue = tickets.open_and_overdue(db, until)
    return figures


def _between(column, figures: Figures):
    return and_(column >= figures.since, column < figures.until)


def _ussd(db: Session, figures: Figures) -> None:
    window = _between(UssdSession.ended_at, figures)
    figures.ussd = dict(db.execute(select(UssdSession.status, func.count()).where(window)
                                   .group_by(UssdSession.status)).all())
    count = func.count().label("n")
    figures.drop_offs = [tuple(row) for row in db.execute(
        select(UssdSession.exit_screen, count).where(window, UssdSession.status != FINISHED)
        .group_by(UssdSession.exit_screen).order_by(count.desc(), UssdSession.exit_screen.nulls_last()).limit(TOP))]


def _inbound(db: Session, figures: Figures) -> None:
    # Intents are a short fixed list, so one GROUP BY gives both the total and the top ones.
    rows = db.execute(select(InboundMessage.intent, func.count()).where(_between(InboundMessage.received_at, figures))
                      .group_by(InboundMessage.intent)).all()
    figures.sms_in = sum(n for _intent, n in rows)
    figures.intents = sorted(((intent, n) for intent, n in rows), key=lambda r: (-r[1], r[0] or ""))[:TOP]


def _outbound(db: Session, figures: Figures) -> None:
    handed = OutboundMessage.provider.is_not(None)
    rows = db.execute(
        select(OutboundMessage.provider, OutboundMessage.status, func.count(), func.count().filter(DLT_REFUSED),
               func.sum(OutboundMessage.estimated_cost).filter(handed))
        .where(_between(OutboundMessage.created_at, figures))
        .group_by(OutboundMessage.provider, OutboundMessage.status)).all()
    by_provider: dict[str, dict[str, int]] = {}
    for provider, status, n, refused, spent in rows:  # one row per (provider, status): a few dozen at most
        figures.sms_out[status] = figures.sms_out.get(status, 0) + n
        figures.dlt_refusals += refused
        figures.sms_spent += Decimal(spent or 0)
        if provider is not None:
            counts = by_provider.setdefault(provider, {})
            counts[status] = counts.get(status, 0) + n
    figures.delivery = [Delivery(provider, counts.get(DELIVERED, 0), sum(counts.get(s, 0) for s in UNDELIVERED),
                                 counts.get("sent", 0)) for provider, counts in sorted(by_provider.items())]
    figures.call_spent = {currency or "?": Decimal(spent or 0) for currency, spent in db.execute(
        select(CallLog.cost_currency, func.sum(CallLog.cost))
        .where(_between(CallLog.created_at, figures), CallLog.cost.is_not(None)).group_by(CallLog.cost_currency))}


def _money_in(db: Session, figures: Figures) -> None:
    figures.payments = dict(db.execute(select(Payment.status, func.count())
                                       .where(_between(Payment.created_at, figures)).group_by(Payment.status)).all())
    figures.revenue = dict(db.execute(select(Payment.currency, func.sum(Payment.amount_minor))
                                      .where(Payment.status == "paid", _between(Payment.paid_at, figures))
                                      .group_by(Payment.currency)).all())


@dataclass
class Totals:
    """Over all time, for Prometheus counters (a count may drop when retention deletes old rows), and the outbox
    as it stands now."""
    sms_out: dict[tuple[str, str], int]  # (provider or "none", status) -> messages
    sms_in: int
    ussd: dict[str, int]
    exits: dict[str, int]  # exit screen of sessions that dropped off -> sessions
    dlt_refusals: int
    payments: dict[str, int]
    revenue: dict[str, int]
    tickets_open: int
    tickets_overdue: int
    queued: int
    oldest_queued_s: float  # how long the longest-waiting message has been due to go; 0 when none is

    def dumps(self) -> str:
        """As JSON, for the copy every gateway process shares in Redis (gateway.metrics)."""
        fields = dict(vars(self))
        fields["sms_out"] = [[p, s, n] for (p, s), n in self.sms_out.items()]
        return json.dumps(fields)

    @classmethod
    def loads(cls, raw: str | bytes) -> "Totals":
        fields = json.loads(raw)
        fields["sms_out"] = {(p, s): n for p, s, n in fields["sms_out"]}
        return cls(**fields)


def totals(db: Session, now: datetime | None = None) -> Totals:
    now = now or utcnow()
    sms_out, refused = {}, 0
    for provider, status, n, dlt in db.execute(
            select(OutboundMessage.provider, OutboundMessage.status, func.count(), func.count().filter(DLT_REFUSED))
            .group_by(OutboundMessage.provider, OutboundMessage.status)):
        sms_out[(provider or "none", status)] = n
        refused += dlt
    exits = db.execute(select(UssdSession.exit_screen, func.count()).where(UssdSession.status != FINISHED)
                       .group_by(UssdSession.exit_screen)).all()
    # A message deferred to its send window (quiet hours, a schedule) is not late: it is due from send_after, and
    # once the sweeper releases it (send_after cleared, updated_at set) from its release.
    due = func.coalesce(OutboundMessage.send_after, OutboundMessage.updated_at, OutboundMessage.created_at,
                        type_=UtcDateTime)
    queued, oldest = db.execute(select(func.count(), func.min(due).filter(
        or_(OutboundMessage.send_after.is_(None), OutboundMessage.send_after <= now)))
        .where(OutboundMessage.status == "queued")).one()
    open_, overdue = tickets.open_and_overdue(db, now)
    return Totals(
        sms_out=sms_out,
        sms_in=db.scalar(select(func.count()).select_from(InboundMessage)),
        ussd=dict(db.execute(select(UssdSession.status, func.count()).group_by(UssdSession.status)).all()),
        exits={screen or "unknown": n for screen, n in exits},
        dlt_refusals=refused,
        payments=dict(db.execute(select(Payment.status, func.count()).group_by(Payment.status)).all()),
        revenue=dict(db.execute(select(Payment.currency, func.sum(Payment.amount_minor))
                                .where(Payment.status == "paid").group_by(Payment.currency)).all()),
        tickets_open=open_, tickets_overdue=overdue, queued=queued,
        oldest_queued_s=max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0)

