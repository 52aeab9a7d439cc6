"""The spool: an append-only JSON-lines file that keeps events while Redis is out of reach.

Several processes (web workers) may append at once and several may replay. A replay first renames
the file, so new appends start a fresh one; it reads the renamed file under an exclusive lock and
deletes it only once every line has been queued. A process that dies midway leaves the renamed
file behind, and the next replay takes it again: events may be queued twice, never lost, and the
persisting job is idempotent by key.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.telemetry.series import handed_off

log = logging.getLogger(__name__)

Event = dict[str, Any]
REPLAY_BATCH = 200


def append(path: Path, events: list[Event]) -> None:
    """Append the events, one JSON line each, and fsync before returning."""
    payload = b"".join(json.dumps(e, separators=(",", ":")).encode() + b"\n" for e in events)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # the events are this user's
    while True:
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if not _is_current(path, fd):  # a replay renamed it away meanwhile: use the new one
                continue
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                payload = b"\n" + payload  # a writer died mid-line: keep our first line whole
            _write_all(fd, payload)
            os.fsync(fd)
            handed_off("spool", len(events))
            if size == 0:
                _fsync_dir(path.parent)
            return
        finally:
            os.close(fd)


def replay(path: Path, enqueue: Callable[[list[Event]], object],
           batch_size: int = REPLAY_BATCH) -> int:
    """Hand every spooled event to ``enqueue`` in batches; returns how many events were handed.

    If ``enqueue`` raises, the file being replayed stays for the next attempt, the other files
    are still replayed (one that keeps failing holds back no other), and the first error
    propagates at the end.
    """
    claimed = path.with_name(f"{path.name}.{os.getpid()}-{time.time_ns()}.replay")
    try:
        os.rename(path, claimed)
    except FileNotFoundError:
        pass
    handed, failed = 0, None
    for found in sorted(path.parent.glob(f"{path.name}.*.replay")):
        try:
            handed += _replay_file(found, enqueue, batch_size)
        except Exception as error:  # raised below, after the other files
            failed = failed or error
    if failed is not None:
        raise failed
    return handed


def pending(path: Path) -> bool:
    """Whether anything waits in the spool (the live file or an unfinished replay)."""
    return path.exists() or any(path.parent.glob(f"{path.name}.*.replay"))


def read(path: Path) -> list[Event]:
    """The events in one spool file; a torn line (a writer killed mid-write) is skipped."""
    events = []
    for number, line in enumerate(path.read_bytes().splitlines(), 1):
        if not line.strip():
            continue
        try:
            events.append(json.loads(line))
        except ValueError:
            log.warning("skipping unreadable line %d of the event spool %s", number, path)
    return events


def _replay_file(path: Path, enqueue: Callable[[list[Event]], object], batch_size: int) -> int:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return 0  # another process finished it
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return 0  # another process is replaying it, or a writer is still appending
        if not _is_current(path, fd):
            return 0
        events = read(path)
        for start in range(0, len(events), batch_size):
            enqueue(events[start:start + batch_size])
        path.unlink()
        return len(events)
    finally:
        os.close(fd)


def _is_current(path: Path, fd: int) -> bool:
    """Whether ``path`` still names the file open as ``fd``."""
    try:
        named = os.stat(path)
    except FileNotFoundError:
        return False
    opened = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
