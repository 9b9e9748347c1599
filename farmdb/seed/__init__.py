"""`kheti seed`: reference data (and, with --demo, demo data). Idempotent: a second run changes nothing."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from farmdb import models
from farmdb.seed import catalogue, demo, places


def load_all(session: Session, *, demo_data: bool = True, today: date | None = None) -> dict[str, int]:
    today = today or date.today()
    states = places.load_states(session)
    districts = places.load_districts(session, states)
    crops = catalogue.load_crops(session)
    mandis = places.load_mandis(session, districts)
    catalogue.load_advisories(session, crops, states)
    catalogue.load_plans(session)
    if demo_data:
        demo.load_prices(session, mandis, crops, today)
        demo.load_forecasts(session, districts, today)
        demo.load_demo_farmer(session, districts, crops, today)
        demo.load_dlt_templates(session)
    return {table: session.scalar(select(func.count()).select_from(model))
            for table, model in (("states", models.State), ("districts", models.District),
                                 ("crops", models.Crop), ("mandis", models.Mandi),
                                 ("advisories", models.Advisory), ("plans", models.Plan),
                                 ("prices", models.MarketPrice), ("forecasts", models.WeatherForecast),
                                 ("farmers", models.Farmer), ("DLT templates", models.DltTemplate))}
