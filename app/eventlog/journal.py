"""The web process's journal: each emitted event on local disk before the webhook answers.

``emit`` writes the events to this process's journal file (a ``write``, no fsync: it survives
the process, not the machine) before they wait in memory for the hand-off thread. When a batch
empties the buffer the journal moves on to a fresh file, and the old one is deleted once that
batch is queued, stored or spooled. Each file is held under ``flock`` by its process: a file
nobody holds belongs to a process that died, and the next process to start hands its events on
(the persisting job stores each event once by key, so events handed on twice are harmless).
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path
from typing import Any

from app.eventlog import spool

Event = dict[str, Any]


class JournalFile:
    """One file of the journal, open for appending and locked by this process."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.path = folder / f"{os.getpid()}-{time.time_ns()}.jsonl"
        self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def write(self, payload: bytes) -> None:
        view = memoryview(payload)
        while view:
            view = view[os.write(self.fd, view):]

    def discard(self) -> None:
        """Everything in it was handed on: delete it."""
        self.path.unlink(missing_ok=True)
        os.close(self.fd)


def encode(events: list[Event]) -> bytes:
    return b"".join(json.dumps(e, separators=(",", ":")).encode() + b"\n" for e in events)


def orphans(folder: Path) -> list[tuple[Path, int]]:
    """Files whose process died, each locked now by this one: (path, fd) to read and discard."""
    taken = []
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)  # its process is alive
            continue
        if not path.exists():  # another process took it over and finished meanwhile
            os.close(fd)
            continue
        taken.append((path, fd))
    return taken


def adopt(folder: Path, hand_on: Any) -> int:
    """Hand the events of dead processes' files to ``hand_on(events)``; how many events."""
    count = 0
    for path, fd in orphans(folder):
        try:
            events = spool.read(path)
            if events:
                hand_on(events)
            path.unlink(missing_ok=True)
            count += len(events)
        finally:
            os.close(fd)
    return count
