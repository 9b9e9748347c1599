"""A farm in memory that answers every question the dialogs may ask (dialogs.services.FarmServices): two states,
a few districts, wheat and onion with their stages, a mandi's prices, one plan, one advisory. No database, Redis or
HTTP: the engine and the SMS dialog run on it exactly as on the real services."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from dialogs.model import Profile
from dialogs.services import CropInfo, DayWeather, ExpertAnswer, MandiPrice, Named, PlanInfo, PriceAlertInfo
from dialogs.ussd import UssdLayout

TODAY = date(2026, 7, 15)
MAHARASHTRA, BIHAR = Named(1, {"en": "Maharashtra", "hi": "महाराष्ट्र", "mr": "महाराष्ट्र"}, {"hi": "Maharashtra"}), \
    Named(2, {"en": "Bihar", "hi": "बिहार", "mr": "बिहार"}, {"hi": "Bihar"})
NASHIK = Named(11, {"en": "Nashik", "hi": "नासिक", "mr": "नाशिक"}, {"hi": "Nasik", "mr": "Nashik"})
PUNE = Named(12, {"en": "Pune", "hi": "पुणे", "mr": "पुणे"}, {"hi": "Pune", "mr": "Pune"})
PURNIA = Named(21, {"en": "Purnia", "hi": "पूर्णिया", "mr": "पूर्णिया"}, {"hi": "Purnia"})
WHEAT = CropInfo("wheat", {"en": "Wheat", "hi": "गेहूं", "mr": "गहू"}, {"hi": "Gehun", "mr": "Gahu"},
                 ("sowing", "tillering", "flowering", "harvest"))
ONION = CropInfo("onion", {"en": "Onion", "hi": "प्याज", "mr": "कांदा"}, {"hi": "Pyaz", "mr": "Kanda"},
                 ("sowing", "vegetative", "tuber_bulking", "harvest"))
PLAN = PlanInfo("season_basic", {"en": "Season plan", "hi": "सीज़न प्लान", "mr": "हंगाम योजना"},
                {"hi": "Season plan", "mr": "Hangam yojana"}, price_minor=9900, duration_days=120)
LASALGAON = Named(301, {"en": "Lasalgaon", "hi": "लासलगांव", "mr": "लासलगाव"}, {"hi": "Lasalgaon", "mr": "Lasalgaon"})
INDORE = Named(302, {"en": "Indore", "hi": "इंदौर", "mr": "इंदूर"}, {"hi": "Indore", "mr": "Indore"})
FRESH = MandiPrice(LASALGAON, TODAY, 1600, 2000, 1850, 40.0)
# Old past PRICE_STALE_DAYS (3 here); too far to be in reach (dialogs.flows.prices.PRICE_REACH_KM).
OLD = MandiPrice(LASALGAON, TODAY - timedelta(days=5), 1500, 1900, 1700, 40.0)
FAR = MandiPrice(INDORE, TODAY - timedelta(days=1), 2100, 2300, 2250, 420.0)
PRICES = {"onion": [FRESH]}  # the crop's prices at the nearest mandis, nearest first; wheat has none anywhere
FARMER = Profile(farmer_id=7, name="Asha Pawar", locale="en", state_id=1, district_id=11,
                 crops={"onion": "2026-06-01", "wheat": None})


class Farm:
    default_locale = "en"
    grievance_contact = "1800-000-0000"
    price_stale_days = 3

    def __init__(self, *, farmer: Profile | None = FARMER, layout=UssdLayout(), prices: dict | None = None,
                 alerts: list[PriceAlertInfo] = ()):
        self.farmer, self.layout = farmer, layout
        self._prices = PRICES if prices is None else prices
        self.alerts = list(alerts)  # the farmer's active price alerts, oldest first
        self.tickets = iter(range(4_200_001, 4_300_000))
        self.answers: dict[int, ExpertAnswer] = {}  # farmer id -> an expert's answer not yet heard

    def today(self) -> date:
        return TODAY

    def profile(self, phone):
        return self.farmer

    def waiting_answer(self, farmer_id):
        return self.answers.get(farmer_id)

    def states(self):
        return [MAHARASHTRA, BIHAR]

    def districts(self, state_id):
        return {1: [NASHIK, PUNE], 2: [PURNIA]}.get(state_id, [])

    def find_states(self, text):
        return [s for s in self.states() if s.names["en"].lower().startswith(text.strip().lower()[:4])]

    def find_districts(self, state_id, text):
        return [d for d in self.districts(state_id) if d.names["en"].lower().startswith(text.strip().lower()[:4])]

    def district(self, district_id):
        return {d.key: d for d in (NASHIK, PUNE, PURNIA)}.get(district_id)

    def crops(self):
        return [WHEAT, ONION]

    def crop_stage(self, crop, sown_on):
        return "vegetative" if (TODAY - sown_on).days > 30 else "sowing"

    def forecast(self, district_id, days=3):
        return [DayWeather(date(2026, 7, 15 + n), [0.0, 12.0, 3.0][n], 22, 31) for n in range(days)]

    def prices(self, crop, district_id, limit=3):
        return self._prices.get(crop, [])[:limit]

    def advisory(self, crop, stage, state_id):
        if (crop, stage) == ("onion", "vegetative"):
            return {"en": "Give the second dose of nitrogen now.", "hi": "अब नाइट्रोजन की दूसरी खुराक दें।",
                    "mr": "आता नत्राचा दुसरा हप्ता द्या."}
        return None

    def plans(self):
        return [PLAN]

    def new_ticket(self):
        return str(next(self.tickets))

    def find_districts_anywhere(self, text):
        found = [(f"{d.names['en']} ({s.names['en']})", s.key, d.key) for s in self.states()
                 for d in self.districts(s.key) if d.names["en"].lower().startswith(text.strip().lower()[:4])]
        return found

    def district_named(self, name, prefer_state=None, text=""):
        return next((d for d in (NASHIK, PUNE, PURNIA) if d.names["en"] == name), None)

    def crops_in(self, text):
        return [c.key for c in self.crops() if c.key in text.lower() or c.romanised.get("hi", "").lower() in text.lower()]

    def price_alerts(self, farmer_id):
        return list(self.alerts)

    def find_mandis(self, text):
        return [m for m in (LASALGAON, INDORE) if text.strip().lower() in (m.names["en"].lower(), m.names["mr"])]

    def price_at(self, crop, mandi_id):
        return next((replace(p, distance_km=0.0) for p in self._prices.get(crop, []) if p.mandi.key == mandi_id), None)

    def latest_payment(self, farmer_id):
        return (9900, PLAN, "pending")
