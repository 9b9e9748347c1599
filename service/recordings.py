"""A farmer's recorded question, played to an agronomist through our server. The URL came in a webhook, so it is kept
only when it points at that provider's own hosts (`refusal`, asked by the webhooks), and fetched only from a
provider's hosts (https, no credentials or port of its own), with the provider's credentials, never from anywhere
else: a URL we were handed cannot make the server call an address of someone's choosing (SSRF). What comes back must
be audio, and not too much of it."""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from farmdb.models import ExpertRequest
from service.settings import Settings

# Where each provider keeps recordings, as the whole host name.
HOSTS = {
    # /2010-04-01/Accounts/AC.../Recordings/RE..., on api.twilio.com or a regional edge: api.dublin.ie1.twilio.com
    "twilio": re.compile(r"api(\.[a-z]+\.[a-z]{2}[0-9])?\.twilio\.com"),
    # AT's docs name no host for recordingUrl: its own domain (voice.africastalking.com), nothing else.
    "africastalking": re.compile(r"([a-z0-9-]+\.)+africastalking\.com"),
    # /v1/Account/MA.../Recording/<RecordingID>.mp3: Plivo's media host, that one only
    "plivo": re.compile(r"media\.plivo\.com"),
}
# A host name as DNS spells it: whatever else (a backslash, "%", "@") could be read as another host by the HTTP
# client than by urlsplit ("https://evil.example\\.twilio.com/" connects to evil.example).
_HOST_NAME = re.compile(r"[a-z0-9.-]+")
MAX_URL = ExpertRequest.recording_url.property.columns[0].type.length
MAX_BYTES = 8 * 1024 * 1024  # a 60-second recording is well under 1 MB as MP3, ~1 MB as 8 kHz WAV
TIMEOUT = (3.05, 20)  # connect, read (seconds)


class RecordingError(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True)
class Recording:
    content_type: str
    body: bytes


def refusal(url: str, provider: str) -> str | None:
    """Why a recording URL from this provider's webhook is not kept (None: it is): only on that provider's hosts,
    and no longer than the ticket's column."""
    if len(url) > MAX_URL:
        return f"its URL is longer than {MAX_URL} characters"
    if provider_of(url) != provider:
        return f"its URL is not on {provider}'s hosts"
    return None


def provider_of(url: str) -> str | None:
    """Which provider's host the URL is on, or None when it is on nobody's we trust."""
    if not url.isprintable() or " " in url or "\\" in url:  # urlsplit would drop tabs and newlines quietly
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or parts.username or parts.password or port not in (None, 443) or \
            not _HOST_NAME.fullmatch(host) or parts.netloc.lower() not in (host, f"{host}:443"):
        return None
    for provider, hosts in HOSTS.items():
        if hosts.fullmatch(host.removesuffix(".")):  # "api.twilio.com." is the same host, fully qualified
            return provider
    return None


def fetch(settings: Settings, url: str, session: requests.Session | None = None) -> Recording:
    provider = provider_of(url)
    if provider is None:
        raise RecordingError(404, "this recording is not on a provider's host we fetch from")
    auth = None
    if provider == "twilio" and settings.twilio_account_sid and settings.twilio_auth_token:
        auth = (settings.twilio_account_sid, settings.twilio_auth_token)  # Twilio's "HTTP auth for media"
    elif provider == "plivo" and settings.plivo_auth_id and settings.plivo_auth_token:
        auth = (settings.plivo_auth_id, settings.plivo_auth_token)  # asked for when recording URLs are secured
    try:
        response = (session or requests).get(url, auth=auth, timeout=TIMEOUT, stream=True)
    except requests.RequestException as exc:
        raise RecordingError(502, f"the provider did not answer ({type(exc).__name__})") from exc
    with response:
        if response.status_code != 200:
            raise RecordingError(502, f"the provider answered {response.status_code}")
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if not content_type.startswith("audio/"):
            raise RecordingError(502, f"the provider sent {content_type or 'no type'}, not audio")
        body = bytearray()
        for chunk in response.iter_content(64 * 1024):
            body += chunk
            if len(body) > MAX_BYTES:
                raise RecordingError(502, "the recording is larger than a farmer's question can be")
    return Recording(content_type, bytes(body))
