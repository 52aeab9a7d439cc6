"""The console's JSON API in tests: a bearer token issued to a user, a GET sent with it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from app.storage import get_engine
from app.storage.users import issue_token


def token_for(admin_db_url: str, username: str = "victor") -> str:
    with Session(get_engine(admin_db_url)) as session:
        token = issue_token(session, username, "tickets", datetime.now(UTC))
        session.commit()
    return token


def get(app: Flask, url: str, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return app.test_client().get(url, headers=headers)
