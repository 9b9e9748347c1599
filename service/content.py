"""Advisories as agronomists write them, checked by one set of rules whoever writes them (`kheti advisory add`, the
console, the seed's own test): a text in every language farmers are served in, 1..MAX_ADVICE characters each, the
Latin-letter texts in plain ASCII (USSD screens and cheap GSM-7 SMS), and the broadcast SMS built from each still
fitting a registered DLT template (or the reason it does not)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from dialogs.encoding import measure
from farmdb.models import Advisory, Crop, State
from locales.languages import LANGUAGES
from service import dlt
from service.broadcasts.advisories import advisory_bodies
from service.context import Service

MAX_ADVICE = 300  # characters of one text: the broadcast SMS around it stays within a few segments
ALERT = "alert"  # a stage-less advisory (a pest alert), sent only by broadcast
# Every text an advisory carries: each language in its own script, then each non-Latin one in Latin letters.
ADVISORY_LANGUAGES: tuple[str, ...] = (tuple(language.code for language in LANGUAGES)
                                       + tuple(language.romanised for language in LANGUAGES if language.romanised))
LATIN = frozenset(language.romanised for language in LANGUAGES if language.romanised)


class ContentError(ValueError):
    """What an edit got wrong, worded for whoever made it; nothing was saved. `problems` by field (a language code,
    "crop", "stage", ...) so a form can say each beside its field."""

    def __init__(self, problems: Mapping[str, str]):
        self.problems = dict(problems)
        super().__init__("; ".join(f"{field}: {why}" for field, why in self.problems.items()))


def text_problems(texts: Mapping[str, str], *, latin_required: bool = True) -> dict[str, str]:
    """Each language's problem, if it has one. The Latin-letter texts are what USSD screens show of a stage's advice;
    an alert goes out only by SMS in the farmer's own script, so for an alert they may be left out."""
    problems = {}
    for code in ADVISORY_LANGUAGES:
        text = (texts.get(code) or "").strip()
        if not text:
            if code not in LATIN or latin_required:
                problems[code] = "missing: every language needs its text"
            continue
        if len(text) > MAX_ADVICE:
            problems[code] = f"{len(text)} characters, more than {MAX_ADVICE}"
        elif code in LATIN and not text.isascii():
            problems[code] = "Latin letters only (plain ASCII): this text goes on USSD screens and GSM-7 SMS"
    return problems


def cleaned(texts: Mapping[str, str]) -> dict[str, str]:
    return {code: texts[code].strip() for code in ADVISORY_LANGUAGES if (texts.get(code) or "").strip()}


def natural_key(crop_code: str, stage: str, state_name: str | None) -> str:
    """"crop:stage:region", as the seed names them, so reference loads and edits find the same row."""
    return f"{crop_code}:{stage}:{state_name or 'all'}"


def stages_of(crop: Crop) -> list[str]:
    return [s["stage"] for s in crop.stages] + [ALERT]


def add_advisory(db: Session, *, crop_code: str, stage: str, texts: Mapping[str, str], key: str | None = None,
                 state_name: str | None = None) -> Advisory:
    """A new advisory (a regional variant of a stage's advice, or a pest alert), checked before it is added."""
    crop = db.scalar(select(Crop).where(Crop.code == (crop_code or "").strip().lower()))
    if crop is None:
        raise ContentError({"crop": f"unknown crop {crop_code!r}"})
    if stage not in stages_of(crop):
        raise ContentError({"stage": f"{crop.code} has no stage {stage!r} (it has {', '.join(stages_of(crop))})"})
    state = None
    if state_name:
        state = db.scalar(select(State).where(State.name == state_name))
        if state is None:
            raise ContentError({"state": f"unknown state {state_name!r}"})
    key = key or natural_key(crop.code, stage, state and state.name)
    if len(key) > 96:
        raise ContentError({"key": "at most 96 characters"})
    if db.scalar(select(Advisory.id).where(Advisory.key == key)):
        raise ContentError({"key": f"an advisory named {key!r} exists already"})
    if stage != ALERT and db.scalar(select(Advisory.id).where(
            Advisory.crop_id == crop.id, Advisory.stage == stage,
            Advisory.state_id.is_(None) if state is None else Advisory.state_id == state.id)):
        where = state.name if state else "all of India"
        raise ContentError({"state": f"{crop.code} at {stage} already has advice for {where}: edit that one"})
    problems = text_problems(texts, latin_required=stage != ALERT)
    if problems:
        raise ContentError(problems)
    row = Advisory(key=key, crop_id=crop.id, stage=stage, state_id=state and state.id, texts=cleaned(texts))
    db.add(row)
    db.flush()
    return row


def update_texts(advisory: Advisory, texts: Mapping[str, str]) -> dict[str, dict[str, str | None]]:
    """New texts for an advisory, checked first; returns what changed, language by language (before and after)."""
    problems = text_problems(texts, latin_required=advisory.stage != ALERT)
    if problems:
        raise ContentError(problems)
    new = cleaned(texts)
    changed = {code: {"before": advisory.texts.get(code), "after": new.get(code)}
               for code in ADVISORY_LANGUAGES if advisory.texts.get(code) != new.get(code)}
    if changed:
        advisory.texts = {**advisory.texts, **new}
    return changed


@dataclass(frozen=True)
class Fit:
    """One language's broadcast SMS and the DLT template it fits, or why none does."""
    locale: str
    body: str
    encoding: str
    segments: int
    template_id: str | None
    reason: str | None


def broadcast_fit(service: Service, db: Session, crop: Crop, texts: Mapping[str, str],
                  category: str = "service_explicit") -> list[Fit]:
    """The advisory's broadcast SMS in each language (service.broadcasts' own words around the text) against the
    registered templates, as a broadcast would check it before queueing."""
    draft = Advisory(texts={**{"en": ""}, **cleaned(texts)})
    draft.crop = crop  # transient: never added to the session
    header = service.dlt_header()
    fits = []
    for locale, body in advisory_bodies(draft).items():
        length = measure(body)
        template = service.templates.match(db, body, category, header)
        reason = None if template else dlt.refusal(category, header)
        fits.append(Fit(locale, body, length.encoding, length.segments, template and template.template_id, reason))
    return fits
