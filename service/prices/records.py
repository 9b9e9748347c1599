"""Agmarknet's prices read into one shape, whichever way they came: the data.gov.in API's JSON (its lower-case
fields with strings, or the sister resource's capitalised fields with numbers) or a CSV exported from the Agmarknet
portal (human headers such as "Modal Price (Rs./Quintal)", sometimes below a title line). What cannot be read is
said with where it is (a line of the file, a record of the answer) and why; nothing here judges the prices."""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable

DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d %b %Y", "%d-%b-%Y", "%d %B %Y", "%d-%B-%Y", "%d/%m/%y")
# Header (or JSON key) spellings, lower-cased, bracketed units dropped, punctuation as spaces -> our field.
FIELDS = {
    "state": "state", "state name": "state",
    "district": "district", "district name": "district",
    "market": "market", "market name": "market", "apmc": "market", "apmc name": "market", "mandi": "market",
    "mandi name": "market", "market center": "market", "market centre": "market",
    "commodity": "commodity", "commodity name": "commodity",
    "variety": "variety", "variety name": "variety",
    "grade": "grade",
    "min price": "min_price", "minimum price": "min_price", "min": "min_price",
    "max price": "max_price", "maximum price": "max_price", "max": "max_price",
    "modal price": "modal_price", "modal": "modal_price",
    "arrival date": "day", "price date": "day", "reported date": "day", "date": "day",
}
REQUIRED = ("state", "district", "market", "commodity", "min_price", "max_price", "modal_price", "day")
HEADER_NEEDS = {"market", "commodity", "modal_price"}  # a row naming these is the header
LIMITS = {"state": 64, "district": 64, "market": 64, "commodity": 80, "variety": 60, "grade": 24}


class FileProblem(ValueError):
    """The whole file cannot be read (not CSV or JSON, no header, no state): one line for the operator."""


@dataclass(frozen=True)
class Record:
    where: str  # "line 12" of a file, "record 3" of an answer
    state: str
    district: str
    market: str
    commodity: str
    variety: str
    grade: str
    day: date
    min_price: int
    max_price: int
    modal_price: int


Problem = tuple[str, str]  # (where, why)


def field_of(header: str) -> str | None:
    name = re.sub(r"\(.*?\)", " ", str(header)).lower()
    return FIELDS.get(" ".join(re.sub(r"[^a-z0-9]+", " ", name).split()))


def read_file(text: str, *, state: str | None = None) -> tuple[list[Record], list[Problem]]:
    """A saved API answer (JSON) or a portal export (CSV), told apart by their first character."""
    text = text.lstrip("\ufeff")
    if text.lstrip()[:1] in ("{", "["):
        return read_json(text, state=state)
    if text.lstrip()[:1] == "<" or "\t" in text.partition("\n")[0] and "," not in text.partition("\n")[0]:
        raise FileProblem("this is not CSV (an .xls export is HTML or tab-separated): save it from the spreadsheet "
                          "as CSV, or download the report as CSV")
    return read_csv(text, state=state)


def read_json(text: str, *, state: str | None = None) -> tuple[list[Record], list[Problem]]:
    """An API answer ({"records": [...], ...}), a list of answers (pages), or a bare list of records."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileProblem(f"not JSON: {exc.msg} at line {exc.lineno}") from None
    pages = data if isinstance(data, list) and all(isinstance(p, dict) and "records" in p for p in data) else [data]
    items: list = []
    for page in pages:
        if isinstance(page, dict):
            if "records" not in page:
                raise FileProblem("a JSON object without `records`: is this an answer of the data.gov.in API?")
            items.extend(page["records"] or [])
        elif isinstance(page, list):
            items.extend(page)
    return read_api_records(items, state=state)


def read_api_records(items: Iterable, *, state: str | None = None) -> tuple[list[Record], list[Problem]]:
    records, problems = [], []
    for number, item in enumerate(items, 1):
        where = f"record {number}"
        if not isinstance(item, dict):
            problems.append((where, "not an object"))
            continue
        cells = {field_of(key): value for key, value in item.items() if field_of(key)}
        _read(where, cells, state, records, problems)
    return records, problems


def read_csv(text: str, *, state: str | None = None) -> tuple[list[Record], list[Problem]]:
    reader = csv.reader(io.StringIO(text))
    columns = None
    records, problems = [], []
    try:
        for row in reader:
            if columns is None:
                named = [field_of(cell) for cell in row]
                if HEADER_NEEDS <= set(named):
                    columns = named
                    if "state" not in columns and not state:
                        raise FileProblem("the file has no state column: say which state it is for with --state")
                continue
            if sum(1 for cell in row if cell.strip()) < 2:
                continue  # an empty line, or a note under the table ("Source: Agmarknet")
            cells = {name: value for name, value in zip(columns, row) if name}
            _read(f"line {reader.line_num}", cells, state, records, problems)
    except csv.Error as exc:
        raise FileProblem(f"line {reader.line_num}: not readable as CSV ({exc})") from None
    if columns is None:
        raise FileProblem("no header row naming the market, commodity and modal price: is this an Agmarknet "
                          "price report?")
    return records, problems


def _read(where: str, cells: dict, state: str | None, records: list, problems: list) -> None:
    if state and not _text(cells.get("state")):
        cells["state"] = state
    missing = [name for name in REQUIRED if _text(cells.get(name)) == ""]
    if missing:
        problems.append((where, f"no {', '.join(n.replace('_', ' ') for n in missing)}"))
        return
    try:
        day = _date(cells["day"])
        low, high, modal = (_price(cells[name], name) for name in ("min_price", "max_price", "modal_price"))
    except ValueError as exc:
        problems.append((where, str(exc)))
        return
    text = {name: _text(cells.get(name))[:limit] for name, limit in LIMITS.items()}
    records.append(Record(where, text["state"], text["district"], text["market"], text["commodity"],
                          text["variety"], text["grade"], day, low, high, modal))


def _text(value) -> str:
    return "" if value is None else " ".join(str(value).split())


def _price(value, name: str) -> int:
    raw = _text(value).replace(",", "")
    try:
        number = float(raw)
    except ValueError:
        raise ValueError(f"{name.replace('_', ' ')} {raw[:20]!r} is not a number") from None
    if not 0 <= number < 10_000_000:
        raise ValueError(f"{name.replace('_', ' ')} {raw[:20]!r} is not a price")
    return round(number)


def _date(value) -> date:
    raw = _text(value)
    for candidate in (raw, raw.split(" ")[0], raw.split("T")[0]):
        for form in DATE_FORMATS:
            try:
                return datetime.strptime(candidate, form).date()
            except ValueError:
                continue
    raise ValueError(f"date {raw[:20]!r} is not a date (04/12/2026)")
