"""The event hand-off tests' helpers: calls as events, a burst of the real event worker, the
keys stored, and waiting for the sink's background thread."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calls import events as ev
from app.cli.worker import run_worker
from app.settings import EVENT_QUEUE
from app.storage import get_engine
from app.storage.models import EventRecord
from tests.support.waiting import wait_until


def call_events(n_calls: int, per_call: int = 6, prefix: str = "CA") -> list[ev.Event]:
    """Calls that start, ring a few legs and end: distinct keys, like the web tier's."""
    events = []
    for c in range(n_calls):
        sid = f"{prefix}{c:0{34 - len(prefix)}d}"
        events.append(ev.make_event(ev.CALL_STARTED, sid, "start", {"from": "+4930", "to": "+49"}))
        for i in range(per_call - 2):
            events.append(ev.make_event(ev.LEG_STATUS, sid, f"leg:{i}",
                                        {"step": 0, "leg_sid": "CL", "status": "ringing"}))
        events.append(ev.make_event(ev.CALL_ENDED, sid, "end", {"call_status": "completed"}))
    return events


def work_events(redis_url: str, spool_path: Path) -> bool:
    """A burst of the real worker in this process, leaving the test's signal handlers as found."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return run_worker(redis_url, [EVENT_QUEUE], burst=True, spool_path=spool_path,
                          migrate=False, logging_level="WARNING")
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def stored_keys(db_url: str) -> list[str]:
    with Session(get_engine(db_url)) as session:
        return list(session.scalars(select(EventRecord.key)))


def wait_for(condition: Callable[[], object], timeout: float = 20.0) -> None:
    wait_until(condition, timeout, "the condition", every=0.02)
