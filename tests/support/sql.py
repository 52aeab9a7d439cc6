"""What the call log holds, read with SQL, compared with the calls placed (tests.support.oracle);
a snapshot of every row of it."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from app.storage.models import Attempt, Call, EventRecord, Voicemail
from app.storage.waiting import WaitingCall
from tests.support.calls import PlacedCall
from tests.support.oracle import expected_attempts, expected_events, expected_outcome
from tests.support.waiting import wait_until


@dataclass
class StoredCall:
    outcome: str | None = None
    attempts: list[tuple[str | None, str]] = field(default_factory=list)
    events: Counter[str] = field(default_factory=Counter)


def stored_calls(engine: Engine, call_sids: Sequence[str]) -> dict[str, StoredCall]:
    """The calls, attempts and event counts the log holds for ``call_sids``."""
    found: dict[str, StoredCall] = {}
    with Session(engine) as session:
        for start in range(0, len(call_sids), 400):
            chunk = list(call_sids[start:start + 400])
            for sid, outcome in session.execute(
                    select(Call.call_sid, Call.outcome).where(Call.call_sid.in_(chunk))):
                found.setdefault(sid, StoredCall()).outcome = outcome
            for sid, number, status in session.execute(
                    select(Attempt.call_sid, Attempt.number, Attempt.status)
                    .where(Attempt.call_sid.in_(chunk)).order_by(Attempt.call_sid, Attempt.step)):
                found.setdefault(sid, StoredCall()).attempts.append((number, status))
            for sid, type_, count in session.execute(
                    select(EventRecord.call_sid, EventRecord.type, func.count())
                    .where(EventRecord.call_sid.in_(chunk))
                    .group_by(EventRecord.call_sid, EventRecord.type)):
                found.setdefault(sid, StoredCall()).events[type_] = count
    return found


def log_problems(engine: Engine, calls: Sequence[PlacedCall]) -> list[str]:
    """What the call log gets wrong about ``calls``: [] when every call is there exactly once."""
    stored = stored_calls(engine, [c.result.call_sid for c in calls])
    problems = []
    for placed in calls:
        sid = placed.result.call_sid
        row = stored.get(sid, StoredCall())
        expected = expected_events(placed)
        if any(row.events[t] != n for t, n in expected.items()):
            counted = {t: row.events[t] for t in expected if row.events[t]}
            problems.append(f"{sid}: events {counted} != expected {dict(+expected)}")
        if row.outcome != expected_outcome(placed):
            problems.append(f"{sid}: outcome {row.outcome} != {expected_outcome(placed)}")
        want = expected_attempts(placed)
        got = [(number, status if wanted else None)
               for (number, status), (_, wanted) in zip(row.attempts, want, strict=False)]
        if len(row.attempts) != len(want) or got != want:
            problems.append(f"{sid}: attempts {row.attempts} != expected {want}")
    return problems


class LogIncomplete(AssertionError):
    """The log still differs from the calls; ``settled_after``: seconds until nothing was left
    on the way (None if something still was)."""

    def __init__(self, message: str, settled_after: float | None) -> None:
        super().__init__(message)
        self.settled_after = settled_after


def wait_for_log(engine: Engine, calls: Sequence[PlacedCall], timeout: float,
                 idle: Callable[[], bool] | None = None) -> float:
    """Seconds until the log holds every call exactly as simulated. Fails (LogIncomplete, listing
    the problems) after ``timeout`` s, or once ``idle()`` (nothing on the way) has held 3 s."""
    start = time.monotonic()
    problems: list[str] = []
    idle_since: list[float] = []

    def settled() -> bool:
        problems[:] = log_problems(engine, calls)
        if not problems:
            return True
        if idle is not None and idle():
            idle_since.append(time.monotonic())
            return idle_since[-1] - idle_since[0] >= 3.0
        idle_since.clear()
        return False

    try:
        wait_until(settled, timeout, "the call log", every=0.25)
    except AssertionError as error:
        raise LogIncomplete(f"{error}: {len(problems)} problems, the first: {problems[:5]}",
                            None) from None
    if problems:
        raise LogIncomplete(
            f"the log is incomplete and nothing is left on the way: {len(problems)} problems, "
            f"the first: {problems[:5]}", idle_since[0] - start)
    return time.monotonic() - start


def drain_log(engine: Engine, calls: Sequence[PlacedCall], timeout: float,
              idle: Callable[[], bool] | None = None) -> tuple[float, list[str]]:
    """Like ``wait_for_log``, but returns (seconds until settled, problems left)."""
    start = time.monotonic()
    try:
        return wait_for_log(engine, calls, timeout, idle), []
    except LogIncomplete as incomplete:
        settled = incomplete.settled_after
        return (time.monotonic() - start if settled is None else settled,
                log_problems(engine, calls))


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the log, without surrogate ids and fold tokens (which rebuild wrote a row),
    in a stable order."""
    tables: dict[str, tuple[Any, list[Any]]] = {
        "events": (EventRecord, [EventRecord.key]),
        "calls": (Call, [Call.call_sid]),
        "attempts": (Attempt, [Attempt.call_sid, Attempt.step]),
        "voicemails": (Voicemail, [Voicemail.call_sid, Voicemail.recording_sid]),
        "waiting_calls": (WaitingCall, [WaitingCall.call_sid]),
    }
    result = {}
    with Session(engine) as session:
        for name, (model, order) in tables.items():
            columns = [c for c in model.__table__.columns if c.name not in ("id", "fold_token")]
            result[name] = [tuple(r) for r in session.execute(select(*columns).order_by(*order))]
    return result


def wipe(engine: Engine, tables: tuple[str, ...] = ("waiting_calls", "voicemails", "attempts",
                                                   "calls", "events")) -> None:
    with engine.begin() as conn:
        for table in tables:
            conn.execute(text(f"DELETE FROM {table}"))
