"""Reading messages with a team's own Rasa model: POST <RASA_URL>/model/parse, mapped onto our Parse.

Used only when RASA_URL is set. A hop cannot wait on another server: after TIMEOUT_S, or on any error or an answer
that is not what Rasa sends, the built-in model reads the message instead.
"""
from __future__ import annotations

import logging

import requests

from nlu.parser import Parse, Parser, detect_language

log = logging.getLogger(__name__)
TIMEOUT_S = 1.0


class RasaParser:
    def __init__(self, url: str, fallback: Parser, http: requests.Session | None = None):
        self.url = url.rstrip("/") + "/model/parse"
        self.fallback = fallback
        self.http = http or requests.Session()

    def parse(self, text: str) -> Parse:
        try:
            response = self.http.post(self.url, json={"text": text}, timeout=TIMEOUT_S)
            response.raise_for_status()
            body = response.json()
            intent = body["intent"]["name"]
            confidence = float(body["intent"]["confidence"])
        except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
            log.warning("Rasa parse failed (%s: %s); using the built-in model", type(exc).__name__, exc)
            return self.fallback.parse(text)
        ours = self.fallback.parse(text)  # entities we always read ourselves: our lexicons know our catalogue
        entities = dict(ours.entities)
        for entity in body.get("entities", []):
            if entity.get("entity") in entities and entity.get("value"):
                entities[entity["entity"]] = entity["value"]
        return Parse(text, intent, confidence, entities, detect_language(text))
