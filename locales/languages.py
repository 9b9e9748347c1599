"""The languages farmers are served in: the one list every part of the service derives its languages from (the
catalogues, the menus, settings, call voices and audio, the SMS reader's words for languages, the CLI's choices).

Adding a language is an entry below, its catalogues (locales/<code>/LC_MESSAGES/messages.po and, for a language
not written in Latin letters, locales/<code>_Latn/... for screens that show only Latin letters) and its data: the
names of crops, states and districts in farmdb/seed/data, labelled messages in nlu/data, and, when its call audio is
built ahead (`espeak_voice`), how numbers are said in locales/<code>/spoken.json. README: "Adding a language".
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Language:
    code: str  # Farmer.locale and the catalogue's folder: "hi"
    english_name: str  # "Hindi"
    native_name: str  # "हिंदी": how the language menu names it, beside the English name
    script: str  # ISO 15924 of its own catalogue: "Deva"; anything but "Latn" also ships a romanised catalogue
    babel_locale: str  # numbers and dates: "hi_IN" groups 1,25,000 and says "18 नव॰"
    speech_locale: str  # BCP 47 tag for speech synthesis and recognition on calls (Twilio's Say and Gather)
    twilio_voice: str  # the text-to-speech voice calls use by default (TWILIO_VOICES overrides it)
    # espeak-ng's voice for audio built ahead of calls, for providers whose speech is English only (Africa's
    # Talking); None when the provider's own speech will do.
    espeak_voice: str | None = None
    named_as: tuple[str, ...] = ()  # how a farmer names it in a message: "hindi", "हिंदी"
    # Digits said aloud instead of pressed, as speech recognition writes them: "2" -> ("do", "दो").
    digits_said: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def romanised(self) -> str | None:
        """The catalogue in Latin letters, for USSD screens and cheap SMS: "hi_Latn"."""
        return None if self.script == "Latn" else f"{self.code}_Latn"

    def catalogue(self, latin: bool) -> str:
        return self.romanised if latin and self.romanised else self.code

    def menu_label(self, latin: bool) -> str:
        """Named in itself and in Latin letters, so anyone can find theirs: "हिंदी (Hindi)"; Latin letters alone
        where the screen shows only those."""
        own, english = self.native_name, self.english_name
        return english if latin or own == english else f"{own} ({english})"


def _digits(*words: str) -> dict[str, tuple[str, ...]]:
    return {str(digit): tuple(said.split()) for digit, said in enumerate(words) if said}


LANGUAGES: tuple[Language, ...] = (
    Language("en", "English", "English", "Latn", "en_IN", "en-IN", "Polly.Aditi",
             named_as=("english", "angrezi", "angreji", "inglish", "अंग्रेजी", "अंग्रेज़ी", "इंग्लिश", "इंग्रजी", "en"),
             digits_said=_digits("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")),
    Language("hi", "Hindi", "हिंदी", "Deva", "hi_IN", "hi-IN", "Polly.Aditi", espeak_voice="hi",
             named_as=("hindi", "हिंदी", "हिन्दी", "hi"),
             digits_said=_digits("shunya shoonya sunya शून्य", "ek एक", "do दो", "teen तीन", "char chaar चार",
                                 "paanch panch पांच पाँच", "chhah chhe छह छः", "saat सात", "aath आठ", "nau नौ")),
    Language("mr", "Marathi", "मराठी", "Deva", "mr_IN", "mr-IN", "Google.mr-IN-Standard-A", espeak_voice="mr",
             named_as=("marathi", "मराठी", "mr"),
             digits_said=_digits("shunya शून्य", "ek एक", "don दोन", "teen तीन", "char चार", "pach पाच",
                                 "saha सहा", "saat सात", "aath आठ", "nau नऊ")),
)

BY_CODE = {language.code: language for language in LANGUAGES}
CODES = tuple(BY_CODE)  # the languages a farmer can choose, in menu order
CATALOGUES = CODES + tuple(language.romanised for language in LANGUAGES if language.romanised)
BUILT_AUDIO = tuple(language.code for language in LANGUAGES if language.espeak_voice)  # AT call audio, ahead


def language(code: str) -> Language:
    try:
        return BY_CODE[code]
    except KeyError:
        raise LookupError(f"no language {code!r} (one of {', '.join(CODES)})") from None
