"""An alert's standing for its call webhooks: read from the database within a budget, or not.

The alert-call webhooks answer from the sealed URL alone; only to tell someone who answers a
page late that the alert is already over do they read one row. The read runs in a small pool
of its own and is waited on for at most ``BUDGET``: a slow or unreachable database, or a pool
still busy with earlier reads that hang, gives ``None``, and the webhook answers as if the
alert still fired (docs/decisions/0014-alert-calls-after-ack.md). No customer call comes here.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as Late

from sqlalchemy import Engine

from app.alerts.store import Standing, standing

BUDGET = 0.15  # seconds; a healthy database answers this in a millisecond or two
READERS = 2  # reads that may hang at once; more would only pile up threads
log = logging.getLogger(__name__)

_pool: ThreadPoolExecutor | None = None
_slots = threading.BoundedSemaphore(READERS)
_lock = threading.Lock()


def standing_within(engine: Engine, alert_id: int, budget: float = BUDGET) -> Standing | None:
    """The alert's standing if the database tells it within ``budget`` seconds, else None."""
    if not _slots.acquire(blocking=False):
        return None  # earlier reads still hang: do not add another
    try:
        future = _reader().submit(standing, engine, alert_id)
    except RuntimeError:  # the interpreter is shutting down
        _slots.release()
        return None
    future.add_done_callback(_release)
    try:
        return future.result(timeout=budget)
    except Late:
        log.warning("alert %s: no answer from the database within %.0f ms; the usual prompt",
                    alert_id, budget * 1000)
    except Exception as error:  # whatever the read met, the engineer hears the prompt
        log.warning("alert %s: the database failed (%s); the usual prompt", alert_id,
                    (str(error).splitlines() or [type(error).__name__])[0])
    return None


def _release(_done: Future[Standing | None]) -> None:
    _slots.release()


def _reader() -> ThreadPoolExecutor:
    """The pool, made in the process that serves (never before a fork)."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(READERS, thread_name_prefix="alert-standing")
        return _pool
