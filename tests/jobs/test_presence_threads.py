"""Presence under a threaded web worker: requests that arrive together in a fresh process start
one sync thread, not several (two would each apply and drop the same queued write, and lose the
next one: a release lost keeps an engineer "busy" until the TTL), and no request's change to
this process's view overwrites another's."""

from __future__ import annotations

import subprocess
import sys

from tests.support.constants import REPO

# Run in a child process: every Presence keeps its daemon thread for the life of the process.
FIRST_USE_RACE = """
import sys, threading
from app.guard.presence import Presence

sys.setswitchinterval(1e-6)  # switch threads as often as possible: the race shows at once
started_twice = 0
for _ in range(600):
    before = sum(t.name == "hotline-presence" for t in threading.enumerate())
    presence = Presence("redis://127.0.0.1:9/0", 60, refresh_seconds=30)
    gate = threading.Barrier(8)

    def first_use() -> None:
        gate.wait()
        presence.busy("alice")

    requests = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in requests:
        thread.start()
    for thread in requests:
        thread.join()
    after = sum(t.name == "hotline-presence" for t in threading.enumerate())
    started_twice += after - before > 1
print(started_twice)
"""

LOST_UPDATE_RACE = """
import os, sys, threading
from app.guard.presence import Presence

sys.setswitchinterval(1e-6)
lost = 0
for _ in range(300):
    presence = Presence("redis://127.0.0.1:9/0", 60, refresh_seconds=30)
    presence._pid = os.getpid()  # no sync thread (it would replace the view): the requests only
    gate = threading.Barrier(8)

    def engage(i: int) -> None:
        gate.wait()
        presence.write(("engaged", f"person{i}", f"CA{i}"))

    requests = [threading.Thread(target=engage, args=(i,)) for i in range(8)]
    for thread in requests:
        thread.start()
    for thread in requests:
        thread.join()
    lost += sum(not presence.busy(f"person{i}") for i in range(8)) > 0
print(lost)
"""


def run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                            text=True, timeout=120, check=True)
    return result.stdout.strip()


def test_concurrent_first_use_starts_one_sync_thread() -> None:
    started_twice = run(FIRST_USE_RACE)
    assert started_twice == "0", f"{started_twice} of 600 presences started 2+ threads"


def test_concurrent_changes_all_stay_in_this_process_view() -> None:
    lost = run(LOST_UPDATE_RACE)
    assert lost == "0", f"{lost} of 300 rounds of 8 simultaneous engagements lost one"
