"""Devanagari to Latin letters the way Hindi and Marathi speakers type them, and a phonetic key for matching.

Farmers write the same word many ways: नाशिक, Nashik, nasik; गेहूं, gehun, gehoon. `to_latin` gives the everyday
romanisation (with Hindi's dropped "a": नाशिक -> nashik, not nashika), and `phonetic_key` folds away the
differences that spelling does not carry (long vowels, aspiration, sh/s, w/v, doubled letters), so that
fuzzy matching compares sounds, not spellings.
"""
from __future__ import annotations

import re
import unicodedata

_CONSONANTS = {
    "क": "k", "ख": "kh", "ग": "g", "घ": "gh", "ङ": "n", "च": "ch", "छ": "chh", "ज": "j", "झ": "jh", "ञ": "n",
    "ट": "t", "ठ": "th", "ड": "d", "ढ": "dh", "ण": "n", "त": "t", "थ": "th", "द": "d", "ध": "dh", "न": "n",
    "प": "p", "फ": "ph", "ब": "b", "भ": "bh", "म": "m", "य": "y", "र": "r", "ल": "l", "ळ": "l", "व": "v",
    "श": "sh", "ष": "sh", "स": "s", "ह": "h", "ऱ": "r",
    "क़": "q", "ख़": "kh", "ग़": "g", "ज़": "z", "ड़": "r", "ढ़": "rh", "फ़": "f", "य़": "y",
}
_VOWELS = {"अ": "a", "आ": "aa", "इ": "i", "ई": "ee", "उ": "u", "ऊ": "oo", "ऋ": "ri", "ए": "e", "ऐ": "ai",
           "ओ": "o", "औ": "au", "ऑ": "o", "ऍ": "e"}
_SIGNS = {"ा": "aa", "ि": "i", "ी": "ee", "ु": "u", "ू": "oo", "ृ": "ri", "े": "e", "ै": "ai", "ो": "o",
          "ौ": "au", "ॉ": "o", "ॅ": "e"}
_NASAL = {"ं": "n", "ँ": "n"}
_VIRAMA, _NUKTA, _VISARGA = "्", "़", "ः"
_DIGITS = {chr(0x966 + i): str(i) for i in range(10)}


def has_devanagari(text: str) -> bool:
    return any("\u0900" <= ch <= "\u097f" for ch in text)


def to_latin(text: str) -> str:
    """Romanise Devanagari in `text` (other characters pass through): गेहूं का भाव -> gehoon ka bhaav."""
    text = unicodedata.normalize("NFC", text)
    return re.sub(r"[\u0900-\u097f]+", lambda m: _word(m.group(0)), text)


def _word(word: str) -> str:
    # Split into syllables: (consonant cluster or vowel, vowel sound, nasal), then drop the schwas Hindi drops.
    out: list[list[str]] = []  # [consonant, vowel, inherent?]
    i = 0
    while i < len(word):
        ch = word[i]
        if i + 1 < len(word) and word[i + 1] == _NUKTA and ch + _NUKTA in _CONSONANTS:
            ch, i = ch + _NUKTA, i + 1
        if ch in _CONSONANTS:
            out.append([_CONSONANTS[ch], "a", True])
        elif ch in _VOWELS:
            out.append(["", _VOWELS[ch], False])
        elif ch in _SIGNS and out:
            out[-1][1], out[-1][2] = _SIGNS[ch], False
        elif ch == _VIRAMA and out:
            out[-1][1], out[-1][2] = "", False
        elif ch in _NASAL and out:
            out[-1][1] += _NASAL[ch]
            out[-1][2] = False
        elif ch == _VISARGA and out:
            out[-1][1] += "h"
        elif ch in _DIGITS:
            out.append([_DIGITS[ch], "", False])
        i += 1
    # Schwa deletion, right to left (Choudhury et al.'s rule for Hindi): the inherent "a" goes at the end of a word
    # (कमल -> kamal, but not after a cluster: राष्ट्र -> rashtra) and between a vowel and a consonant that has a vowel
    # of its own (समझना -> samajhna); after a deletion the syllable before keeps its "a".
    n, skip = len(out), False
    clustered = [k > 0 and out[k - 1][0] and out[k - 1][1] == "" and not out[k - 1][2] for k in range(n)]
    for k in range(n - 1, -1, -1):
        if skip:
            skip = False
            continue
        if not out[k][2]:
            continue
        if k == n - 1:
            if n > 1 and not clustered[k]:
                out[k][1] = ""
            continue
        if 0 < k and out[k - 1][1] and out[k + 1][0] and out[k + 1][1] and not clustered[k]:
            out[k][1] = ""
            skip = True
    return "".join(c + v for c, v, _ in out)


_FOLDS = [("chh", "ch"), ("aa", "a"), ("ee", "i"), ("ii", "i"), ("oo", "u"), ("uu", "u"), ("ou", "u"),
          ("sh", "s"), ("ph", "f"), ("kh", "k"), ("gh", "g"), ("jh", "j"), ("th", "t"), ("dh", "d"),
          ("bh", "b"), ("ck", "k"), ("q", "k"), ("w", "v"), ("z", "j"), ("ei", "e"), ("ey", "e")]


_ASPIRATES = {("kh", "k"), ("gh", "g"), ("jh", "j"), ("th", "t"), ("dh", "d"), ("bh", "b")}


def phonetic_key(text: str, aspirates: bool = True, doubles: bool = True) -> str:
    """A key that spelling variants share: 'Nashik', 'nasik' and 'नाशिक' all give 'nasik'. `aspirates=False`
    keeps bh/b, dh/d apart, and `doubles=False` keeps doubled letters, for words where that is the difference
    (भात rice, बात talk; makke maize, make)."""
    text = to_latin(text).casefold()
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^a-z0-9 ]+", " ", text)
    for old, new in _FOLDS:
        if aspirates or (old, new) not in _ASPIRATES:
            text = text.replace(old, new)
    if doubles:
        text = re.sub(r"(.)\1+", r"\1", text)  # doubled letters: 'bareilly' ~ 'bareli'
    text = re.sub(r"(?<=[a-z])y\b", "i", text)
    return " ".join(text.split())


def skeleton(key: str) -> str:
    """The key without its short "a"s (except a word's first letter): where Hindi drops an "a" is the one thing
    spelling and transliteration most often disagree on (अहमदनगर: ahmadnagar, ahamadnagar)."""
    return " ".join(word[:1] + word[1:].replace("a", "") for word in key.split())
