"""Console accounts and API tokens: argon2 password hashes, roles, sessions, bearer tokens (no Flask)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.storage.accounts import ApiToken, User

ADMIN, VIEWER, ENGINEER = "admin", "viewer", "engineer"
ROLES = (ADMIN, VIEWER, ENGINEER)
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # argon2 takes any length; this only bounds the work one request can ask for
TOKEN_PREFIX = "hl_"
TOKEN_TOUCH = timedelta(minutes=1)  # how stale last_used_at may get: no write on every API call
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,79}")


class AccountError(ValueError):
    """A username, password or role that cannot be used; the message says why."""


@cache
def hasher() -> PasswordHasher:
    # Argon2id at the OWASP minimum (19 MiB, 2 passes, 1 lane): about 0.15 s on a 2-core
    # server, so a sign-in does not hold a web worker long. Hashes made with other parameters
    # still verify and are upgraded at the next sign-in (check_needs_rehash).
    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


@cache
def _dummy_hash() -> str:
    return hasher().hash(secrets.token_hex(16))


def normalise_username(name: str) -> str:
    """Usernames are case-insensitive: kept lower-case, letters, digits and ``._@-``."""
    username = (name or "").strip().lower()
    if not _USERNAME.fullmatch(username):
        raise AccountError(f"invalid username {name!r}: use 1 to 80 letters, digits, '.', '_', "
                           "'@' or '-', starting with a letter or digit")
    return username


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"the password may have at most {MAX_PASSWORD} characters")


def find_user(session: Session, username: str) -> User | None:
    try:
        name = normalise_username(username)
    except AccountError:
        return None
    return session.scalars(select(User).where(User.username == name)).one_or_none()


def check_role(role: str, person_id: str | None) -> None:
    """An engineer is somebody of the configuration; the other roles are nobody's in particular."""
    if role not in ROLES:
        raise AccountError(f"invalid role {role!r}: choose {', '.join(ROLES)}")
    if role == ENGINEER and not person_id:
        raise AccountError("an engineer account needs the person id it belongs to (--person)")
    if role != ENGINEER and person_id:
        raise AccountError(f"only an engineer account belongs to a person, not a {role}")


def add_user(session: Session, username: str, password: str, role: str,
             person_id: str | None = None) -> User:
    """Create an account; AccountError if the name is taken or anything is invalid."""
    name = normalise_username(username)
    check_role(role, person_id)
    check_password(password)
    if find_user(session, name) is not None:
        raise AccountError(f"user {name!r} exists already; `hotline admin password {name}` "
                           "gives it a new password")
    user = User(username=name, password_hash=hasher().hash(password), role=role, session_epoch=0,
                session_key=new_session_key(), person_id=person_id or None)
    session.add(user)
    session.flush()
    return user


def new_session_key() -> str:
    return secrets.token_urlsafe(24)


def session_user(session: Session, user_id: int, epoch: int, key: str) -> User | None:
    """The account a session cookie was made for, or None once that session has ended."""
    user = session.get(User, user_id)
    if user is None or user.session_epoch != epoch:
        return None
    return user if hmac.compare_digest(user.session_key.encode(), key.encode()) else None


def end_sessions(session: Session, user: User) -> None:
    """Sign the user out everywhere: no cookie made before this moment works any more."""
    user.session_epoch = User.session_epoch + 1  # in SQL: two at once still both count
    session.flush()


def set_password(session: Session, username: str, password: str) -> User:
    """Change the password in place (same account, same tokens) and end every session."""
    user = find_user(session, username)
    if user is None:
        raise AccountError(f"no user {username!r}")
    check_password(password)
    user.password_hash = hasher().hash(password)
    end_sessions(session, user)
    return user


def set_role(session: Session, username: str, role: str, person_id: str | None = None) -> bool:
    """Give the user another role (and person), ending their sessions; False if unchanged."""
    user = find_user(session, username)
    if user is None:
        raise AccountError(f"no user {username!r}")
    check_role(role, person_id)
    if user.role == role and user.person_id == (person_id or None):
        return False
    user.role, user.person_id = role, person_id or None
    end_sessions(session, user)
    return True


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The user if the password matches, else None; as slow for unknown names as for known."""
    user = find_user(session, username)
    if len(password) > MAX_PASSWORD:
        return None
    try:
        hasher().verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hasher().hash(password)
    return user


def remove_user(session: Session, username: str) -> bool:
    """Delete the account and its tokens; its open sessions end with it."""
    user = find_user(session, username)
    if user is None:
        return False
    session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    session.delete(user)
    session.flush()
    return True


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def token_digest(token: str) -> str:
    # Tokens carry 256 random bits, so a plain hash suffices: no dictionary to guess from.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, username: str, label: str | None, now: datetime) -> str:
    """A new API token for the user; shown once, only its digest is kept."""
    user = find_user(session, username)
    if user is None:
        raise AccountError(f"no user {username!r}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=token_digest(token), label=label,
                         created_at=now))
    session.flush()
    return token


def revoke_tokens(session: Session, username: str) -> int:
    user = find_user(session, username)
    if user is None:
        raise AccountError(f"no user {username!r}")
    result = session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def user_for_token(session: Session, token: str, now: datetime) -> User | None:
    """The owner of a bearer token, or None; notes when the token was last used."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = session.scalars(
        select(ApiToken).where(ApiToken.token_hash == token_digest(token))).one_or_none()
    if row is None:
        return None
    if row.last_used_at is None or now - row.last_used_at > TOKEN_TOUCH:
        row.last_used_at = now
        session.commit()
    return session.get(User, row.user_id)
