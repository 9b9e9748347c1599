"""Entities by lexicon: crops, districts and languages, from the same reference data `kheti seed` loads.

Every spelling (English, Hindi, Marathi, romanised, the variants farmers type) is indexed by its phonetic key, so a
message is read by sound: "kanda", "कांदा" and "kaanda" are all onion. Short words are matched exactly only; longer
ones also fuzzily, so "soyabin" and "ahmednagar" are found too.
"""
from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

from locales import SOURCE
from locales.languages import LANGUAGES
from nlu.transliterate import has_devanagari, phonetic_key

DATA = Path(__file__).resolve().parents[1] / "farmdb" / "seed" / "data"
FUZZY_MIN_LEN = 5  # shorter words are too easily another word ("kal", "bhav")
FUZZY_CUTOFF = 88

# Words that are district names but, in a farmer's message, nearly always mean something else.
NOT_PLACES = {"mandi", "मंडी", "gaya", "bid", "puri", "sagar", "dang", "mau", "bar", "una", "dar", "mon", "samba",
              "karna", "dhar",
              # Aliases (district_names.csv) that are everyday words: "rain along with wind", हवाई छिड़काव (aerial
              # spraying), "ara hai kya", Marathi आलो (I came), जीरो (zero), chanda (a donation), thana (police).
              # Typed alone to the USSD or console district search (service.reference) they still find the district.
              "along", "aalo", "आलो", "hawai", "हवाई", "ara", "आरा", "suri", "tura", "तुरा", "ziro", "जीरो",
              "chanda", "thana"}
# Census names that are only a direction (Delhi's and Sikkim's districts in 2011): in a message they are a direction,
# and those districts go by longer names now ("North Delhi", "Mangan").
DIRECTIONS = {"north", "south", "east", "west", "central", "north east", "north west", "south west"}
# Words that sound like a crop but are common words: "make" (makke), "white" (wheat).
NOT_CROPS = {"white", "wait", "kale", "sun", "til", "us", "am", "ale", "hindi", "हिंदी", "हिन्दी", "gram", "ग्राम",
             "banani", "banane", "banaya", "bana", "bani", "marathi",
             # market, spraying, dose, whitefly's "white", chance/change: everyday words near a crop's name
             "bajar", "bazar", "bajaar", "bazaar", "बाजार", "बाज़ार", "fawarni", "favarni", "फवारणी", "matra", "मात्रा",
             "safed", "सफेद", "chance", "change"}
# A crop word that is also a Hindi verb when followed by these: "plan banana hai" is making a plan, not bananas.
NOT_CROP_BEFORE = {"banana": {"h", "hai", "he", "hoga", "chahiye", "padega", "hain", "tha", "kaise"}}

LANGUAGE_WORDS = {language.code: language.named_as for language in LANGUAGES}
NEGATIONS = {"nahi", "nhi", "nai", "not", "dont", "don't", "no", "नहीं", "नही", "नाही", "नको", "nako", "samajh",
             "samjat", "समझ", "समजत", "kalat", "कळत"}


# Case endings Hindi and Marathi attach to a noun (in phonetic-key spelling): कांद्याला, कापसाच्या, तुरीवर, makke ka.
SUFFIXES = sorted({"achya", "achi", "ache", "acha", "chya", "chi", "che", "cha", "ala", "la", "ana", "na", "ne", "ni",
                   "avar", "var", "vr", "madhe", "madye", "made", "mde", "yat", "at", "asathi", "sathi", "abadal",
                   "badal", "ka", "ki", "ke", "me", "mein", "men", "se", "ko", "s", "e", "i", "a"},
                  key=len, reverse=True)
PLACE_SUFFIXES = ["madhye", "madhe", "mdhe", "mde", "mein", "yat", "chya", "cha", "che", "chi", "var", "la", "me",
                  "at", "se", "ko", "ka", "ki", "ke", "t"]
# Oblique stems the suffixes leave behind, where they differ from the dictionary form (Marathi mostly).
CROP_STEMS = {
    "onion": ["kandya", "kande"], "cotton": ["kapsa", "kapashi", "kapshi", "kapsachi"], "wheat": ["gavha", "gahva"],
    "maize": ["makya", "makke", "makki", "makay"], "pigeon_pea": ["turi", "tuvari", "tuvar"],
    "chickpea": ["harbarya", "harbharya", "harbhrya"], "sugarcane": ["usa", "oosa", "sugar cane"],
    "turmeric": ["haldi", "haladi"], "pomegranate": ["dalimba"], "chilli": ["mirchi", "mirachi"],
    "rice": ["bhata", "dhanva", "dhanwa", "paddy"], "tomato": ["tomatar", "tamatar", "tomata"],
    "soybean": ["soyabin", "soybin", "soyabina"], "groundnut": ["bhuimuga", "shengdanya"],
    "grapes": ["drakshe", "draksha"], "sorghum": ["jwari", "jvari", "jowari"], "pearl_millet": ["bajri", "bajre"],
}


@dataclass(frozen=True)
class Match:
    value: str
    start: int  # token index where it was found
    score: float


class Lexicon:
    """Phonetic keys of all spellings of some things (crops or districts) -> their canonical value."""

    def __init__(self, spellings: dict[str, list[str]], exclude: set[str] = frozenset(), inflected: bool = False,
                 aspirates: bool = True, doubles: bool = True, not_before: dict[str, set[str]] | None = None,
                 suffixes: list[str] = SUFFIXES, fuzzy_min_len: int = FUZZY_MIN_LEN,
                 fuzzy_cutoff: float = FUZZY_CUTOFF):
        self.inflected = inflected  # also read words with case endings (crops: "kapsala" is cotton)
        self.suffixes, self.fuzzy_min_len, self.fuzzy_cutoff = suffixes, fuzzy_min_len, fuzzy_cutoff
        self.aspirates, self.doubles = aspirates, doubles
        self.not_before = {self.key(w): {self.key(n) for n in after} for w, after in (not_before or {}).items()}
        exclude = {self.key(w) for w in exclude}
        self.keys: dict[str, str] = {}
        self.devanagari: dict[str, str] = {}
        for value, names in spellings.items():
            for name in names:
                key = self.key(name)
                if has_devanagari(name) and key not in exclude:  # as written: short ones (ऊस) are safe so
                    self.devanagari.setdefault(name.strip(), value)
                if len(key.replace(" ", "")) >= 3 and key not in exclude:
                    self.keys.setdefault(key, value)
        self.exclude = exclude
        self.longest = max((len(k.split()) for k in self.keys), default=1)
        # Fuzzy candidates by first letter: a misspelling keeps a word's start ("soyabin"), a different word
        # that happens to be close usually does not ("fawarni" is not "phool gobhi").
        self.fuzzy_keys: dict[str, list[str]] = {}
        for k in self.keys:
            if len(k) >= self.fuzzy_min_len and " " not in k:
                self.fuzzy_keys.setdefault(k[0], []).append(k)

    def key(self, text: str) -> str:
        return phonetic_key(text, aspirates=self.aspirates, doubles=self.doubles)

    def find(self, text: str, skip: set[int] = frozenset()) -> list[Match]:
        """Every match, longest phrase first; overlapping matches are not reported twice. Words at `skip`
        positions were already read as something else (a crop is not also a district)."""
        found: list[Match] = []
        tokens = self.key(text).split()
        taken: set[int] = set(skip)
        taken |= {i for i, t in enumerate(tokens) if t in self.exclude
                  or t in self.not_before and i + 1 < len(tokens) and tokens[i + 1] in self.not_before[t]}
        # Phrases first, then single words: "कानपुर देहात" is Kanpur Dehat, not Kanpur and a word after it.
        self._phrases(tokens, range(self.longest, 1, -1), taken, found)
        for i, word in enumerate(text.split()):  # Devanagari words as written: short ones like ऊस are only safe so
            value = self.devanagari.get(re.sub(r"[^\u0900-\u097f]", "", word))
            if value and i not in taken:
                found.append(Match(value, i, 100.0))
                taken.add(i)
        self._phrases(tokens, (1,), taken, found)
        for i, token in enumerate(tokens):
            if i in taken:
                continue
            match = self._word(token)
            if match:
                found.append(Match(match[0], i, match[1]))
        return sorted(found, key=lambda m: (-m.score, m.start))

    def _phrases(self, tokens: list[str], sizes, taken: set[int], found: list[Match]) -> None:
        for size in sizes:
            for i in range(len(tokens) - size + 1):
                if any(j in taken for j in range(i, i + size)):
                    continue
                value = self.keys.get(" ".join(tokens[i:i + size]))
                if value:
                    found.append(Match(value, i, 100.0))
                    taken.update(range(i, i + size))

    @lru_cache(maxsize=50_000)  # the same words come back all day
    def _word(self, token: str) -> tuple[str, float] | None:
        """One word that was not an exact key: without its case ending, then fuzzily."""
        stems = [token]
        if self.inflected:
            stems += [token[:-len(s)] for s in self.suffixes if token.endswith(s) and len(token) - len(s) >= 3]
        for stem in stems[1:]:
            if stem in self.keys and stem not in self.exclude:
                return self.keys[stem], 95.0
        for stem in stems:
            if len(stem) >= self.fuzzy_min_len and stem not in self.exclude:
                best = process.extractOne(stem, self.fuzzy_keys.get(stem[0], ()), scorer=fuzz.ratio,
                                          score_cutoff=self.fuzzy_cutoff)
                if best:
                    return self.keys[best[0]], best[1]
        return None


@lru_cache(maxsize=1)
def crops() -> Lexicon:
    items = json.loads((DATA / "crops.json").read_text(encoding="utf-8"))
    return Lexicon({c["code"]: [*c["names"].values(), *c.get("romanised", {}).values(), *c.get("spellings", []),
                                c["code"].replace("_", " "), *CROP_STEMS.get(c["code"], [])] for c in items},
                   exclude=NOT_CROPS, inflected=True, aspirates=False, doubles=False, not_before=NOT_CROP_BEFORE)


@lru_cache(maxsize=1)
def districts() -> Lexicon:
    """Districts by the English name they go by today (district_names.csv, the names `kheti seed` loads), read from
    that name, its Hindi and Marathi names, and then its former names, census spelling and GeoNames variants. A
    former name that is another district's name today (Aurangabad, Bijapur, Raigarh) reads as that name: the service
    then picks between the two by the farmer's state, as it does for the two Bilaspurs."""
    with (DATA / "india_districts_2011.csv").open(encoding="utf-8") as f:
        census = {row["district_census_code"]: row for row in csv.DictReader(f)}
    names: dict[str, list[str]] = {}
    others: dict[str, list[str]] = {}
    with (DATA / "district_names.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            hq = census[row["district_census_code"]]
            names.setdefault(row["name"], []).extend((row["name"], row["hi"], row["mr"]))
            others.setdefault(row["name"], []).extend(
                n for n in (row["census_name"], *row["aliases"].split("|"), hq["hq_name"],
                            *hq["hq_names_devanagari"].split("|")) if n and n.casefold() not in DIRECTIONS)
    own = {phonetic_key(n, aspirates=False) for spellings in names.values() for n in spellings}
    spellings = {name: [*names[name], *(n for n in others[name] if phonetic_key(n, aspirates=False) not in own)]
                 for name in names}
    # Place names get only the endings that say "in/at/of a place" (नाशिकला, akolyat, puneमध्ये), and fuzzy
    # matching only for long words: short everyday words (dar, karna, mandi) are too close to some district.
    return Lexicon(spellings, exclude=NOT_PLACES, inflected=True, aspirates=False, suffixes=PLACE_SUFFIXES,
                   fuzzy_min_len=6, fuzzy_cutoff=91)


def language_in(text: str, message_language: str) -> str | None:
    """The language a change_language message asks for; a language mentioned as not understood is not it."""
    words = re.findall(r"[\w\u0900-\u097f]+", text.casefold())
    mentioned = []
    for i, word in enumerate(words):
        for code, names in LANGUAGE_WORDS.items():
            # "मराठीत", "hindime": a language name with a case ending still names it.
            named = word in names or any(len(n) >= 4 and word.startswith(n) and len(word) - len(n) <= 3
                                         for n in names)
            if named and not (len(word) == 2 and len(words) > 2 and i != len(words) - 1):
                negated = any(w in NEGATIONS for w in words[i + 1:i + 3])
                mentioned.append((code, negated))
    wanted = [code for code, negated in mentioned if not negated]
    if wanted:
        return wanted[0]
    if mentioned:  # "I don't understand Hindi": they want the language they wrote in, or English
        refused = {code for code, _ in mentioned}
        return message_language if message_language not in refused else SOURCE
    return None
