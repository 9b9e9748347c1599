"""Who may do what: every console route declares a role and keeps to it; sessions, CSRF, lockout and the login
limit."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from farmdb.models import AuditEvent, ExpertRequest, Operator
from tests.console.conftest import PASSWORD, Console

# Every console route, with the least role it needs. A route added without a row here fails the first test.
ROUTES = [
    ("GET", "/console/desk", "viewer"),
    ("GET", "/console/tickets/{ticket}", "viewer"),
    ("GET", "/console/tickets/{ticket}/recording", "viewer"),
    ("POST", "/console/tickets/{ticket}/claim", "agronomist"),
    ("POST", "/console/tickets/{ticket}/assign", "agronomist"),
    ("POST", "/console/tickets/{ticket}/answer", "agronomist"),
    ("POST", "/console/tickets/{ticket}/call", "agronomist"),
    ("POST", "/console/tickets/{ticket}/close", "agronomist"),
    ("POST", "/console/tickets/{ticket}/reopen", "agronomist"),
    ("POST", "/console/measure", "agronomist"),
    ("GET", "/console/farmers", "viewer"),
    ("POST", "/console/farmers.csv", "admin"),
    ("GET", "/console/farmers/import", "admin"),
    ("POST", "/console/farmers/import", "admin"),
    ("POST", "/console/farmers/import/{token}", "admin"),
    ("GET", "/console/farmers/import/{token}", "admin"),
    ("GET", "/console/farmers/import/{token}.json", "admin"),
    ("GET", "/console/farmers/{farmer}", "viewer"),
    ("POST", "/console/farmers/{farmer}/reveal", "agronomist"),
    ("POST", "/console/farmers/{farmer}/edit", "agronomist"),
    ("GET", "/console/farmers/{farmer}/erase", "admin"),
    ("POST", "/console/farmers/{farmer}/erase", "admin"),
    ("GET", "/console/operators", "admin"),
    ("POST", "/console/operators", "admin"),
    ("POST", "/console/operators/{operator}/disable", "admin"),
    ("POST", "/console/operators/{operator}/enable", "admin"),
    ("POST", "/console/operators/{operator}/reset", "admin"),
    ("POST", "/console/operators/{operator}/keys", "admin"),
    ("POST", "/console/operators/{operator}/phone", "admin"),
    ("POST", "/console/keys/{key}/revoke", "admin"),
    ("GET", "/console/audit", "admin"),
    ("POST", "/console/logout", "viewer"),
    ("GET", "/console/password", "viewer"),
    ("POST", "/console/password", "viewer"),
    ("GET", "/console/dashboard", "viewer"),
    ("GET", "/console/broadcasts", "viewer"),
    ("GET", "/console/broadcasts/new", "agronomist"),
    ("POST", "/console/broadcasts/new", "agronomist"),
    ("POST", "/console/broadcasts/audience", "agronomist"),
    ("POST", "/console/broadcasts/measure/{locale}", "agronomist"),
    ("GET", "/console/broadcasts/{broadcast}", "viewer"),
    ("GET", "/console/broadcasts/{broadcast}/progress", "viewer"),
    ("POST", "/console/broadcasts/{broadcast}/cancel", "agronomist"),
    ("GET", "/console/campaigns", "viewer"),
    ("GET", "/console/campaigns/new", "agronomist"),
    ("POST", "/console/campaigns/new", "agronomist"),
    ("POST", "/console/campaigns/{campaign}/pause", "agronomist"),
    ("POST", "/console/campaigns/{campaign}/resume", "agronomist"),
    ("GET", "/console/content/advisories", "viewer"),
    ("GET", "/console/content/advisories/{advisory}", "viewer"),
    ("POST", "/console/content/advisories/{advisory}", "agronomist"),
    ("POST", "/console/content/advisories/{advisory}/variant", "agronomist"),
    ("POST", "/console/content/advisories/{advisory}/measure/{language}", "agronomist"),
    ("GET", "/console/content/templates", "viewer"),
    ("POST", "/console/content/templates", "admin"),
    ("POST", "/console/content/templates/{template}/deactivate", "admin"),
    ("POST", "/console/content/templates/{template}/activate", "admin"),
    ("GET", "/console/content/plans", "viewer"),
    ("GET", "/console/content/plans/{plan}", "viewer"),
    ("POST", "/console/content/plans/{plan}", "admin"),
    ("GET", "/console/content/prices", "viewer"),
    ("GET", "/console/content/prices/{price}", "viewer"),
    ("POST", "/console/content/prices/{price}", "admin"),
    ("GET", "/console/sessions/ussd/{session}", "viewer"),
    ("GET", "/console/calls/{call}", "viewer"),
    ("GET", "/console/phone", "agronomist"),
    ("POST", "/console/phone/ussd", "agronomist"),
    ("POST", "/console/phone/sms", "agronomist"),
    ("POST", "/console/phone/voice", "agronomist"),
    ("GET", "/console/phone/inbox", "agronomist"),
    ("GET", "/console/login", None),
    ("POST", "/console/login", None),
    ("GET", "/console/", None),
]
BELOW = {"agronomist": "viewer", "admin": "agronomist"}


def _rule(path: str) -> str:
    return (path.replace("{ticket}", "<number>").replace("{farmer}", "<int:farmer_id>")
            .replace("{operator}", "<int:operator_id>").replace("{key}", "<int:key_id>").replace("{token}", "<token>")
            .replace("{broadcast}", "<int:broadcast_id>").replace("{locale}", "<locale>")
            .replace("{advisory}", "<int:advisory_id>").replace("{language}", "<language>")
            .replace("{template}", "<int:template_id>").replace("{plan}", "<int:plan_id>")
            .replace("{price}", "<int:price_id>").replace("{session}", "<session_id>")
            .replace("{call}", "<int:call_id>").replace("{campaign}", "<int:campaign_id>"))


def test_every_console_route_declares_the_role_in_this_table(app):
    declared = set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("console.") or rule.endpoint == "console.static":
            continue
        view = app.view_functions[rule.endpoint]
        assert hasattr(view, "required_role"), f"{rule.rule} declares no role"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            declared.add((method, rule.rule, view.required_role))
    assert declared == {(method, _rule(path), role) for method, path, role in ROUTES}


@pytest.fixture
def targets(ticket, sessions, operator):
    number = ticket()
    other = operator("someone", "agronomist")
    with sessions() as db, db.begin():
        from service.operators import new_api_key
        row, _ = new_api_key(db, db.get(Operator, other), "a script")
        found = db.scalar(select(ExpertRequest).where(ExpertRequest.ticket == number))
        return {"ticket": number, "farmer": found.farmer_id, "operator": other, "key": row.id, "token": "t0ken",
                "broadcast": 1, "locale": "hi", "advisory": 1, "language": "hi", "template": 1, "plan": 1, "price": 1,
                "session": "ATUid_1", "call": 1, "campaign": 1}


@pytest.mark.parametrize("method, path, role", [r for r in ROUTES if r[2] in BELOW])
def test_a_role_below_is_refused_and_nothing_changes(method, path, role, targets, signed_in, db):
    browser = signed_in(BELOW[role])
    url = path.format(**targets)
    data = {"text": "spray neem oil", "outcome": "answered", "operator": targets["operator"], "confirm": "ERASE",
            "name": "x", "username": "newperson", "role": "admin", "locale": "hi", "district": "Pune"}
    browser.get("/console/desk")
    response = browser.get(url) if method == "GET" else browser.post(url, data)
    assert response.status_code == 403
    assert f"this needs the {role} role" in response.get_data(as_text=True)
    assert db.scalars(select(AuditEvent.action)).all() == ["login"]  # nothing was done, so nothing recorded
    assert db.scalar(select(ExpertRequest.status).where(ExpertRequest.ticket == targets["ticket"])) == "open"


@pytest.mark.parametrize("method, path, role", [r for r in ROUTES if r[2] is not None])
def test_nobody_signed_in_is_sent_to_the_login_form(method, path, role, targets, console):
    url = path.format(**targets)
    response = console.get(url) if method == "GET" else console.post(url, {})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/console/login?next=")


def test_a_form_without_its_csrf_token_is_refused(signed_in, ticket, db):
    number = ticket()
    browser = signed_in("agronomist")
    response = browser.post(f"/console/tickets/{number}/claim", {}, csrf=False)
    assert response.status_code == 400
    assert "The form expired or did not come from this console" in response.get_data(as_text=True)
    response = browser.post(f"/console/tickets/{number}/claim", {"csrf_token": "forged"}, csrf=False)
    assert response.status_code == 400
    assert db.scalar(select(ExpertRequest.status).where(ExpertRequest.ticket == number)) == "open"


def test_the_login_form_itself_needs_its_token(console, operator):
    operator("meera")
    response = console.post("/console/login", {"username": "meera", "password": PASSWORD}, csrf=False)
    assert response.status_code == 400


def test_the_session_cookie_is_secure_httponly_and_lax(console, operator):
    operator("meera")
    response = console.sign_in("meera")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("kheti_console="))
    assert {"Secure", "HttpOnly", "SameSite=Lax"} <= {part.strip() for part in cookie.split(";")}


def test_pages_are_not_cached_framed_or_sniffed(signed_in):
    response = signed_in("viewer").get("/console/desk")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_wrong_passwords_lock_the_account_and_are_audited(console, operator, db):
    operator("meera")
    for _ in range(5):
        assert console.sign_in("meera", "not the password").status_code == 401
    response = console.sign_in("meera")  # the right password, too late
    assert response.status_code == 401
    assert "too many wrong passwords" in response.get_data(as_text=True)
    events = db.execute(select(AuditEvent.action, AuditEvent.actor, AuditEvent.detail)).all()
    assert [e.action for e in events] == ["login_failed"] * 6
    assert events[0].actor == "meera" and events[0].detail == {"reason": "wrong username or password"}


def test_an_unknown_name_gets_the_same_answer_as_a_wrong_password(console, operator):
    operator("meera")
    wrong_name = console.sign_in("nobody", PASSWORD)
    wrong_password = console.sign_in("meera", "not the password")
    assert wrong_name.status_code == wrong_password.status_code == 401
    assert "wrong username or password" in wrong_name.get_data(as_text=True)
    assert "wrong username or password" in wrong_password.get_data(as_text=True)


def test_the_login_form_is_rate_limited_per_address(console):
    statuses = [console.sign_in(f"nobody{n}", "x").status_code for n in range(11)]
    assert statuses == [401] * 10 + [429]
    assert console.get("/console/login").status_code == 200  # reading the form is not limited


def test_a_disabled_operator_is_refused_at_once(signed_in, sessions):
    browser = signed_in("agronomist", "meera")
    assert browser.get("/console/desk").status_code == 200
    with sessions() as db, db.begin():
        from service.operators import set_disabled
        set_disabled(db.scalar(select(Operator).where(Operator.username == "meera")), True)
    response = browser.get("/console/desk")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]
    assert browser.sign_in("meera").status_code == 401


def test_a_one_time_password_must_be_changed_first(console, operator, db):
    operator("meera", must_change=True, password="abcd-efgh-jkmn-pqrs")
    response = console.sign_in("meera", "abcd-efgh-jkmn-pqrs")
    assert response.headers["Location"] == "/console/password"
    assert console.get("/console/desk").headers["Location"] == "/console/password"
    short = console.post("/console/password", {"current": "abcd-efgh-jkmn-pqrs", "new": "short", "repeat": "short"})
    assert short.status_code == 400 and "A password has at least 12 characters." in short.get_data(as_text=True)
    changed = console.post("/console/password", {"current": "abcd-efgh-jkmn-pqrs", "new": PASSWORD,
                                                 "repeat": PASSWORD})
    assert changed.headers["Location"] == "/console/desk"
    assert console.get("/console/desk").status_code == 200
    assert db.scalar(select(Operator.must_change_password).where(Operator.username == "meera")) is False


def test_changing_the_password_ends_the_other_sessions(app, signed_in):
    laptop = signed_in("agronomist", "meera")
    phone = Console(app.test_client())
    phone.sign_in("meera")
    assert phone.get("/console/desk").status_code == 200
    new = "another long pass phrase"
    assert laptop.post("/console/password", {"current": PASSWORD, "new": new, "repeat": new}).status_code == 302
    assert laptop.get("/console/desk").status_code == 200  # this one goes on
    assert phone.get("/console/desk").status_code == 302  # that one has ended


def test_logout_ends_the_session(signed_in, db):
    browser = signed_in("viewer")
    assert browser.post("/console/logout").status_code == 302
    assert browser.get("/console/desk").status_code == 302
    assert db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all() == ["login", "logout"]


@pytest.mark.parametrize("target, lands", [
    ("/console/farmers?q=98", "/console/farmers?q=98"),
    ("https://evil.example/console", "/console/desk"),
    ("//evil.example/console", "/console/desk"),
    ("/gateway", "/console/desk"),
])
def test_after_login_only_our_own_pages_are_followed(console, operator, target, lands):
    operator("meera")
    console.get("/console/login")
    response = console.post(f"/console/login?next={target}", {"username": "meera", "password": PASSWORD})
    assert response.headers["Location"] == lands


def test_signing_out_makes_a_copied_cookie_worthless(app, signed_in):
    browser = signed_in("admin")
    copy = Console(app.test_client())
    cookie = browser.client.get_cookie("kheti_console")
    copy.client.set_cookie("kheti_console", cookie.value)
    assert copy.get("/console/operators").status_code == 200
    browser.post("/console/logout")
    assert copy.get("/console/operators").status_code == 302


def test_one_still_on_a_one_time_password_can_sign_out(console, operator):
    operator("meera", must_change=True)
    console.sign_in("meera")
    assert console.post("/console/logout").headers["Location"] == "/console/login"
    assert console.get("/console/password").status_code == 302  # signed out, not sent to change it


def test_guessing_the_current_password_locks_the_account_too(signed_in, db):
    browser = signed_in("agronomist", "meera")
    for _ in range(5):
        browser.post("/console/password", {"current": "a guess at it", "new": "x" * 14, "repeat": "x" * 14})
    assert browser.get("/console/desk").status_code == 302  # the session ended
    assert "too many wrong passwords" in browser.sign_in("meera").get_data(as_text=True)


def test_a_failed_login_logs_the_name_only_when_it_is_an_operators(console, operator, db):
    operator("meera")
    console.sign_in("MySecretPass123", "whatever")
    console.sign_in("meera", "wrong")
    assert db.scalars(select(AuditEvent.actor).order_by(AuditEvent.id)).all() == ["unknown", "meera"]


@pytest.mark.parametrize("method, url, body", [
    ("POST", "/console/measure", [1]),
    ("POST", "/console/measure", "text"),
    ("GET", "/console/audit?since=0001-01-01", None),
    ("GET", "/console/farmers/{farmer}?page=2&farmer_id=1&_external=1", None),
    ("GET", "/console/desk?page=99999999999", None),
    ("GET", "/console/tickets/%00", None),
    ("GET", "/console/farmers/99999999999999999999999999", None),
    ("POST", "/console/keys/99999999999999999999999999/revoke", None),
])
def test_odd_requests_get_an_answer_not_a_crash(method, url, body, signed_in, targets):
    browser = signed_in("admin")
    url = url.format(**targets)
    if method == "GET":
        response = browser.get(url)
    else:
        response = browser.client.post(url, json=body, headers={"X-CSRFToken": browser.token})
    assert response.status_code < 500


def test_a_missing_console_page_is_a_page_not_json(signed_in):
    response = signed_in("viewer").get("/console/nowhere")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "Back to the console" in response.get_data(as_text=True)
    assert signed_in("admin").get("/healthz/nowhere").mimetype == "application/json"  # the gateway's own
