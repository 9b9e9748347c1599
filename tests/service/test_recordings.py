"""Recordings are fetched only from the providers' own hosts, with their credentials, and only audio comes back."""
from __future__ import annotations

from dataclasses import replace

import pytest
import responses

from service import recordings
from service.recordings import RecordingError, fetch, provider_of, refusal

TWILIO = "https://api.twilio.com/2010-04-01/Accounts/AC0123/Recordings/RE0456"
PLIVO = "https://media.plivo.com/v1/Account/MAODUZYTQ0Y2FMYJBLOW/Recording/c2186400-1c8c-11e4-a664-0026b945b52x.mp3"


@pytest.mark.parametrize("url, provider", [
    (TWILIO, "twilio"),
    ("https://voice.africastalking.com/recordings/abc.mp3", "africastalking"),
    ("https://API.TWILIO.COM./2010-04-01/x", "twilio"),
    ("http://api.twilio.com/2010-04-01/x", None),  # not https
    ("https://api.twilio.com:8443/x", None),  # a port of its own
    ("https://user:pw@api.twilio.com/x", None),  # credentials of its own
    ("https://api.twilio.com.evil.example/x", None),
    ("https://evilafricastalking.com/x", None),  # not under the provider's domain
    ("https://169.254.169.254/latest/meta-data/", None),  # the cloud's metadata service
    ("https://localhost/admin", None),
    ("file:///etc/passwd", None),
    ("https://[::1/x", None),  # not even a URL
    ("https://api.dublin.ie1.twilio.com/2010-04-01/Accounts/AC0123/Recordings/RE0456", "twilio"),  # a regional edge
    ("https://api.sydney.au1.twilio.com/2010-04-01/x", "twilio"),
    ("https://voice.sandbox.africastalking.com/recordings/abc.mp3", "africastalking"),
    ("https://twilio.com.attacker.example/x", None),
    ("https://attacker.example/x?api.twilio.com", None),
    ("https://attacker.example\\@api.twilio.com/x", None),  # a backslash before the host
    ("https://api.twil\nio.com/x", None),  # urlsplit would quietly drop the newline
    ("https://attacker.example\t.twilio.com/x", None),
    ("https://api.twilio.com/\x00x", None),
    ("https://evil.example\\.twilio.com/x", None),  # urllib3 would connect to evil.example, with our credentials
    ("https://evil\\.africastalking.com/x", None),
    ("https://api.twilio.com%2f@evil.example/x", None),
    ("https://evil.twilio.com/x", None),  # Twilio's API hosts only, not anything under twilio.com
    (PLIVO, "plivo"),
    ("https://MEDIA.PLIVO.COM./v1/Account/MA1/Recording/r.mp3", "plivo"),
    ("https://media.plivo.com.attacker.example/v1/Account/MA1/Recording/r.mp3", None),  # a look-alike
    ("https://mediaXplivo.com/v1/Account/MA1/Recording/r.mp3", None),  # the dots are dots
    ("https://evil.media.plivo.com/x", None),  # media.plivo.com itself, nothing under it
    ("https://api.plivo.com/v1/Account/MA1/Recording/r.mp3", None),  # the API, not where recordings are served
    ("https://s3.amazonaws.com/recordings.plivo.com/r.mp3", None),
    ("https://evil.example\\.media.plivo.com/x", None),
])
def test_only_the_providers_own_hosts_are_trusted(url, provider):
    assert provider_of(url) == provider


@pytest.mark.parametrize("url, provider, why", [
    (TWILIO, "twilio", None),
    ("https://api.dublin.ie1.twilio.com/2010-04-01/Accounts/AC0123/Recordings/RE0456", "twilio", None),
    ("https://voice.africastalking.com/recordings/abc.mp3", "africastalking", None),
    (TWILIO, "africastalking", "not on africastalking's hosts"),  # a Twilio URL in an AT callback
    ("https://voice.africastalking.com/recordings/abc.mp3", "twilio", "not on twilio's hosts"),
    ("https://attacker.example/x.mp3", "twilio", "not on twilio's hosts"),
    (TWILIO + "/" + "x" * 500, "twilio", "longer than 500 characters"),  # would not fit the ticket's column
    (PLIVO, "plivo", None),
    (PLIVO, "twilio", "not on twilio's hosts"),  # a Plivo URL in a Twilio callback
    (TWILIO, "plivo", "not on plivo's hosts"),
])
def test_a_recording_is_kept_only_from_the_provider_that_made_it(url, provider, why):
    assert refusal(url, provider) == (why and f"its URL is {why}")


@responses.activate
def test_a_twilio_recording_is_fetched_with_the_accounts_credentials(settings):
    responses.get(TWILIO, body=b"RIFF....WAVE", content_type="audio/x-wav")
    heard = fetch(replace(settings, twilio_account_sid="AC0123", twilio_auth_token="secret"), TWILIO)
    assert (heard.content_type, heard.body) == ("audio/x-wav", b"RIFF....WAVE")
    assert responses.calls[0].request.headers["Authorization"] == "Basic QUMwMTIzOnNlY3JldA=="


@responses.activate
def test_a_plivo_recording_is_fetched_with_the_accounts_credentials(settings):
    responses.get(PLIVO, body=b"ID3....", content_type="audio/mpeg")
    heard = fetch(replace(settings, plivo_auth_id="MAODUZYTQ0Y2FMYJBLOW", plivo_auth_token="secret"), PLIVO)
    assert (heard.content_type, heard.body) == ("audio/mpeg", b"ID3....")
    assert responses.calls[0].request.headers["Authorization"] == "Basic TUFPRFVaWVRRMFkyRk1ZSkJMT1c6c2VjcmV0"


@responses.activate
def test_an_untrusted_url_is_never_requested(settings):
    with pytest.raises(RecordingError) as refused:
        fetch(settings, "https://attacker.example/voice.mp3")
    assert refused.value.status == 404 and len(responses.calls) == 0


@responses.activate
@pytest.mark.parametrize("reply, reason", [
    ({"status": 404, "body": b"", "content_type": "application/json"}, "the provider answered 404"),
    ({"status": 200, "body": b"<html>", "content_type": "text/html"}, "the provider sent text/html, not audio"),
    ({"status": 200, "body": b"x" * 100, "content_type": "audio/mpeg"}, "larger than"),
])
def test_what_is_not_a_recording_is_refused(reply, reason, settings, monkeypatch):
    monkeypatch.setattr(recordings, "MAX_BYTES", 50)
    responses.get(TWILIO, **reply)
    with pytest.raises(RecordingError, match=reason) as refused:
        fetch(settings, TWILIO)
    assert refused.value.status == 502
