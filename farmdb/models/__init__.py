"""All models, importable from one place: `from farmdb.models import Farmer`."""
from farmdb.models.alerts import PriceAlert
from farmdb.models.base import Base
from farmdb.models.calls import CallLog
from farmdb.models.catalogue import Advisory, Crop, District, Mandi, MarketPrice, State, WeatherForecast
from farmdb.models.farmers import ConsentEvent, Farmer, FarmerCrop
from farmdb.models.messages import Broadcast, Campaign, DltTemplate, InboundMessage, OutboundMessage, UssdSession
from farmdb.models.operators import ApiKey, AuditEvent, Operator
from farmdb.models.payments import Payment, PaymentEvent, Plan, Subscription
from farmdb.models.requests import ExpertRequest

__all__ = [
    "Advisory", "ApiKey", "AuditEvent", "Base", "Broadcast", "CallLog", "Campaign", "ConsentEvent", "Crop", "District",
    "DltTemplate", "ExpertRequest", "Farmer", "FarmerCrop", "InboundMessage", "Mandi", "MarketPrice", "Operator",
    "OutboundMessage", "Payment", "PaymentEvent", "Plan", "PriceAlert", "State", "Subscription", "UssdSession",
    "WeatherForecast",
]
