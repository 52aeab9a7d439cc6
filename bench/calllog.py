"""A realistic call log for the console benchmarks: N calls over a year and a bit, with their
attempts, events, voicemails, handled follow-ups and the calls still waiting, written into the
project's own tables.

``python bench/calllog.py --calls 100000 --database-url sqlite:///var/bench.db`` fills a
migrated database: SQLite by bulk inserts (SQLAlchemy core, executemany), PostgreSQL by COPY
(bench/pgcopy.py), the same rows. Seeded: the same arguments give the same log.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `app` and `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Connection, Engine, insert, text  # noqa: E402

from app.calls import events as ev  # noqa: E402
from app.storage import get_engine, upgrade  # noqa: E402
from app.storage.models import Base  # noqa: E402
from bench.pgcopy import copy_batches  # noqa: E402

DAYS = 400
BATCH = 5_000  # calls per transaction
PEOPLE = ("alice", "bob", "dana", "erin", "carol")
HOTLINE_NUMBER = "+493055500100"
CONTRACTS = 50  # acme and globex (the demo's) and 48 more
NUMBERS_PER_CONTRACT = 20
RARE_CALLER = "+493099999999"  # calls a dozen times in the whole log (a caller search's target)
# Outcome mix of a busy hotline: most calls answered, some voicemails and hang-ups.
OUTCOMES = ((ev.OUTCOME_CONNECTED, 0.80), (ev.OUTCOME_VOICEMAIL, 0.08),
            (ev.OUTCOME_ABANDONED, 0.06), (ev.OUTCOME_REJECTED, 0.03),
            (ev.OUTCOME_CALLBACK, 0.01), (ev.OUTCOME_CALLED_BACK, 0.02))
MISSED = (ev.OUTCOME_VOICEMAIL, ev.OUTCOME_ABANDONED, ev.OUTCOME_CALLBACK)
HANDLED_AFTER = timedelta(days=3)  # missed calls older than this were (mostly) called back
TABLES = ("calls", "attempts", "events", "voicemails", "follow_ups", "waiting_calls")


def contract_id(n: int) -> str:
    return ("acme", "globex")[n] if n < 2 else f"c{n:03d}"


def caller_number(contract: int, n: int) -> str:
    return f"+4940{contract:04d}{n:04d}"


@dataclass
class Rows:
    """One batch of rows per table."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    voicemails: list[dict[str, Any]] = field(default_factory=list)
    follow_ups: list[dict[str, Any]] = field(default_factory=list)
    waiting_calls: list[dict[str, Any]] = field(default_factory=list)

    def tables(self) -> list[tuple[str, list[dict[str, Any]]]]:
        """(table, rows) in an order the foreign keys accept."""
        return [("calls", self.calls), ("attempts", self.attempts), ("events", self.events),
                ("voicemails", self.voicemails), ("follow_ups", self.follow_ups),
                ("waiting_calls", self.waiting_calls)]


class CallLog:
    """Calls spread over ``DAYS`` days ending at ``end``, busier in office hours."""

    def __init__(self, calls: int, end: datetime, seed: int = 14) -> None:
        self.total, self.end, self.rng = calls, end, random.Random(seed)
        self.start = end - timedelta(days=DAYS)
        self.step = DAYS * 86_400 / max(1, calls)
        self.outcomes = [o for o, _ in OUTCOMES]
        self.weights = [w for _, w in OUTCOMES]

    def batches(self) -> Iterator[Rows]:
        rows = Rows()
        for i in range(self.total):
            self.add_call(rows, i)
            if len(rows.calls) == BATCH:
                yield rows
                rows = Rows()
        if rows.calls:
            yield rows

    def add_call(self, rows: Rows, i: int) -> None:
        rng = self.rng
        started = self.start + timedelta(seconds=i * self.step + rng.random() * self.step)
        sid = f"CA{i:032x}"
        contract = min(int(rng.paretovariate(1.2)) - 1, CONTRACTS - 1)
        caller = RARE_CALLER if i % max(1, self.total // 12) == 7 else caller_number(
            contract, rng.randrange(NUMBERS_PER_CONTRACT))
        outcome = rng.choices(self.outcomes, self.weights)[0]
        rang = 0 if outcome == ev.OUTCOME_REJECTED else rng.choice((1, 1, 1, 2, 2, 3))
        first = rng.randrange(len(PEOPLE))
        people = [PEOPLE[(first + k) % len(PEOPLE)] for k in range(rang)]
        tta = round(rng.uniform(4, 25) + 20 * (rang - 1), 1) if outcome == ev.OUTCOME_CONNECTED else None
        ended = started + timedelta(seconds=(tta or 30) + rng.uniform(60, 900))
        rows.events.append(_event(ev.CALL_STARTED, sid, "start", started,
                                  {"from": caller, "to": HOTLINE_NUMBER, "caller": caller}))
        rows.events.append(_event(ev.CALL_IDENTIFIED, sid, "id", started,
                                  {"contract": contract_id(contract), "method": "caller_id"}))
        for step, person in enumerate(people, 1):
            answered = outcome == ev.OUTCOME_CONNECTED and step == rang
            status = ev.CONNECTED if answered else ev.NO_ANSWER
            at = started + timedelta(seconds=20 * (step - 1) + 2)
            rows.attempts.append({"call_sid": sid, "step": step, "person": person,
                                  "number": f"+4917000000{PEOPLE.index(person)}", "status": status,
                                  "ring_seconds": 20.0, "talk_seconds": 300 if answered else None,
                                  "started_at": at, "ended_at": at + timedelta(seconds=20)})
            rows.events.append(_event(ev.DIAL_STARTED, sid, f"dial:{step}", at,
                                      {"step": step, "person": person}))
            rows.events.append(_event(ev.DIAL_RESULT, sid, f"result:{step}", at + timedelta(seconds=20),
                                      {"step": step, "person": person, "dial_status": status}))
        if outcome == ev.OUTCOME_VOICEMAIL:
            rows.voicemails.append({"call_sid": sid, "recording_sid": f"RE{i:032x}", "url": None,
                                    "duration": rng.randrange(5, 90), "status": "completed"})
        if outcome in MISSED and started < self.end - HANDLED_AFTER and rng.random() < 0.97:
            rows.follow_ups.append({"call_sid": sid, "handled_at": ended + timedelta(hours=1),
                                    "handled_by": "ann", "note": None})
        elif outcome in MISSED:  # what the storing job would have queued
            rows.waiting_calls.append({"call_sid": sid, "started_at": started})
        rows.events.append(_event(ev.CALL_ENDED, sid, "end", ended,
                                  {"call_status": "completed"}))
        rows.calls.append({
            "call_sid": sid, "caller": caller, "hotline_number": HOTLINE_NUMBER,
            "contract": contract_id(contract), "contract_name": f"Customer {contract}",
            "started_at": started, "ended_at": ended, "outcome": outcome,
            "answered_by": people[-1] if tta is not None else None,
            "time_to_answer_seconds": tta, "identified_by": "caller_id",
            "waited_seconds": tta if tta is not None else round(rng.uniform(20, 90), 1),
            "out_of_hours": started.hour < 7 or started.hour >= 19,
            "fold_token": 0})  # no worker's fold: a late event rebuilds the call


def _event(type_: str, sid: str, suffix: str, at: datetime, data: dict[str, Any]) -> dict[str, Any]:
    return {"key": f"{sid}:{suffix}", "type": type_, "call_sid": sid, "at": at, "data": data}


def fill(engine: Engine, calls: int, end: datetime, by_copy: bool | None = None) -> float:
    """Write ``calls`` calls ending at ``end``; returns the seconds it took. PostgreSQL is
    filled by COPY unless ``by_copy`` is False."""
    began = time.perf_counter()
    postgres = engine.dialect.name == "postgresql"
    batches = (rows.tables() for rows in CallLog(calls, end).batches())
    if postgres and by_copy is not False:
        copy_batches(engine, TABLES, batches)
    else:
        _insert_batches(engine, batches)
    with engine.connect() as conn:
        if postgres:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
            conn.commit()
    return time.perf_counter() - began


def _insert_batches(engine: Engine, batches: Iterable[list[tuple[str, list[dict[str, Any]]]]]) -> None:
    with engine.connect() as conn:
        _fast_sqlite(conn)
        for batch in batches:
            for table, values in batch:
                if values:
                    conn.execute(insert(Base.metadata.tables[table]), values)
            conn.commit()


def _fast_sqlite(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":  # a throwaway log: a crash while filling loses nothing
        raw = conn.connection.dbapi_connection  # before the first statement opens a transaction
        assert raw is not None
        raw.execute("PRAGMA synchronous=OFF")
        raw.execute("PRAGMA cache_size=-200000")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000, help="how many calls (default 100000)")
    parser.add_argument("--database-url", required=True, help="SQLAlchemy URL; migrated first")
    parser.add_argument("--end", default=None, help="the last day, YYYY-MM-DD (default: today)")
    args = parser.parse_args(argv)
    end = (datetime.fromisoformat(args.end).replace(tzinfo=UTC) if args.end
           else datetime.now(UTC))
    upgrade(args.database_url)
    seconds = fill(get_engine(args.database_url), args.calls, end)
    print(f"{args.calls} calls in {seconds:.1f} s ({args.calls / seconds:,.0f} calls/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
