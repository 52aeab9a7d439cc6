"""Rebuilding calls' rows from their events, a set of calls at a time: a few statements per set."""

from __future__ import annotations

import dataclasses
import functools
import json
import secrets
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Dialect, String, Table, any_, bindparam, delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from app.calls.fold import FoldedCall, fold
from app.calls.ledger import AttemptSummary, CallSummary, VoicemailSummary
from app.storage import fold_cache
from app.storage.models import Attempt, Call, EventRecord, Voicemail
from app.storage.prebuilt import Prebuilt, executemany_in_turn, fetch_in_turn
from app.storage.waiting import track_rebuilt

EVENTS: Table = EventRecord.__table__  # type: ignore[assignment]
CALLS: Table = Call.__table__  # type: ignore[assignment]
ATTEMPTS: Table = Attempt.__table__  # type: ignore[assignment]
VOICEMAILS: Table = Voicemail.__table__  # type: ignore[assignment]
_INSERTS: dict[str, Callable[[Table], Any]] = {
    "sqlite": sqlite.insert, "postgresql": postgresql.insert,
}


def rebuild_locked(conn: Connection, call_sids: Sequence[str],
                   inserted: Mapping[str, Sequence[dict[str, Any]]] | None = None,
                   tokens: Mapping[str, int | None] | None = None,
                   ) -> tuple[list[FoldedCall], dict[str, int]]:
    """Lock the calls, fold each one's stored events, write the rows: in ``conn``'s transaction.
    The calls folded, and the fold token each one's row holds now.

    ``inserted``: the events the job inserted (RETURNING), by call; a call this process folded
    last (its row holds the token of this process's entry, see ``fold_cache``) then folds only
    those, and one that no rebuild wrote yet folds just them. None: every call folded from all
    its stored events. ``tokens``: the calls are locked already and their rows hold these
    (see ``lock_steps``).
    """
    if not call_sids:
        return [], {}
    if tokens is None:
        tokens = lock_calls(conn, call_sids, read_tokens=inserted is not None)
    written: dict[str, CallSummary] = {}
    kept: dict[str, int] = {}
    folded = []
    if inserted is not None:
        database = str(conn.engine.url)
        for token, before, after in _fold_new(database, call_sids, inserted, tokens):
            if before is not None and token is not None:
                written[before.call_sid], kept[before.call_sid] = before.summary, token
            folded.append(after)
    done = {f.call_sid for f in folded}
    folded += load_folded(conn, [sid for sid in call_sids if sid not in done])
    fresh = secrets.randbits(62) + 1  # this rebuild's: no other process holds it
    written_tokens = {f.call_sid: kept.get(f.call_sid, fresh) for f in folded}
    write_summaries(conn, [f.summary for f in folded], written, written_tokens)
    return folded, written_tokens


def _fold_new(database: str, call_sids: Sequence[str],
              inserted: Mapping[str, Sequence[dict[str, Any]]],
              tokens: Mapping[str, int | None],
              ) -> list[tuple[int | None, FoldedCall | None, FoldedCall]]:
    """(token, before, after) for each call whose row this process's fold cache wrote last
    (before: as committed then), or that no rebuild wrote yet (its stored events are the ones
    inserted now; token and before None). The other calls are left to a full rebuild."""
    out: list[tuple[int | None, FoldedCall | None, FoldedCall]] = []
    for call_sid in call_sids:
        new = inserted.get(call_sid, ())
        token = tokens.get(call_sid)
        if token is None:
            if new:
                out.append((None, None, fold(None, _as_read_back(new))))
            continue
        entry = fold_cache.take(database, call_sid)
        if entry is not None and entry[0] == token:
            out.append((token, entry[1], fold(entry[1], _as_read_back(new))))
    return out


def _as_read_back(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Inserted rows as a full rebuild would read them back (their data through JSON)."""
    return [{**r, "data": _as_stored(r["data"])} for r in rows]


_FLAT = frozenset({str, int, float, bool, type(None)})


def _as_stored(data: dict[str, Any]) -> Any:
    """The data as the database gives it back (JSON), so both ways fold to the same summary.
    Flat data (text keys, scalar values: a webhook's) comes back as it went in."""
    if all(type(k) is str and type(v) in _FLAT for k, v in data.items()):
        return dict(data)
    return json.loads(json.dumps(data))


def load_folded(conn: Connection, call_sids: Sequence[str]) -> list[FoldedCall]:
    """Each call folded from all its stored events, one SELECT for the whole set."""
    if not call_sids:
        return []
    by_call: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in conn.execute(_statements(conn)["load"], {"sids": sorted(set(call_sids))}):
        by_call[row[2]].append({"key": row[0], "type": row[1], "call_sid": row[2],
                                "at": row[3], "data": row[4]})
    return [fold(None, events) for _, events in sorted(by_call.items())]


def lock_calls(conn: Connection, call_sids: Sequence[str], read_tokens: bool = False,
               ) -> dict[str, int | None]:
    """Create the calls' rows if needed and hold them until the transaction ends; the fold
    token of each row (with ``read_tokens``; on PostgreSQL always).

    Rebuilds of one call take turns, and each reads the events after the previous one wrote:
    the last write reflects every stored event. Rows are locked in call_sid order, so two
    workers with overlapping sets wait for each other instead of deadlocking. On SQLite the
    transaction's BEGIN IMMEDIATE (see ``WRITE_LOCK``) already holds the whole database.
    """
    steps = lock_steps(conn, call_sids, read_tokens)
    if not steps:
        return {}
    return dict(fetch_in_turn(conn, steps)[-1])  # one round trip where the driver can


def lock_steps(conn: Connection, call_sids: Sequence[str], read_tokens: bool,
               ) -> list[tuple[Prebuilt, Mapping[str, Any]]]:
    """The statements of ``lock_calls``, for ``fetch_in_turn``: the last one returns the
    (call_sid, fold_token) of the calls' rows."""
    ordered: Mapping[str, Any] = {"sids": sorted(set(call_sids))}
    prebuilt = _prebuilt(conn)
    if conn.dialect.name == "postgresql":  # elsewhere the calls' upsert creates the rows
        return [(prebuilt["lock"], ordered), (prebuilt["lock_rows"], ordered)]
    return [(prebuilt["tokens"], ordered)] if read_tokens else []


def load_summaries(conn: Connection, call_sids: Sequence[str]) -> list[CallSummary]:
    """The ledger's summary of each call's stored events, one SELECT for the whole set."""
    return [f.summary for f in load_folded(conn, call_sids)]


def write_summaries(conn: Connection, summaries: Sequence[CallSummary],
                    written: Mapping[str, CallSummary] | None = None,
                    tokens: Mapping[str, int] | None = None) -> None:
    """Upsert the calls' rows, their attempts and their voicemails, one statement per table.

    ``written``: summaries whose rows the database holds already; only what changed from them
    is written (a job's new events mostly change one attempt of each call). ``tokens``: the
    fold token to write into each call's row (else 0: no fold cache's).
    """
    written, tokens = written or {}, tokens or {}
    prebuilt = _prebuilt(conn)
    calls, attempts, voicemails, pruned = [], [], [], []
    for summary in summaries:
        before = written.get(summary.call_sid)
        call = _call_row(summary)
        if before is None or _call_row(before) != call:
            calls.append({**call, "fold_token": tokens.get(summary.call_sid, 0)})
        old_attempts = set(before.attempts) if before else set()
        attempts += [{"call_sid": summary.call_sid, **vars(a)} for a in summary.attempts
                     if a not in old_attempts]
        old_voicemails = set(before.voicemails) if before else set()
        voicemails += [{"call_sid": summary.call_sid, **vars(v)} for v in summary.voicemails
                       if v not in old_voicemails]
        steps = {a.step for a in summary.attempts}
        if before is None or any(a.step not in steps for a in before.attempts):
            pruned.append(summary)
    tables = ((calls, "calls"), (attempts, "attempts"), (voicemails, "voicemails"))
    executemany_in_turn(conn, [(prebuilt[name], rows) for rows, name in tables if rows])
    if pruned:
        _delete_vanished_attempts(conn, pruned)
    track_rebuilt(conn, summaries, written)


def _call_row(summary: CallSummary) -> dict[str, Any]:
    row = dict(vars(summary))
    del row["attempts"], row["voicemails"]
    return row


def _delete_vanished_attempts(conn: Connection, summaries: Sequence[CallSummary]) -> None:
    """A step stored earlier can vanish from the summary (a dial the caller never heard)."""
    kept = [(s.call_sid, a.step) for s in summaries for a in s.attempts]
    conn.execute(_statements(conn)["delete_steps"],
                 {"sids": [s.call_sid for s in summaries], "kept": kept or [("", -1)]})


def _statements(conn: Connection) -> dict[str, Any]:
    try:
        return _dialect_statements(conn.dialect.name)
    except KeyError:
        name = conn.dialect.name
        raise RuntimeError(f"the call log supports SQLite and PostgreSQL, not {name}") from None


@functools.cache
def _dialect_statements(dialect: str) -> dict[str, Any]:
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


def _prebuilt(conn: Connection) -> dict[str, Prebuilt]:
    """The statements a job runs every time, compiled once for the connection's dialect."""
    _statements(conn)  # the dialect is one the call log supports
    name = conn.dialect.name
    if name not in _PREBUILT:
        _PREBUILT[name] = _compiled_for(name, conn.dialect)
    return _PREBUILT[name]


_PREBUILT: dict[str, dict[str, Prebuilt]] = {}


def _compiled_for(name: str, dialect: Dialect) -> dict[str, Prebuilt]:
    statements = _dialect_statements(name)
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
