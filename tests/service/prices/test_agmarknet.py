"""The data.gov.in client on recorded answers, intercepted at the HTTP layer: every page read, a page that fails
once tried again, a refused key and a used-up quota said in one line each, the key never in a message."""
from datetime import date

import pytest
import requests
import responses
from responses import matchers

from service.prices.agmarknet import ENDPOINT, TIMEOUT_S, Agmarknet, AgmarknetError, KeyRefused, QuotaExceeded, \
    Unavailable
from tests.service.prices.conftest import recorded

KEY = "579b464db66ec23bdd000001testkey"


def _page(offset: int, **kwargs):
    params = {"api-key": KEY, "format": "json", "limit": "7", "offset": str(offset)}
    return responses.get(ENDPOINT, match=[matchers.query_param_matcher(params, strict_match=False)], **kwargs)


@pytest.fixture
def client():
    pauses = []
    agmarknet = Agmarknet(KEY, page_size=7, sleep=pauses.append)
    agmarknet.pauses = pauses
    return agmarknet


@responses.activate
def test_every_page_is_read_until_the_total(client):
    _page(0, json=recorded("maharashtra_page1.json"))
    _page(7, json=recorded("maharashtra_page2.json"))
    records = client.records(state="Maharashtra")
    assert len(records) == 13 and records[7]["market"] == "Latur"
    first = responses.calls[0].request
    assert "filters%5Bstate%5D=Maharashtra" in first.url and client.pauses == []
    assert first.req_kwargs["timeout"] == TIMEOUT_S  # bounded


@responses.activate
def test_a_day_is_asked_for_in_the_api_s_own_date_spelling(client):
    _page(0, json=recorded("empty_day.json"))
    assert client.records(day=date(2026, 12, 4)) == []  # an empty day is an empty list, not an error
    assert "filters%5Barrival_date%5D=04%2F12%2F2026" in responses.calls[0].request.url


@responses.activate
def test_a_page_that_fails_once_is_asked_again(client):
    _page(0, json=recorded("maharashtra_page1.json"))
    _page(7, status=502, body="Bad Gateway")
    _page(7, json=recorded("maharashtra_page2.json"))
    assert len(client.records()) == 13
    assert client.pauses == [2.0]


@responses.activate
def test_timeouts_and_dropped_connections_are_retried_with_growing_pauses(client):
    _page(0, body=requests.Timeout("read timed out"))
    _page(0, body=requests.ConnectionError(f"Max retries exceeded with url: /?api-key={KEY}"))
    _page(0, json=recorded("maharashtra_page1.json"))
    _page(7, json=recorded("maharashtra_page2.json"))
    assert len(client.records()) == 13
    assert client.pauses == [2.0, 4.0]


@responses.activate
def test_an_api_that_stays_down_gives_up_with_one_line_without_the_key(client):
    _page(0, body=requests.ConnectionError(f"Max retries exceeded with url: /?api-key={KEY}"))
    with pytest.raises(Unavailable) as failed:
        client.records()
    assert "did not answer after 5 tries: could not connect" in str(failed.value) and KEY not in str(failed.value)
    assert client.pauses == [2.0, 4.0, 8.0, 16.0] and failed.value.retryable


@responses.activate
def test_a_refused_key_is_said_at_once_and_not_retried(client):
    _page(0, status=403, json=recorded("refused_key.json"))
    with pytest.raises(KeyRefused) as refused:
        client.records()
    assert str(refused.value) == ("data.gov.in refused AGMARKNET_API_KEY (HTTP 403: Invalid API key): check the key "
                                  "on data.gov.in (My Account)")
    assert len(responses.calls) == 1 and not refused.value.retryable


@responses.activate
def test_a_refused_key_in_an_answer_marked_ok_by_http_is_still_refused(client):
    _page(0, status=200, json=recorded("refused_key.json"))
    with pytest.raises(KeyRefused):
        client.records()


@responses.activate
def test_a_used_up_quota_waits_as_told_then_says_so(client):
    _page(0, status=429, json={"status": "error", "message": "API rate limit exceeded"}, headers={"Retry-After": "7"})
    with pytest.raises(QuotaExceeded, match="quota is used up .*API rate limit exceeded.*try again later"):
        client.records()
    assert client.pauses == [7.0] * 4 and len(responses.calls) == 5


@responses.activate
def test_another_client_error_is_not_retried(client):
    _page(0, status=400, json={"status": "error", "message": "filters[state] is not a field"})
    with pytest.raises(AgmarknetError, match="HTTP 400: filters.state. is not a field"):
        client.records()
    assert len(responses.calls) == 1


def test_no_key_no_request():
    with pytest.raises(KeyRefused, match="AGMARKNET_API_KEY"):
        Agmarknet("")
