"""RASA_URL: a team's Rasa model reads the message; ours steps in on any failure. HTTP intercepted with responses."""
import json

import pytest
import requests
import responses

from nlu.parser import Parser
from nlu.rasa_client import RasaParser

URL = "http://rasa.internal:5005"


@pytest.fixture(scope="module")
def rasa(tmp_path_factory):
    return RasaParser(URL, Parser(tmp_path_factory.mktemp("nlu")))


@responses.activate
def test_rasa_decides_the_intent_and_our_lexicons_fill_the_entities(rasa):
    responses.post(f"{URL}/model/parse", json={
        "text": "kanda bhav lasalgaon", "intent": {"name": "market_price", "confidence": 0.91},
        "entities": [{"entity": "location", "value": "Nashik", "start": 0, "end": 5}],
        "intent_ranking": [{"name": "market_price", "confidence": 0.91}]})
    parse = rasa.parse("kanda bhav lasalgaon")
    assert (parse.intent, parse.confidence) == ("market_price", 0.91)
    assert parse.entities == {"crop": "onion", "location": "Nashik", "language": None}
    assert json.loads(responses.calls[0].request.body) == {"text": "kanda bhav lasalgaon"}


@pytest.mark.parametrize("failure", [
    {"status": 500, "body": "boom"}, {"body": requests.ConnectTimeout("slow")}, {"json": {"unexpected": True}},
    {"body": "not json"},
])
@responses.activate
def test_any_failure_falls_back_to_the_built_in_model(rasa, failure):
    responses.post(f"{URL}/model/parse", **failure)
    parse = rasa.parse("kal barish hogi kya")
    assert parse.intent == "weather" and parse.confidence > 0.5
