"""The console as a person uses it: a test client that signs in through the login form and sends the CSRF token
the pages give it, as a browser does."""
from __future__ import annotations

import re
import threading

import pytest
from argon2 import PasswordHasher

from service import operators

PASSWORD = "a long pass phrase for tests"
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch):
    """argon2 at its lowest cost: the same code path, in a millisecond instead of tens of them."""
    monkeypatch.setattr(operators, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


class Console:
    def __init__(self, client):
        self.client = client
        self.token: str | None = None

    def get(self, url: str, **kwargs):
        response = self.client.get(url, **kwargs)
        found = _TOKEN.search(response.get_data(as_text=True))
        if found:
            self.token = found[1]
        return response

    def post(self, url: str, data: dict | None = None, *, csrf: bool = True, **kwargs):
        data = dict(data or {})
        if csrf:
            if self.token is None:
                self.get("/console/login")
            data.setdefault("csrf_token", self.token)
        response = self.client.post(url, data=data, **kwargs)
        found = _TOKEN.search(response.get_data(as_text=True))
        if found:
            self.token = found[1]
        return response

    def sign_in(self, username: str, password: str = PASSWORD):
        """The login form, then the page it sends to (a fresh session has a fresh CSRF token, as a browser finds)."""
        self.get("/console/login")
        response = self.post("/console/login", {"username": username, "password": password})
        if response.status_code == 302:
            self.get(response.headers["Location"])
        return response

    def text(self, url: str) -> str:
        response = self.get(url)
        assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:500])
        return response.get_data(as_text=True)


@pytest.fixture
def operator(sessions):
    """An operator with a known password, past their first sign-in; returns their id."""
    def make(username: str = "meera", role: str = "agronomist", *, name: str | None = None,
             password: str = PASSWORD, must_change: bool = False, phone: str | None = None) -> int:
        with sessions() as db, db.begin():
            row, _ = operators.add_operator(db, username, role, display_name=name or username.title(), phone=phone)
            row.password_hash, row.must_change_password = operators.hash_password(password), must_change
            return row.id
    return make


@pytest.fixture
def console(app):
    """A browser on the console, signed in as nobody yet."""
    return Console(app.test_client())


@pytest.fixture
def signed_in(app, operator):
    """`signed_in("viewer")`: a new browser signed in as a new operator of that role."""
    def make(role: str = "agronomist", username: str | None = None, **kwargs) -> Console:
        username = username or f"{role}1"
        operator(username, role, **kwargs)
        browser = Console(app.test_client())
        response = browser.sign_in(username)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return browser
    return make


@pytest.fixture
def ticket(service, sessions, register_farmer):
    """A farmer's request on the desk, made the way the dialogs make one (a CreateExpertRequest effect); returns
    its number. `ticket(description="...", locale="hi")`."""
    from dialogs import effects as fx
    from service.effects import apply_effects

    made = iter(range(1_000_001, 1_999_999))

    def make(kind: str = "pest_report", *, crop: str | None = "onion", description: str | None = "leaves curling",
             channel: str = "ussd", farmer_id: int | None = None, recording_url: str | None = None, **farmer) -> str:
        if farmer_id is None:
            farmer_id = register_farmer(**farmer)
        number = str(next(made))
        with sessions() as db, db.begin():
            apply_effects(service, db, [fx.CreateExpertRequest(ticket=number, farmer_id=farmer_id, kind=kind,
                                                               channel=channel, crop=crop, description=description,
                                                               recording_url=recording_url)])
        return number
    return make


@pytest.fixture
def live_server(app):
    """The app on a real port of this machine, for a browser or an HTTP client."""
    from werkzeug.serving import make_server
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
