"""Operators and their keys: made with a one-time password, signed in with a password (argon2), locked out after
repeated failures, acting through the API with named keys that are shown once and can be revoked. Every entrance
(the console, the API, the CLI) goes through here, so the rules are the same wherever a person comes in."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from farmdb.models import ApiKey, Operator
from farmdb.models.operators import ROLES
from farmdb.types import utcnow

MAX_FAILURES = 5  # wrong passwords in a row before the account is locked
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD = 12
KEY_PREFIX = "ks_"
_USERNAME = re.compile(r"[a-z][a-z0-9._-]{2,39}")
_hasher = PasswordHasher()  # argon2id with the library's current recommended cost; stateless, safe to share


class OperatorError(ValueError):
    """Refused, with a reason a person can act on."""


def may(role: str, needed: str) -> bool:
    """viewer < agronomist < admin: each may do what the ones before it may."""
    return ROLES.index(role) >= ROLES.index(needed)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def one_time_password() -> str:
    """Four groups of four letters and digits: easy to read out and type once, then changed."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


def add_operator(db: Session, username: str, role: str, *, display_name: str | None = None,
                 phone: str | None = None) -> tuple[Operator, str]:
    """A new operator and the one-time password they must change at first login."""
    username = username.strip().lower()
    if not _USERNAME.fullmatch(username):
        raise OperatorError("a username is 3-40 lower-case letters, digits, '.', '_' or '-', starting with a letter")
    if role not in ROLES:
        raise OperatorError(f"the role is one of {', '.join(ROLES)}")
    if db.scalar(select(Operator.id).where(Operator.username == username)):
        raise OperatorError(f"there is already an operator called {username!r}")
    password = one_time_password()
    operator = Operator(username=username, display_name=(display_name or username).strip()[:80], role=role,
                        password_hash=hash_password(password), must_change_password=True, disabled=False,
                        phone=phone, failed_logins=0, session_version=1)
    db.add(operator)
    db.flush()
    return operator, password


def reset_password(db: Session, operator: Operator) -> str:
    """A new one-time password; the operator's sessions end."""
    password = one_time_password()
    operator.password_hash, operator.must_change_password = hash_password(password), True
    operator.failed_logins, operator.locked_until = 0, None
    operator.session_version += 1
    return password


@dataclass(frozen=True)
class SignIn:
    operator: Operator | None
    problem: str | None = None  # why not, as the person may be told (never which of name or password was wrong)


def sign_in(db: Session, username: str, password: str, now: datetime | None = None) -> SignIn:
    now = now or utcnow()
    operator = db.scalar(select(Operator).where(Operator.username == username.strip().lower()).with_for_update())
    if operator is None:
        _hasher.hash(password)  # the same time spent whether the name exists or not
        return SignIn(None, "wrong username or password")
    if operator.locked_until is not None and operator.locked_until > now:
        return SignIn(None, "too many wrong passwords: try again later")
    if not _matches(operator, password):
        operator.failed_logins += 1
        if operator.failed_logins >= MAX_FAILURES:
            operator.locked_until, operator.failed_logins = now + LOCKOUT, 0
        return SignIn(None, "wrong username or password")
    if operator.disabled:
        return SignIn(None, "this account is disabled")
    operator.failed_logins, operator.locked_until, operator.last_login_at = 0, None, now
    if _hasher.check_needs_rehash(operator.password_hash):
        operator.password_hash = hash_password(password)
    return SignIn(operator)


def _matches(operator: Operator, password: str) -> bool:
    try:
        return _hasher.verify(operator.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def change_password(db: Session, operator: Operator, current: str, new: str, now: datetime | None = None) -> None:
    """Wrong current passwords count towards the lockout, as at sign-in: an open session is no licence to guess.
    The caller commits even when this refuses, so the count is kept."""
    if not _matches(operator, current):
        operator.failed_logins += 1
        if operator.failed_logins >= MAX_FAILURES:
            operator.locked_until, operator.failed_logins = (now or utcnow()) + LOCKOUT, 0
            operator.session_version += 1  # and this session ends
        raise OperatorError("the current password is wrong")
    if len(new) < MIN_PASSWORD:
        raise OperatorError(f"a password has at least {MIN_PASSWORD} characters")
    if new == current or operator.username in new.lower():
        raise OperatorError("choose a new password that is not the old one and does not contain your username")
    operator.password_hash, operator.must_change_password = hash_password(new), False
    operator.session_version += 1  # other sessions end; the caller signs this one in again


def set_disabled(operator: Operator, disabled: bool) -> None:
    operator.disabled = disabled
    operator.session_version += 1  # a disabled operator's sessions end at once


# --- API keys -----------------------------------------------------------------------------------------------------

def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_api_key(db: Session, operator: Operator, name: str) -> tuple[ApiKey, str]:
    """A key for API v1, shown once: `ks_<prefix>_<secret>`. Only its hash is kept."""
    name = " ".join(name.split())[:80] or "key"
    prefix = secrets.token_hex(6)
    key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKey(operator=operator, name=name, prefix=prefix, key_hash=_digest(key))
    db.add(row)
    db.flush()
    return row, key


def key_owner(db: Session, key: str, now: datetime | None = None) -> tuple[Operator, ApiKey] | None:
    """The operator a key acts for, or None: unknown, revoked, or its operator disabled."""
    match = re.fullmatch(rf"{KEY_PREFIX}([0-9a-f]{{12}})_[A-Za-z0-9_-]{{20,100}}", key)
    if match is None:
        return None
    row = db.scalar(select(ApiKey).where(ApiKey.prefix == match[1]))
    if row is None or not hmac.compare_digest(row.key_hash, _digest(key)):
        return None
    if row.revoked_at is not None or row.operator.disabled:
        return None
    now = now or utcnow()
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):  # one write a minute at most
        row.last_used_at = now
    return row.operator, row


def revoke_key(row: ApiKey) -> None:
    if row.revoked_at is None:
        row.revoked_at = utcnow()
