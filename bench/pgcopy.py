"""Bulk loading into PostgreSQL by COPY (psycopg 3), for the generated call log (bench/calllog.py).

While the rows stream in, the tables' secondary indexes and foreign keys are dropped; afterwards
they are created again from the definitions PostgreSQL gave before the load
(``pg_get_indexdef``, ``pg_get_constraintdef``), so the schema is the migrations' exactly.
Primary keys and unique constraints stay: they are the ones that keep the rows right.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, cast

if __package__ in (None, ""):  # run as a script: make `app` and `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
from sqlalchemy import Engine  # noqa: E402

from app.storage import get_engine  # noqa: E402

Table = tuple[str, list[dict[str, Any]]]  # a table's name and a batch of its rows
# The secondary indexes (no primary key, unique or exclusion constraint behind them).
INDEXES = """
SELECT format('DROP INDEX %%I.%%I', n.nspname, i.relname), pg_get_indexdef(x.indexrelid)
FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = current_schema() AND t.relname = ANY(%s) AND NOT EXISTS (
  SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.contype IN ('p', 'u', 'x'))
ORDER BY i.relname
"""
FOREIGN_KEYS = """
SELECT format('ALTER TABLE %%s DROP CONSTRAINT %%I', k.conrelid::regclass, k.conname),
       format('ALTER TABLE %%s ADD CONSTRAINT %%I ', k.conrelid::regclass, k.conname)
       || pg_get_constraintdef(k.oid)
FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE k.contype = 'f' AND n.nspname = current_schema() AND t.relname = ANY(%s)
ORDER BY k.conname
"""


def copy_batches(engine: Engine, tables: Sequence[str], batches: Iterable[Sequence[Table]]) -> None:
    """COPY every batch into ``tables`` (a transaction per batch), without their secondary
    indexes and foreign keys meanwhile; those are created again at the end."""
    pooled = engine.raw_connection()
    try:
        conn = cast(psycopg.Connection[Any], pooled.driver_connection)
        recreate = drop_secondary_keys(conn, tables)
        for batch in batches:
            for table, rows in batch:
                copy_rows(conn, table, rows)
            conn.commit()
        for statement in recreate:
            conn.execute(statement)  # DDL the catalogue wrote
        conn.commit()
    finally:
        pooled.close()


def secondary_keys(conn: psycopg.Connection[Any], tables: Sequence[str]) -> list[tuple[str, str]]:
    """(DDL that drops it, DDL that creates it) of each secondary index and foreign key."""
    return [*conn.execute(INDEXES, (list(tables),)), *conn.execute(FOREIGN_KEYS, (list(tables),))]


def drop_secondary_keys(conn: psycopg.Connection[Any], tables: Sequence[str]) -> list[str]:
    """Drop the tables' secondary indexes and foreign keys; returns the DDL that restores them."""
    found = secondary_keys(conn, tables)
    for drop, _create in found:
        conn.execute(drop)
    conn.commit()
    return [create for _drop, create in found]


def copy_rows(conn: psycopg.Connection[Any], table: str, rows: list[dict[str, Any]]) -> None:
    """One COPY of ``rows`` (dicts with the same keys) into ``table``; dicts go in as JSON."""
    if not rows:
        return
    columns = list(rows[0])
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([json.dumps(v) if isinstance(v, dict) else v for v in row.values()])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a migrated PostgreSQL database")
    parser.add_argument("tables", nargs="+", help="whose secondary keys to show (changes nothing)")
    args = parser.parse_args(argv)
    pooled = get_engine(args.database_url).raw_connection()
    try:
        conn = cast(psycopg.Connection[Any], pooled.driver_connection)
        for _drop, create in secondary_keys(conn, args.tables):
            print(create + ";")
    finally:
        pooled.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
