"""Rebuilding calls' rows from their events, a set of calls at a time: a few statements per set."""

from __future__ import annotations

import json
import secrets
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection

from app.calls.fold import FoldedCall, fold
from app.calls.ledger import CallSummary
from app.storage import fold_cache
from app.storage.log_statements import prebuilt_for, statements_for
from app.storage.prebuilt import Prebuilt, executemany_in_turn, fetch_in_turn
from app.storage.waiting import track_rebuilt


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
    for row in conn.execute(statements_for(conn)["load"], {"sids": sorted(set(call_sids))}):
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
    prebuilt = prebuilt_for(conn)
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
    prebuilt = prebuilt_for(conn)
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
    conn.execute(statements_for(conn)["delete_steps"],
                 {"sids": [s.call_sid for s in summaries], "kept": kept or [("", -1)]})
