"""Our SMS texts as India's DLT sees them: every catalogue message sent by SMS, written as content-template text
(`{#var#}` where it varies) in its DLT category. `kheti dlt templates` prints them to register; `kheti seed`
registers them as demo templates so the embedded default can send to Indian numbers."""
from __future__ import annotations

import re

from babel.messages.pofile import read_po

from locales import po_path
from locales.languages import CATALOGUES

VAR = "{#var#}"

# Catalogue messages sent by SMS. Fragments (sms.price.line, sms.payment.paid) are parts of other texts, not
# messages of their own.
SMS_MESSAGE = re.compile(r"sms\.(?!price\.line(?:\.old)?$|payment\.(?:paid|pending|failed)$).+|payment\.\w+_sms"
                         r"|broadcast\.\w+_sms|alert\.\w+_sms|advice\.stage_sms|advice\.sms|pest\.sms|ticket\.\w+_sms")
# How many {#var#} (30 characters each) a placeholder needs; names not listed take one.
PLACEHOLDER_WIDTH = {"answer": 16, "text": 12, "lines": 7, "choices": 5, "hint": 4, "url": 3, "advice": 12, "line": 3,
                     "district": 2, "plan": 2, "crop": 2, "stage": 2, "notice": 2, "name": 2, "grievance": 2,
                     "status": 2, "end": 1, "date": 1, "ref": 1, "hours": 1, "now": 3,
                     "place": 2, "alerts": 13}
# Weather alerts are part of the service the farmer registered for and cannot wait for 10:00: service implicit.
# A price alert is a message the farmer asked for, sent when it comes true: service explicit, so it waits for the
# send window (an import late at night sends in the morning) and a farmer who sent STOP does not get it.
CATEGORY_OF = {"broadcast.": "service_explicit", "advice.stage_sms": "service_explicit",
               "alert.price_": "service_explicit"}


def category_of(message_id: str) -> str:
    for prefix, category in CATEGORY_OF.items():
        if message_id.startswith(prefix):
            return category
    return "service_implicit"


def as_dlt_text(message: str) -> str:
    """A catalogue text ("{crop}: {text}") as DLT template text ("{#var#}{#var#}: {#var#}...")."""
    return re.sub(r"\{(\w+)\}", lambda m: VAR * PLACEHOLDER_WIDTH.get(m[1], 1), message)


def catalogue_templates() -> list[tuple[str, str, str, str]]:
    """(catalogue, message id, category, DLT text) for every SMS text in every catalogue."""
    out = []
    for catalogue in CATALOGUES:
        with open(po_path(catalogue), "rb") as handle:
            po = read_po(handle)
        for message in po:
            if message.id and message.string and SMS_MESSAGE.fullmatch(message.id):
                out.append((catalogue, message.id, category_of(message.id), as_dlt_text(message.string)))
    return out
