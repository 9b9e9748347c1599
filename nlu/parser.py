"""Reading one farmer's message: intent with a confidence, and the crop, district and language it names.

Keywords take a fast exact path first (STOP, START, HELP, PRICE <crop>, WEATHER <district>, LANG HI, ALERT <crop>
<price>); everything else goes to the model. A message that is only a crop, a price and perhaps a place ("onion 2000
lasalgaon") also carries the price alert it may be (nlu.alert_words): the caller, who can look the place up, decides.
Below CONFIDENCE_FLOOR the intent is reported as it is, and the caller answers with help and examples rather than
guess.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from nlu import alert_words, lexicon
from nlu.alert_words import AlertWords
from nlu.model import features, load_or_train
from nlu.transliterate import has_devanagari

CONFIDENCE_FLOOR = 0.45
KEYWORDS = {
    "stop": "opt_out", "unsubscribe": "opt_out", "stopall": "opt_out", "start": "register", "help": "help",
    "menu": "help", "price": "market_price", "rate": "market_price", "bhav": "market_price",
    "weather": "weather", "mausam": "weather", "lang": "change_language", "language": "change_language",
}
MARATHI_MARKERS = {"आहे", "नाही", "काय", "मला", "आणि", "कधी", "करा", "द्या", "पाहिजे", "किती", "कसा", "कशी", "उद्या",
                   "aahe", "ahe", "nahi", "kay", "mala", "ani", "kadhi", "kara", "dya", "pahije", "kiti", "udya",
                   "kasa", "kashi", "hoil", "padel", "sanga", "bajarbhav", "kanda", "paus"}
HINDI_MARKERS = {"है", "हैं", "क्या", "कब", "कैसे", "मेरा", "मुझे", "करें", "होगी", "hai", "kya", "kab", "kaise",
                 "mera", "mujhe", "karein", "hogi", "ka", "ki", "ke", "kitna", "bhav", "barish", "batao"}


@dataclass
class Parse:
    text: str
    intent: str
    confidence: float
    entities: dict = field(default_factory=dict)
    language: str = "hi"  # the language the message is written in, for replying to someone we do not know
    keyword: bool = False
    alert: AlertWords | None = None  # the price alert the message asks for, if it reads as one

    @property
    def confident(self) -> bool:
        return self.confidence >= CONFIDENCE_FLOOR

    def to_json(self) -> dict:
        return {"text": self.text, "intent": self.intent, "confidence": round(self.confidence, 3),
                "entities": dict(self.entities)}


class Parser:
    def __init__(self, cache_dir: Path | str = "var"):
        self.cache_dir = Path(cache_dir)
        self.model = load_or_train(self.cache_dir)
        self.crops, self.districts = lexicon.crops(), lexicon.districts()

    def parse(self, text: str) -> Parse:
        text = (text or "").strip()[:1000]
        language = detect_language(text)
        if not re.search(r"[\w\u0900-\u097f]", text):
            return Parse(text, "help", 0.0, _entities(None, None, None), language)
        alert = alert_words.read(text, self._crop_words(text))
        if alert and alert.keyword:
            return Parse(text, "price_alert", 1.0, self._entities(text, "price_alert", language), language,
                         keyword=True, alert=alert)
        keyword = self._keyword(text, language)
        if keyword:
            return keyword
        probabilities = self.model.predict_proba([features(text)])[0]
        best = int(probabilities.argmax())
        intent = self.model.classes_[best]
        return Parse(text, intent, float(probabilities[best]), self._entities(text, intent, language), language,
                     alert=alert)

    def _entities(self, text: str, intent: str, language: str) -> dict:
        # A word that is exactly a district ("satara") is a place, not a crop it merely resembles ("santra");
        # otherwise a word read as a crop ("chana") is not also a place it resembles ("Chamba").
        places = self.districts.find(text)
        crop = self.crops.find(text, skip={m.start for m in places if m.score == 100})
        taken = {m.start for m in crop}
        place = [m for m in places if m.score == 100 or m.start not in taken]
        wanted = lexicon.language_in(text, language) if intent == "change_language" else None
        return _entities(crop[0].value if crop else None, place[0].value if place else None, wanted)

    def _crop_words(self, text: str) -> set[int]:
        """Which of the alert reader's words name a crop: each word on its own ("kanda", "2,500" is none), and two
        words that only together are one ("sugar cane", "pigeon pea")."""
        words = alert_words.words_of(text)
        found = {i for i, word in enumerate(words) if not word[:1].isdigit() and self.crops.find(word)}
        for i in range(len(words) - 1):
            if not {i, i + 1} & found and self.crops.find(f"{words[i]} {words[i + 1]}"):
                found |= {i, i + 1}
        return found

    def _keyword(self, text: str, language: str) -> Parse | None:
        words = text.split()
        head = words[0].casefold().strip(".,!")
        if head not in KEYWORDS or (len(words) > 3 and head not in ("stop", "start")):
            return None
        if len(words) > 1 and head in ("stop", "start", "help", "menu"):
            return None  # "stop the pink bollworm" is not STOP
        intent = KEYWORDS[head]
        return Parse(text, intent, 1.0, self._entities(text, intent, language), language, keyword=True)


def _entities(crop, location, language) -> dict:
    return {"crop": crop, "location": location, "language": language}


def detect_language(text: str) -> str:
    """hi, mr or en: what to reply in to someone we do not know yet."""
    words = set(re.findall(r"[\w\u0900-\u097f]+", text.casefold()))
    marathi, hindi = len(words & MARATHI_MARKERS), len(words & HINDI_MARKERS)
    if has_devanagari(text):
        return "mr" if marathi > hindi or "ळ" in text else "hi"
    if marathi > hindi:
        return "mr"
    if hindi:
        return "hi"
    return "en" if words else "hi"


__all__ = ["CONFIDENCE_FLOOR", "Parse", "Parser", "asdict", "detect_language"]
