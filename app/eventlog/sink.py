"""The web tier's hand-off of call events: ``emit`` returns at once, a thread does the I/O.

``EventSink.emit`` writes the events to this process's journal on local disk (app/eventlog/
journal.py: a killed process loses none) and to an in-process buffer, and returns: no step of a
live call waits on Redis or the database. A daemon thread, started on first use in each process (so after
gunicorn's fork), drains the buffer in batches, one RQ job per batch and at most one job per
``linger`` seconds: a lone event leaves at once, a storm's events share few jobs (each job
costs the web process and the log worker far more than the events in it). When Redis cannot be
reached the batch goes straight to the shared database (``store``), and to the local spool file
only when the database is out of reach too: a host that dies keeps nothing the others need. The
thread probes Redis with backoff and replays the spool once it answers. A batch that fails in
any other way goes back to the front of the buffer, still in the journal, and leaves again
after a pause.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from rq import Queue

from app.eventlog import journal, spool
from app.eventlog.queueing import REDIS_DOWN, Event, connect, enqueue_batch, event_queue
from app.settings import EVENT_QUEUE, default_spool_path, var_dir
from app.telemetry.series import EVENT_REDIS_FAILURES, EVENTS_BUFFERED, EVENTS_REPLAYED, handed_off

log = logging.getLogger(__name__)

SPOOL_AFTER_FAILURES = 3  # tries of a batch failing in an unexpected way before it is spooled

# Stores a batch in the database; returns the events the workers must still see once Redis is
# back (those that call for a notification: the storing job queues it).
Store = Callable[[list[Event]], list[Event]]


def replay_spool(spool_path: str | Path, redis_url: str, queue_name: str = EVENT_QUEUE) -> int:
    """Queue every spooled event (one job per batch); returns how many events were queued."""
    queue = event_queue(connect(redis_url), queue_name)
    return spool.replay(Path(spool_path), lambda batch: enqueue_batch(queue, batch))


class EventSink:
    """Events to RQ through a background thread, to the spool while Redis is away."""

    def __init__(
        self,
        redis_url: str,
        queue_name: str = EVENT_QUEUE,
        spool_path: str | Path | None = None,
        *,
        batch_size: int = 200,
        linger: float = 0.2,
        max_backoff: float = 30.0,
        store: Store | None = None,
        journal_dir: str | Path | None = None,
    ) -> None:
        self.redis_url = redis_url
        self.store = store
        self.queue_name = queue_name
        self.spool_path = Path(spool_path) if spool_path else default_spool_path()
        self.journal_dir = Path(journal_dir) if journal_dir else var_dir() / "journal"
        self.batch_size = batch_size
        self.linger = linger
        self.max_backoff = max_backoff
        self._start_fresh()

    def _start_fresh(self) -> None:
        """State for this process: a forked child keeps nothing of its parent's thread."""
        for inherited in [getattr(self, "_journal", None), *getattr(self, "_retired", [])]:
            if inherited is not None:
                os.close(inherited.fd)  # the parent's lock stays with the parent
        self._journal: journal.JournalFile | None = None
        self._retired: list[journal.JournalFile] = []  # handed on once the batch in flight is
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._settled = threading.Condition(self._lock)
        self._buffer: deque[Event] = deque()
        self._in_flight = 0
        self._thread: threading.Thread | None = None
        self._queue: Queue | None = None
        self._backoff = 0.0
        self._next_probe = 0.0  # while Redis is away: when to try it again
        self._store_backoff = 0.0
        self._next_store = 0.0  # while the database is away too: when to try it again
        self._retry_backoff = 0.0  # after a batch failed in a way none of the above expects
        self._failures = 0  # tries of the batch at the front that failed that way
        self._replay_after = 0.0  # after the spool's replay failed that way: when to try again
        self._taken_at = -self.linger  # when the last batch left the buffer

    def emit(self, events: list[Event]) -> None:
        """Take the events for logging and return at once."""
        if self._pid != os.getpid():
            self._start_fresh()
        payload = journal.encode(events)
        with self._lock:
            if payload:
                self._write_journal(payload)
            self._buffer.extend(events)
            if self._thread is None:
                self._start_thread()
            self._arrived.notify()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every emitted event is queued or spooled; False if time ran out first."""
        if self._pid != os.getpid():
            return True
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._buffer or self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0 or self._thread is None or not self._thread.is_alive():
                    return False
                self._settled.wait(left)
        return True

    @property
    def redis_down(self) -> bool:
        return self._backoff > 0

    def resume(self) -> None:
        """Start the thread now: it hands on what a process before this one left (a restart)."""
        self.emit([])

    def _write_journal(self, payload: bytes) -> None:
        try:
            if self._journal is None:
                self._journal = journal.JournalFile(self.journal_dir)
            self._journal.write(payload)
        except OSError as error:  # a full disk must not fail the call: the buffer has them
            log.error("event sink: journal not written (%s)", error)

    def _start_thread(self) -> None:
        self._thread = threading.Thread(target=self._run, name="hotline-event-sink", daemon=True)
        self._thread.start()
        atexit.register(self.flush, 5.0)

    def _run(self) -> None:
        batch: list[Event] = []  # the first round replays what an earlier process left
        try:
            if adopted := journal.adopt(self.journal_dir, self.emit):
                log.info("event sink: %d events from the journal of a process that died", adopted)
        except OSError:
            log.exception("event sink: could not read the journal of a process that died")
        while True:
            try:
                if batch:
                    self._ship(batch)
                    self._retry_backoff, self._failures = 0.0, 0
                    batch = []  # handed on: what fails from here on is not the batch's
                    while self._retired:
                        self._retired.pop().discard()
                if (self.redis_down or spool.pending(self.spool_path)) and \
                        time.monotonic() >= self._replay_after:
                    self._replay()
            except Exception:  # the thread must outlive any surprise
                if batch:
                    log.exception("event sink: could not queue or spool events %s; trying again",
                                  [e.get("key") for e in batch])
                    self._put_back(batch)
                else:
                    log.exception("event sink: could not replay the spool or delete a journal file")
                    self._replay_after = time.monotonic() + self.max_backoff
            with self._lock:
                self._in_flight = 0
                self._settled.notify_all()
            batch = self._next_batch()

    def _next_batch(self) -> list[Event]:
        with self._lock:
            if not self._buffer:
                wait = max(0.05, self._next_probe - time.monotonic()) if self.redis_down else 5.0
                self._arrived.wait(wait)
            if not self._buffer:
                return []
        pause = self._taken_at + self.linger - time.monotonic()
        if pause > 0:
            time.sleep(pause)  # the rest of a burst joins this batch
        with self._lock:
            count = min(len(self._buffer), self.batch_size)
            self._in_flight = count
            self._taken_at = time.monotonic()
            batch = [self._buffer.popleft() for _ in range(count)]
            EVENTS_BUFFERED.set(len(self._buffer))  # here, not in emit: webhooks count nothing
            if not self._buffer and self._journal is not None:
                self._retired.append(self._journal)  # all in it is in this batch or shipped
                self._journal = None
            return batch

    def _put_back(self, batch: list[Event]) -> None:
        """The batch to the front of the buffer, whole in the next batch: the journal files that
        hold it (current, or retired and kept) are deleted only once it is handed on. After
        ``SPOOL_AFTER_FAILURES`` tries it goes to the spool instead, so that one batch that
        cannot leave does not hold back every event after it."""
        self._failures += 1
        if self._failures >= SPOOL_AFTER_FAILURES and self._spooled(batch):
            return
        with self._lock:
            self._buffer.extendleft(reversed(batch))
        self._retry_backoff = min(self.max_backoff, max(0.25, self._retry_backoff * 2))
        time.sleep(self._retry_backoff)  # a batch that keeps failing must not spin

    def _spooled(self, batch: list[Event]) -> bool:
        try:
            spool.append(self.spool_path, batch)
        except OSError:
            log.exception("event sink: could not spool events %s either", [e.get("key") for e in batch])
            return False
        log.error("event sink: spooled events %s after %d failed tries; the spool is replayed"
                  " with the next ones", [e.get("key") for e in batch], self._failures)
        self._failures = 0
        while self._retired:
            self._retired.pop().discard()
        return True

    def _ship(self, batch: list[Event]) -> None:
        if self._waiting_for_redis():
            self._without_redis(batch)
            return
        try:
            enqueue_batch(self._event_queue(), batch)
        except REDIS_DOWN as error:
            self._went_down(error)
            self._without_redis(batch)
            return
        self._backoff = 0.0

    def _replay(self) -> None:
        if self._waiting_for_redis():
            return
        queue = self._event_queue()
        try:
            if self.redis_down:
                queue.connection.ping()
            count = spool.replay(self.spool_path, lambda batch: enqueue_batch(queue, batch))
        except REDIS_DOWN as error:
            self._went_down(error)
            return
        self._backoff = 0.0
        if count:
            EVENTS_REPLAYED.inc(count)
            log.info("event sink: replayed %d spooled events", count)

    def _without_redis(self, batch: list[Event]) -> None:
        """Into the shared database; to the spool only what it cannot take or must pass on."""
        if self.store is None or time.monotonic() < self._next_store:
            spool.append(self.spool_path, batch)
            return
        try:
            follow_ups = self.store(batch)
            handed_off("database", len(batch))
        except Exception as error:  # out of reach, or refusing: either way the spool keeps it
            spool.append(self.spool_path, batch)
            if not self._store_backoff:
                log.warning("event sink: database unreachable too (%s); spooling to %s",
                            str(error).splitlines()[0] if str(error) else error, self.spool_path)
            self._store_backoff = min(self.max_backoff, max(0.25, self._store_backoff * 2))
            self._next_store = time.monotonic() + self._store_backoff
            return
        self._store_backoff = 0.0
        if follow_ups:
            spool.append(self.spool_path, follow_ups)

    def _waiting_for_redis(self) -> bool:
        return self.redis_down and time.monotonic() < self._next_probe

    def _went_down(self, error: BaseException) -> None:
        EVENT_REDIS_FAILURES.inc()
        if not self.redis_down:
            log.warning("event sink: Redis unreachable (%s); spooling to %s", error,
                        self.spool_path)
        self._backoff = min(self.max_backoff, max(0.25, self._backoff * 2))
        self._next_probe = time.monotonic() + self._backoff

    def _event_queue(self) -> Queue:
        if self._queue is None:  # made in the thread, so each process has its own connection
            self._queue = event_queue(connect(self.redis_url), self.queue_name)
        return self._queue

