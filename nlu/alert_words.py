"""Reading a price alert out of an SMS: "ALERT kanda 2000", "onion 2000 lasalgaon", "ALERT soyabean 4500 below",
"ALERTS" (list them), "ALERT CANCEL 2" or "ALERT CANCEL ALL".

The words are sorted into the crop (found by the crop lexicon), the amount, a direction if one is said, filler
("rs", "per quintal", "la", "ko") and what is left: the place, a mandi or a district, which only the caller can look
up. A message without the ALERT keyword is read as an alert only when it is nothing but a crop, an amount and a short
place (which the caller must find by its exact name): "pusa 1121 ka bhav kya hai" stays a price question, and
"onion 2000" may be a sum.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

KEYWORDS = {"alert", "alerts", "alart", "allert", "अलर्ट", "अलार्ट"}
CANCEL = {"cancel", "off", "stop", "band", "bandh", "radd", "rad", "delete", "hatao", "hatva", "रद्द", "बंद", "हटाओ",
          "हटवा"}
ALL = {"all", "sab", "sabhi", "sare", "sagle", "sagla", "sarv", "सब", "सभी", "सारे", "सगळे", "सर्व"}
ABOVE = {"above", "over", "up", "upar", "uppar", "oopar", "var", "jast", "jyada", "zyada", "adhik", ">", "ऊपर",
         "उपर", "वर", "जास्त", "ज्यादा", "अधिक"}
BELOW = {"below", "under", "down", "niche", "neeche", "khali", "kam", "kami", "<", "नीचे", "निचे", "खाली", "कम",
         "कमी"}
FILLER = {"rs", "rs.", "inr", "rupees", "rupee", "rupaye", "rupaya", "rupye", "रुपये", "रुपए", "रुपया", "रु", "रु.",
          "₹", "per", "prati", "प्रति", "quintal", "qtl", "q", "kwintal", "quintol", "क्विंटल", "/qtl", "at", "in",
          "to",
          "when", "if", "set", "mandi", "market", "मंडी", "बाजार", "bazar", "la", "ko", "ka", "ki", "ke", "me", "mein",
          "madhe", "pe", "par", "se", "pahunche", "hone", "hoga", "jhala", "zala", "ki", "ला", "को", "का", "की", "के",
          "में", "मध्ये", "पर", "से", "price", "bhav", "rate", "भाव", "दर", "dar", "jab", "जब", "tar", "तर"}
MAX_PLACE_WORDS = 3
MIN_AMOUNT, MAX_AMOUNT = 100, 10_00_000  # rupees a quintal: below and above any crop we carry (10 is "10 quintal")

_DIGITS = str.maketrans("०१२३४५६७८९", "0123456789")
_AMOUNT = re.compile(r"(?:rs\.?|₹|inr)?(\d{1,7}|\d{1,3}(?:,\d{2,3})+)(?:/-|/?qtl|rs|₹)?")


@dataclass(frozen=True)
class AlertWords:
    """What an alert message says. `crop_word` is the word the crop was read from, so it is not taken as a place."""
    keyword: bool  # began with ALERT
    amount: int | None = None
    direction: str | None = None  # above | below, when the farmer said which
    place: str = ""  # the words left over: a mandi or a district, or nothing (the nearest three)
    cancel: tuple[int, ...] | str | None = None  # the numbers to cancel, or "all"
    listing: bool = False  # ALERTS alone: show them


def read_amount(text: str) -> int | None:
    """A price in rupees a quintal as farmers write it: 2500, 2,500, Rs 2500, ₹2500, 2500/-, २५००. None when it is
    not one, or is out of any crop's range."""
    match = _AMOUNT.fullmatch(text.strip().casefold().translate(_DIGITS).replace(" ", ""))
    if not match:
        return None
    value = int(match[1].replace(",", ""))
    return value if MIN_AMOUNT <= value <= MAX_AMOUNT else None


def words_of(text: str) -> list[str]:
    """The message's words as this module reads them (and the caller marks the crop's among them)."""
    return [w.strip(".,!?;:'\"()") for w in text.casefold().translate(_DIGITS).split() if w.strip(".,!?;:'\"()")]


def read(text: str, crop_words: set[int] = frozenset()) -> AlertWords | None:
    """The alert in `text`, or None when the text is not one. `crop_words`: indexes, in words_of(text), of the words
    that name the crop."""
    words = words_of(text)
    keyword = bool(words) and words[0] in KEYWORDS
    rest = list(enumerate(words))[1 if keyword else 0:]
    if keyword and (not rest or (len(rest) == 1 and rest[0][1] in KEYWORDS)):
        return AlertWords(keyword=True, listing=True)
    if keyword and rest[0][1] in CANCEL:
        return _cancel([w for _, w in rest[1:]])
    amounts = [(i, read_amount(w)) for i, w in rest if read_amount(w) is not None and i not in crop_words]
    direction = next(("above" if w in ABOVE else "below" for _, w in rest if w in ABOVE | BELOW), None)
    amount = amounts[0][1] if len(amounts) == 1 else None
    taken = {i for i, _ in amounts} | set(crop_words)
    place = [w for i, w in rest if i not in taken and w not in ABOVE | BELOW | FILLER | KEYWORDS]
    if not keyword and (amount is None or not crop_words or not place or len(place) > MAX_PLACE_WORDS
                        or len(amounts) != 1):
        return None  # without the keyword: a crop, one price and a place, nothing else ("onion 2000" may be a sum)
    return AlertWords(keyword=keyword, amount=amount, direction=direction, place=" ".join(place))


def _cancel(words: list[str]) -> AlertWords:
    if any(w in ALL for w in words):
        return AlertWords(keyword=True, cancel="all")
    numbers = tuple(int(n) for w in words for n in re.findall(r"\d+", w) if 0 < int(n) < 100)
    return AlertWords(keyword=True, cancel=numbers)
