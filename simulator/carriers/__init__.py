"""The providers that carry a simulated call, one module each, in one shape (carriers.base.Carrier)."""
from __future__ import annotations

from simulator.carriers.africastalking import AfricasTalking
from simulator.carriers.base import Carrier
from simulator.carriers.plivo import Plivo
from simulator.carriers.twilio import Twilio

CARRIERS: dict[str, type[Carrier]] = {c.name: c for c in (Twilio, AfricasTalking, Plivo)}

__all__ = ["CARRIERS", "Carrier"]
