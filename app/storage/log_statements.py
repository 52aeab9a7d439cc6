"""The call log's statements, per dialect: built once (building them is slow), and those a job
runs every time also compiled once (app.storage.prebuilt)."""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Dialect, String, Table, any_, bindparam, delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from app.calls.ledger import AttemptSummary, CallSummary, VoicemailSummary
from app.storage.models import Attempt, Call, EventRecord, Voicemail
from app.storage.prebuilt import Prebuilt

EVENTS: Table = EventRecord.__table__  # type: ignore[assignment]
CALLS: Table = Call.__table__  # type: ignore[assignment]
ATTEMPTS: Table = Attempt.__table__  # type: ignore[assignment]
VOICEMAILS: Table = Voicemail.__table__  # type: ignore[assignment]
_INSERTS: dict[str, Callable[[Table], Any]] = {
    "sqlite": sqlite.insert, "postgresql": postgresql.insert,
}


def statements_for(conn: Connection) -> dict[str, Any]:
    try:
        return statements_of(conn.dialect.name)
    except KeyError:
        name = conn.dialect.name
        raise RuntimeError(f"the call log supports SQLite and PostgreSQL, not {name}") from None


@functools.cache
def statements_of(dialect: str) -> dict[str, Any]:
    """The dialect's statements, built once: building them is slow."""
    insert = _INSERTS[dialect]
    return {
        "events": insert(EVENTS).on_conflict_do_nothing(index_elements=["key"])
        .returning(EVENTS.c.key),
        "lock": insert(CALLS).on_conflict_do_nothing(),
        "lock_rows": select(CALLS.c.call_sid, CALLS.c.fold_token)
        .where(_one_of(dialect, CALLS.c.call_sid)).order_by(CALLS.c.call_sid).with_for_update(),
        "load": select(EVENTS.c.key, EVENTS.c.type, EVENTS.c.call_sid, EVENTS.c.at,
                       EVENTS.c.data).where(_one_of(dialect, EVENTS.c.call_sid)),
        "delete_steps": delete(ATTEMPTS).where(
            ATTEMPTS.c.call_sid.in_(bindparam("sids", expanding=True)),
            tuple_(ATTEMPTS.c.call_sid, ATTEMPTS.c.step).not_in(bindparam("kept", expanding=True))),
        "calls": _upsert(insert(CALLS), ["call_sid"]),
        "attempts": _upsert(insert(ATTEMPTS), ["call_sid", "step"]),
        "voicemails": _upsert(insert(VOICEMAILS), ["call_sid", "recording_sid"]),
    }


def prebuilt_for(conn: Connection) -> dict[str, Prebuilt]:
    """The statements a job runs every time, compiled once for the connection's dialect."""
    statements_for(conn)  # the dialect is one the call log supports
    name = conn.dialect.name
    if name not in _PREBUILT:
        _PREBUILT[name] = _compiled_for(name, conn.dialect)
    return _PREBUILT[name]


_PREBUILT: dict[str, dict[str, Prebuilt]] = {}


def _compiled_for(name: str, dialect: Dialect) -> dict[str, Prebuilt]:
    statements = statements_of(name)
    columns = {"calls": _fields(CallSummary) - {"attempts", "voicemails"} | {"fold_token"},
               "attempts": {"call_sid"} | _fields(AttemptSummary),
               "voicemails": {"call_sid"} | _fields(VoicemailSummary)}
    compiled = {table: Prebuilt.compile(statements[table], dialect, sorted(keys), many=True)
                for table, keys in columns.items()}
    if name == "postgresql":
        compiled["lock_rows"] = Prebuilt.compile(statements["lock_rows"], dialect, ["sids"])
        # The calls' rows in call order, one statement whatever the number of calls.
        compiled["lock"] = Prebuilt("INSERT INTO calls (call_sid) SELECT sid FROM"
                                    " unnest(%(sids)s::VARCHAR[]) AS sid ORDER BY sid"
                                    " ON CONFLICT DO NOTHING", ("sids",), False, {})
    else:
        compiled["tokens"] = Prebuilt("SELECT call_sid, fold_token FROM calls WHERE call_sid IN"
                                      " (SELECT value FROM json_each(?))", ("sids",), True,
                                      {"sids": json.dumps})
    return compiled


def _fields(kind: type) -> set[str]:
    return {f.name for f in dataclasses.fields(kind)}


def _one_of(dialect: str, column: Any) -> Any:
    """``column`` is one of the ``sids`` parameter's values. On PostgreSQL one array parameter,
    so the SQL text is the same for any number of calls and psycopg converts it once."""
    if dialect == "postgresql":
        return column == any_(bindparam("sids", type_=postgresql.ARRAY(String)))
    return column.in_(bindparam("sids", expanding=True))


def _upsert(stmt: Any, keys: list[str]) -> Any:
    changed = {
        column.name: stmt.excluded[column.name]
        for column in stmt.table.columns
        if column.name not in keys and not column.primary_key
    }
    return stmt.on_conflict_do_update(index_elements=keys, set_=changed)
