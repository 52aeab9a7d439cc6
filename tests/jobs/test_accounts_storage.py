"""Console accounts in SQL, on SQLite and PostgreSQL: an id is never given twice, and the
upgrade that ensures it keeps every account and API token."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from app.storage import get_engine, upgrade
from app.storage.accounts import ApiToken, User
from app.storage.migrate import alembic_config
from app.storage.models import UTCDateTime
from app.storage.users import (
    AccountError,
    add_user,
    authenticate,
    hasher,
    issue_token,
    remove_user,
    set_role,
    user_for_token,
)

PASSWORD = "correct horse battery"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_an_account_id_is_never_given_twice(db_url: str) -> None:
    with Session(get_engine(db_url)) as session:
        ids = [add_user(session, name, PASSWORD, "viewer").id for name in ("a", "b")]
        session.commit()
        assert remove_user(session, "b")
        session.commit()
        ids.append(add_user(session, "c", PASSWORD, "viewer").id)
        session.commit()
        assert remove_user(session, "c") and remove_user(session, "a")
        session.commit()
        ids.append(add_user(session, "b", PASSWORD, "viewer").id)
        session.commit()
    assert ids == sorted(set(ids)), ids


def test_every_account_gets_its_own_session_key(db_url: str) -> None:
    with Session(get_engine(db_url)) as session:
        keys = {add_user(session, name, PASSWORD, "viewer").session_key for name in "abc"}
        session.commit()
    assert len(keys) == 3 and all(len(key) >= 22 for key in keys)


USERS = sa.table("users", sa.column("username"), sa.column("password_hash"),
                 sa.column("role"), sa.column("created_at", UTCDateTime()),
                 sa.column("session_epoch"))
TOKENS = sa.table("api_tokens", sa.column("id"), sa.column("user_id"), sa.column("token_hash"),
                  sa.column("label"), sa.column("created_at", UTCDateTime()))


def test_the_upgrade_keeps_accounts_and_tokens_and_stops_reusing_ids(empty_db: str) -> None:
    upgrade(empty_db, "0004")
    engine = get_engine(empty_db)
    hashed = hasher().hash(PASSWORD)
    with engine.begin() as conn:
        conn.execute(sa.insert(USERS), [
            {"username": name, "password_hash": hashed, "role": "admin", "created_at": T0,
             "session_epoch": 0} for name in ("ann", "bob")])
        conn.execute(sa.insert(TOKENS), [
            {"id": 5, "user_id": 1, "token_hash": "a" * 64, "label": "tickets", "created_at": T0},
            {"id": 6, "user_id": 2, "token_hash": "b" * 64, "label": None, "created_at": T0}])
    upgrade(empty_db)
    with Session(engine) as session:
        users = session.scalars(select(User).order_by(User.id)).all()
        assert [(u.id, u.username, u.session_epoch) for u in users] == [(1, "ann", 0), (2, "bob", 0)]
        assert len({u.session_key for u in users}) == 2 and all(u.session_key for u in users)
        assert authenticate(session, "bob", PASSWORD) is not None
        tokens = session.scalars(select(ApiToken).order_by(ApiToken.id)).all()
        assert [(t.id, t.user_id, t.label) for t in tokens] == [(5, 1, "tickets"), (6, 2, None)]
        assert remove_user(session, "bob")
        session.commit()
        assert add_user(session, "carl", PASSWORD, "viewer").id == 3
        session.commit()
        assert remove_user(session, "carl")
        session.commit()
        assert add_user(session, "dora", PASSWORD, "viewer").id == 4
        session.commit()
        assert session.scalar(select(sa.func.count()).select_from(ApiToken)) == 1
        assert user_for_token(session, "hl_unknown", T0) is None
    names = {c["name"] for c in inspect(engine).get_columns("login_failures")}
    assert "device" in names


def test_engineer_accounts_belong_to_a_person_and_the_downgrade_drops_them(empty_db: str) -> None:
    upgrade(empty_db, "0006")
    engine = get_engine(empty_db)
    with Session(engine) as session:
        add_user(session, "ann", PASSWORD, "admin")
        engineer = add_user(session, "al", PASSWORD, "engineer", "alice")
        session.commit()
        assert (engineer.role, engineer.person_id) == ("engineer", "alice")
        for role, person in (("engineer", None), ("viewer", "alice"), ("root", None)):
            try:
                add_user(session, "x", PASSWORD, role, person)
            except AccountError:
                continue
            raise AssertionError(f"{role} with {person} accepted")
        assert set_role(session, "ann", "engineer", "carol")
        assert not set_role(session, "ann", "engineer", "carol")
        assert set_role(session, "ann", "admin")
        session.commit()
        assert session.get(User, 1).person_id is None
    for username in ("ann", "al"):
        with Session(engine) as session:
            issue_token(session, username, None, T0)
            session.commit()
    command.downgrade(alembic_config(empty_db), "0005")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT username FROM users")).scalars().all() == ["ann"]
        assert conn.execute(sa.text("SELECT count(*) FROM api_tokens")).scalar() == 1
        assert "person_id" not in {c["name"] for c in inspect(conn).get_columns("users")}
    upgrade(empty_db, "0006")
