"""A district by the name an operator writes in a form, a CSV import or a broadcast's audience: its name today, or,
when no district has that name, a name it went by ("Ahmednagar" is Ahilyanagar, "Gurgaon" Gurugram). Exact, not by
sound: what farmers type is matched by sound in service.reference and nlu."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from farmdb.models import District, State


def called(db: Session, name: str, *, state_id: int | None = None,
           state_name: str | None = None) -> list[tuple[int, str]]:
    """(district id, state name) of every district called `name` (in one state, when given); [] when none is."""
    wanted = name.strip().casefold()
    query = select(District.id, State.name).join(State)
    if state_id is not None:
        query = query.where(District.state_id == state_id)
    if state_name:
        query = query.where(func.lower(State.name) == state_name.strip().lower())
    today = db.execute(query.where(func.lower(District.name) == wanted)).all()
    if today or not wanted:
        return [tuple(row) for row in today]
    return [(district_id, state) for district_id, state, spellings in db.execute(query.add_columns(District.spellings))
            if wanted in {s.casefold() for s in spellings or ()}]


def former_names(db: Session) -> dict[str, list[int]]:
    """Every district id by each Latin name it went by or is also written as (lower case), for reading many rows at
    once; a district's name today is not among them."""
    names: dict[str, list[int]] = {}
    for district_id, name, spellings in db.execute(select(District.id, District.name, District.spellings)):
        for spelling in {s.casefold() for s in spellings or () if s.isascii()} - {name.casefold()}:
            names.setdefault(spelling, []).append(district_id)
    return names
