"""Calls placed through the simulator on its own clock, at given local times, and stored: the
material of the SLA tests (tests/jobs, tests/web, tests/browser); the report's times to answer as
a list, and the database's plan of a report query."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import tomli_w
from sqlalchemy import Connection, Engine, Select, event
from sqlalchemy.orm import Session

from app.cli.simulate import for_app
from app.config import HotlineConfig, parse_config
from app.devtools.simulator import Answer, CallerScript, CallResult, NoAnswer, PhoneScript
from app.escalation import build_chain
from app.eventlog.port import MemorySink
from app.settings import Settings
from app.sla.report import SlaReport
from app.storage import store_events
from app.storage.accounts import FollowUp
from app.storage.models import Call
from tests.support.constants import HOTLINE, TEST_CONFIG

BERLIN = ZoneInfo("Europe/Berlin")
ACME, ACME_BLOCKED, GLOBEX = "+49301234567", "+49307654321", "+12125550147"


@dataclass(frozen=True)
class Placed:
    """A call to place at a local wall-clock time: who calls, what each chain step does."""

    name: str
    local: str  # "2026-12-02 10:00" in Europe/Berlin
    caller: str = ACME
    steps: tuple[PhoneScript, ...] = ()
    script: CallerScript = field(default_factory=CallerScript)
    handled_after: timedelta | None = None  # marked handled this long after the call ended

    @property
    def at(self) -> datetime:
        return datetime.fromisoformat(self.local).replace(tzinfo=BERLIN)


def accept(after: float) -> Answer:
    return Answer(press="1", after_seconds=after, talk_seconds=30)


RING_OUT = (NoAnswer(), NoAnswer(), NoAnswer(), NoAnswer())
VOICEMAIL = CallerScript(digits=[None], record_seconds=10, record_key="#")
DECEMBER = (
    Placed("nov-late", "2026-11-30 23:30", steps=(accept(4),)),  # November, locally
    Placed("dec-first", "2026-12-01 00:10", steps=(accept(7),)),  # 23:10 UTC on Nov 30
    Placed("quick", "2026-12-02 10:00", steps=(accept(3),)),
    Placed("second-step", "2026-12-03 11:00", steps=(NoAnswer(), accept(10))),
    Placed("third-step", "2026-12-03 15:00", steps=(NoAnswer(), NoAnswer(), accept(8))),
    Placed("hung-up", "2026-12-04 10:00", script=CallerScript(hangup_after_seconds=12)),
    Placed("voicemail", "2026-12-04 16:00", steps=RING_OUT, script=VOICEMAIL,
           handled_after=timedelta(minutes=30)),
    Placed("saturday-night", "2026-12-05 23:00", steps=(accept(4),)),
    Placed("blocked", "2026-12-06 12:00", caller=ACME_BLOCKED),
    Placed("g-in-hours", "2026-12-02 10:30", caller=GLOBEX, steps=(accept(6),)),
    Placed("g-closed-voicemail", "2026-12-02 20:00", caller=GLOBEX, script=VOICEMAIL,
           handled_after=timedelta(hours=2)),
    Placed("g-emergency", "2026-12-03 21:00", caller=GLOBEX, steps=(accept(5),),
           script=CallerScript(digits=["1"])),
    Placed("g-hung-up", "2026-12-04 11:00", caller=GLOBEX,
           script=CallerScript(hangup_after_seconds=30)),
    Placed("g-voicemail", "2026-12-04 12:00", caller=GLOBEX, steps=RING_OUT, script=VOICEMAIL),
)


def sla_config_text() -> str:
    """The test configuration with ACME's own target (50 % within 45 s) and one of ACME's
    numbers blocklisted; Globex keeps its tier's default (80 % within 120 s, in hours)."""
    data = tomllib.loads(TEST_CONFIG.read_text())
    data["contracts"]["acme"]["sla"] = {"answer_seconds": 45, "answer_percent": 50}
    data.setdefault("security", {})["blocklist"] = [ACME_BLOCKED]
    return tomli_w.dumps(data)


def sla_config() -> HotlineConfig:
    return parse_config(sla_config_text().encode(), source="sla.toml")


def place(settings: Settings, config: HotlineConfig,
          calls: Sequence[Placed] = DECEMBER) -> tuple[list[dict[str, object]], dict[str, CallResult]]:
    """Place ``calls`` in process, the app on the simulator's clock: the events the app
    emitted, and what the simulator saw of each call, by name."""
    sink = MemorySink()
    sim = for_app(settings, config, sink)
    results: dict[str, CallResult] = {}
    for call in calls:
        sim.clock_start = call.at
        plan = build_chain(config.policies[config.line_for(HOTLINE).policy], config.rotations,
                           call.at)
        phones = {config.people[step.person].phone: script
                  for step, script in zip(plan.steps, call.steps, strict=False)}
        results[call.name] = sim.place_call(call.caller, HOTLINE, call.script, phones)
        assert not results[call.name].errors, results[call.name].errors
    return sink.events, results


def store_with_follow_ups(engine: Engine, events: list[dict[str, object]],
                          results: dict[str, CallResult], calls: Sequence[Placed] = DECEMBER) -> None:
    """Store the events, then mark the calls with a ``handled_after`` handled, as the console does."""
    store_events(engine, events)
    with Session(engine) as session:
        for call in calls:
            if call.handled_after is None:
                continue
            sid = results[call.name].call_sid
            ended = session.get_one(Call, sid).ended_at
            assert ended is not None
            session.add(FollowUp(call_sid=sid, handled_at=ended + call.handled_after,
                                 handled_by="ann"))
        session.commit()


def answer_times(report: SlaReport) -> list[float]:
    """The report's times to answer, in order, each to the tenth of a second above it."""
    return [key / 10 for key, calls in sorted(report.answer_histogram.items()) for _ in range(calls)]


def pressed_at(result: CallResult) -> float:
    """When, in seconds from the call's start, the engineer who took it pressed 1."""
    return next(e.at for e in result.events if e.who == result.connected_to and e.kind == "presses"
                and e.text == "1")


def explain(conn: Connection, stmt: Select[Any]) -> str:
    """The database's plan for ``stmt``, with its parameters bound as the report binds them."""
    prefix = "EXPLAIN QUERY PLAN " if conn.dialect.name == "sqlite" else "EXPLAIN "

    def explained(*args: Any) -> tuple[str, Any]:
        return prefix + args[2], args[3]

    event.listen(conn, "before_cursor_execute", explained, retval=True)
    try:
        cursor = conn.execute(stmt).cursor
        assert cursor is not None
        return "\n".join(" ".join(str(v) for v in row) for row in cursor.fetchall())
    finally:
        event.remove(conn, "before_cursor_execute", explained)
