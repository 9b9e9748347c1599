"""All models, importable from one place: `from farmdb.models import Farmer`."""
from farmdb.models.base import Base
from farmdb.models.catalogue import Advisory, Crop, District, Mandi, MarketPrice, State, WeatherForecast
from farmdb.models.farmers import ConsentEvent, Farmer, FarmerCrop
from farmdb.models.messages import InboundMessage, OutboundMessage, UssdSession
from farmdb.models.payments import Payment, Plan, Subscription
from farmdb.models.requests import ExpertRequest

__all__ = [
    "Advisory", "Base", "ConsentEvent", "Crop", "District", "ExpertRequest", "Farmer", "FarmerCrop",
    "InboundMessage", "Mandi", "MarketPrice", "OutboundMessage", "Payment", "Plan", "State", "Subscription",
    "UssdSession",
    "WeatherForecast",
]
