"""The generated call log (bench/calllog.py) filled into PostgreSQL by COPY: the same rows as
SQLAlchemy's executemany writes, and every index and foreign key of the migrations back after."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

import psycopg
import pytest
from sqlalchemy import Engine, text

from app.storage import get_engine
from bench.calllog import TABLES, fill
from bench.pgcopy import secondary_keys

END = datetime(2026, 12, 1, 12, tzinfo=UTC)


def table_rows(engine: Engine) -> dict[str, Sequence[Any]]:
    with engine.connect() as conn:
        # Each table's first column is its key: an id, or the CallSid.
        return {table: conn.execute(text(f"SELECT * FROM {table} ORDER BY 1")).all()
                for table in TABLES}


def keys_of(engine: Engine) -> list[tuple[str, str]]:
    pooled = engine.raw_connection()
    try:
        return secondary_keys(cast(psycopg.Connection[Any], pooled.driver_connection), TABLES)
    finally:
        pooled.rollback()
        pooled.close()


@pytest.mark.postgres_only  # COPY is PostgreSQL's; SQLite is filled by executemany only
def test_copy_writes_the_rows_executemany_writes_and_keeps_the_schema(db_url: str) -> None:
    engine = get_engine(db_url)
    migrated = keys_of(engine)
    fill(engine, 300, END, by_copy=False)
    inserted = table_rows(engine)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY"))

    fill(engine, 300, END)

    copied = table_rows(engine)
    assert copied == inserted
    assert len(copied["calls"]) == 300 and len(copied["events"]) > 1_500
    assert copied["voicemails"] and copied["follow_ups"]
    assert keys_of(engine) == migrated
    creates = " ".join(create for _drop, create in migrated)
    assert "ix_attempts_person_call_sid" in creates and "FOREIGN KEY (call_sid)" in creates
