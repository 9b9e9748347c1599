"""What admins do: operators added with a one-time password shown once, disabled, reset; API keys made and
revoked; the audit log read and filtered, and never changed, not even by the database's owner through the ORM."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DatabaseError

from farmdb.models import ApiKey, AuditEvent, Operator
from service.operators import key_owner
from tests.console.conftest import PASSWORD, Console


def _shown_secret(page: str) -> str:
    return re.search(r"<code>([^<]+)</code>", page.split('class="secret"')[1])[1]


def test_an_admin_adds_an_operator_who_must_choose_a_password_first(app, signed_in, db):
    admin = signed_in("admin")
    admin.get("/console/operators")
    response = admin.post("/console/operators", {"username": "Sunil.K", "display_name": "Sunil Kale",
                                                 "role": "agronomist", "phone": "098765 43210"})
    assert response.status_code == 302
    shown_at = response.headers["Location"]
    password = _shown_secret(admin.text(shown_at))
    assert password not in admin.text(shown_at)  # reloading shows it no more
    assert re.fullmatch(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}", password)
    assert password not in admin.text("/console/operators")  # shown once
    row = db.scalar(select(Operator).where(Operator.username == "sunil.k"))
    assert (row.role, row.phone, row.must_change_password) == ("agronomist", "+919876543210", True)
    assert password not in row.password_hash and row.password_hash.startswith("$argon2id$")

    sunil = Console(app.test_client())
    assert sunil.sign_in("sunil.k", password).headers["Location"] == "/console/password"
    audit = db.execute(select(AuditEvent.actor, AuditEvent.action, AuditEvent.detail)
                       .where(AuditEvent.action == "operator_added")).one()
    assert audit.actor == "admin1" and audit.detail == {"username": "sunil.k", "role": "agronomist"}


@pytest.mark.parametrize("form, problem", [
    ({"username": "admin1", "role": "viewer"}, "there is already an operator called &#39;admin1&#39;"),
    ({"username": "no spaces", "role": "viewer"}, "a username is 3-40 lower-case letters"),
    ({"username": "okname", "role": "superuser"}, "Not a valid choice."),
    ({"username": "okname", "role": "viewer", "phone": "12"}, "That is not a phone number we can call."),
])
def test_a_bad_operator_form_says_why_and_adds_nobody(form, problem, signed_in, db):
    admin = signed_in("admin")
    admin.get("/console/operators")
    response = admin.post("/console/operators", form)
    assert response.status_code == 400 and problem in response.get_data(as_text=True)
    assert db.scalars(select(Operator.username)).all() == ["admin1"]


def test_disabling_stops_an_operator_and_their_keys_at_once(app, signed_in, operator, sessions, db):
    admin = signed_in("admin")
    meera = signed_in("agronomist", "meera")
    with sessions() as s, s.begin():
        from service.operators import new_api_key
        _, key = new_api_key(s, s.scalar(select(Operator).where(Operator.username == "meera")), "phone app")
    meera_id = db.scalar(select(Operator.id).where(Operator.username == "meera"))
    admin.get("/console/operators")
    assert admin.post(f"/console/operators/{meera_id}/disable").status_code == 302
    assert meera.get("/console/desk").status_code == 302  # signed out
    with sessions() as s:
        assert key_owner(s, key) is None
    assert admin.post(f"/console/operators/{meera_id}/enable").status_code == 302
    assert Console(app.test_client()).sign_in("meera").status_code == 302


def test_an_admin_cannot_disable_themselves(signed_in, db):
    admin = signed_in("admin")
    me = db.scalar(select(Operator.id))
    response = admin.post(f"/console/operators/{me}/disable")
    assert "You cannot disable yourself" in admin.text(response.headers["Location"])
    assert db.get(Operator, me).disabled is False


def test_a_reset_gives_a_new_one_time_password_and_ends_their_sessions(app, signed_in, db):
    admin = signed_in("admin")
    meera = signed_in("agronomist", "meera")
    meera_id = db.scalar(select(Operator.id).where(Operator.username == "meera"))
    admin.get("/console/operators")
    password = _shown_secret(admin.text(admin.post(f"/console/operators/{meera_id}/reset").headers["Location"]))
    assert meera.get("/console/desk").status_code == 302
    fresh = Console(app.test_client())
    assert fresh.sign_in("meera", PASSWORD).status_code == 401
    assert fresh.sign_in("meera", password).headers["Location"] == "/console/password"


def test_an_api_key_is_shown_once_kept_as_a_hash_and_revoked_at_once(signed_in, sessions, db):
    admin = signed_in("admin")
    me = db.scalar(select(Operator.id))
    admin.get("/console/operators")
    key = _shown_secret(admin.text(admin.post(f"/console/operators/{me}/keys", {"name": "district dashboard"})
                                   .headers["Location"]))
    assert key.startswith("ks_")
    db.rollback()  # a fresh look (SQLite keeps a read transaction's snapshot)
    row = db.scalar(select(ApiKey))
    assert row.name == "district dashboard" and key not in (row.key_hash, row.prefix) and len(row.key_hash) == 64
    page = admin.text("/console/operators")
    assert key not in page and f"ks_{row.prefix}_…" in page
    with sessions() as s, s.begin():
        assert key_owner(s, key)[0].username == "admin1"
    admin.post(f"/console/keys/{row.id}/revoke")
    with sessions() as s:
        assert key_owner(s, key) is None
    db.rollback()
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.target_type == "api_key")).all()
    assert actions == ["api_key_created", "api_key_revoked"]


def test_the_audit_log_is_filtered_by_who_what_on_and_when(signed_in, ticket, db):
    number = ticket()
    admin = signed_in("admin")
    agronomist = signed_in("agronomist", "meera")
    agronomist.post(f"/console/tickets/{number}/claim")
    agronomist.post(f"/console/tickets/{number}/close", {"outcome": "referred"})

    def rows(query):
        page = admin.text(f"/console/audit?{query}")
        return re.findall(r'<td data-label="Who">([^<]*)</td>\s*<td data-label="What">([^<]*)</td>', page)

    assert rows("actor=meera") == [("meera", "ticket closed"), ("meera", "ticket claimed"), ("meera", "login")]
    assert rows("action=login") == [("meera", "login"), ("admin1", "login")]
    assert rows(f"target=ticket:{number}") == [("meera", "ticket closed"), ("meera", "ticket claimed")]
    assert rows("since=2020-01-01&until=2020-12-31") == []
    assert admin.get("/console/audit?since=yesterday").status_code == 200  # a bad date is ignored, said on the form


def test_the_database_refuses_to_change_or_delete_the_audit_log(signed_in, sessions):
    signed_in("viewer")
    for statement in (update(AuditEvent).values(actor="someone else"), delete(AuditEvent)):
        with sessions() as s, pytest.raises(DatabaseError, match="append-only"):
            with s.begin():
                s.execute(statement)
    with sessions() as s:
        assert s.scalars(select(AuditEvent.actor)).all() == ["viewer1"]
        if s.bind.dialect.name == "postgresql":
            with pytest.raises(DatabaseError, match="append-only"):
                s.execute(text("TRUNCATE audit_events"))


def test_an_admin_sets_where_an_operator_is_rung_first(signed_in, operator, db):
    admin = signed_in("admin")
    meera = operator("meera")
    admin.get("/console/operators")
    admin.post(f"/console/operators/{meera}/phone", {"phone": "099000 11122"})
    db.rollback()
    assert db.get(Operator, meera).phone == "+919900011122"
    response = admin.post(f"/console/operators/{meera}/phone", {"phone": "12"})
    assert "That is not a phone number we can call." in admin.text(response.headers["Location"])
    assert db.scalar(select(AuditEvent.action).where(AuditEvent.action == "operator_phone_set")) is not None
