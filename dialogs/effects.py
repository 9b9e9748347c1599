"""What should happen because of a hop, described as data. The core (service.effects) carries these out in one
database transaction after the engine returns; SMS and payment links go to the workers after that transaction
commits."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class RegisterFarmer:
    phone: str
    name: str
    locale: str
    state_id: int
    district_id: int
    crops: tuple[str, ...]
    channel: str
    consent_notice: str  # the message id of the notice the farmer agreed to


@dataclass(frozen=True)
class UpdateFarmer:
    farmer_id: int
    locale: str | None = None
    state_id: int | None = None
    district_id: int | None = None
    crops: tuple[str, ...] | None = None
    sms_opted_out: bool | None = None


@dataclass(frozen=True)
class EraseFarmer:
    """Consent withdrawn: delete the farmer's personal data, keep the consent record (DPDP Act)."""
    farmer_id: int
    channel: str
    notice: str


@dataclass(frozen=True)
class ForgetNumber:
    """Someone with no profile asked us to delete their data: what their number left behind (their messages and
    our answers, their calls and sessions) goes, as it would for a farmer."""
    phone: str
    channel: str


@dataclass(frozen=True)
class CreateExpertRequest:
    ticket: str
    farmer_id: int
    kind: str  # pest_report | callback | question
    channel: str
    crop: str | None = None
    description: str | None = None
    recording_url: str | None = None  # a question the farmer spoke on the voice line


@dataclass(frozen=True)
class SendSms:
    phone: str
    body: str
    locale: str
    purpose: str  # advisory | ticket | ...
    idempotency_key: str
    category: str = "service_implicit"  # a reply to something the farmer asked for
    farmer_id: int | None = None


@dataclass(frozen=True)
class StartPayment:
    """A pending Payment for a plan; the workers then send the payment link by SMS."""
    farmer_id: int
    plan_code: str
    idempotency_key: str
    channel: str


@dataclass(frozen=True)
class AnswerHeard:
    """The farmer had the expert's answer read out on a call: it is not offered again."""
    ticket: str


@dataclass(frozen=True)
class SetPriceAlert:
    """SMS the farmer when the crop's modal price at the mandi (or, with none, at the three mandis nearest the
    district) crosses `amount`. `armed` is False when it is already past it: the next crossing counts."""
    farmer_id: int
    crop: str
    mandi_id: int | None
    district_id: int | None
    direction: str  # above | below
    amount: int
    channel: str
    expires_on: date  # as the farmer was told
    armed: bool = True


@dataclass(frozen=True)
class CancelPriceAlerts:
    farmer_id: int
    alert_ids: tuple[int, ...]  # only the farmer's own are cancelled


Effect = (RegisterFarmer | UpdateFarmer | EraseFarmer | ForgetNumber | CreateExpertRequest | SendSms | StartPayment
          | AnswerHeard | SetPriceAlert | CancelPriceAlerts)
