""""Call the farmer" from the expert desk: the provider rings the agronomist's phone and, when they answer, dials
the farmer, so the farmer pays nothing and the agronomist need not see the number. The call is logged (kind
"bridge", with the farmer's number) so the voice callbacks of Africa's Talking and Plivo, which ask our webhook what
to do when the agronomist answers, know whom to dial."""
from __future__ import annotations

from sqlalchemy.orm import Session

from farmdb.models import CallLog, ExpertRequest, Operator
from service.context import Service
from service.providers import SendError
from service.simulated_phones import is_simulated
from service.tickets import TicketError


def call_farmer(service: Service, db: Session, ticket: ExpertRequest, operator: Operator) -> CallLog:
    farmer = ticket.farmer
    if farmer is None:
        raise TicketError("the farmer has erased their data: there is nobody to call")
    if not operator.phone:
        raise TicketError("your phone number is not known: an admin adds it on the Operators page")
    if is_simulated(service.settings, farmer.phone):
        raise TicketError("this farmer is a console phone (SIMULATOR_NUMBERS): there is nobody to ring")
    try:
        provider = service.provider_for(farmer.phone)  # the farmer's country's provider, as their SMS
        placed = provider.bridge(operator.phone, farmer.phone)
    except SendError as problem:
        raise TicketError(f"the call could not be placed: {problem}") from problem
    call = CallLog(provider=provider.name, call_id=placed.call_id[:64], kind="bridge", direction="outbound",
                   phone=farmer.phone, line=placed.line, farmer_id=farmer.id, status="queued")
    db.add(call)
    return call
