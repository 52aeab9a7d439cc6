"""The last good configuration's snapshot: written whole and private by racing processes."""

from __future__ import annotations

import multiprocessing
import os
import stat
from pathlib import Path

from app.config.reload import keep_snapshot
from tests.support.constants import TEST_CONFIG

PROCESSES, CALLS = 8, 300


def keep_many(path: Path, var_dir: Path, barrier, results) -> None:  # type: ignore[no-untyped-def]
    """One process: ``CALLS`` snapshots as fast as it can, once all processes are ready."""
    os.environ["HOTLINE_VAR_DIR"] = str(var_dir)
    barrier.wait(60)
    failures = []
    for _ in range(CALLS):
        try:
            if keep_snapshot(path) is False:
                failures.append("not written")
        except Exception as exc:  # what a worker would have died of
            failures.append(repr(exc))
    results.put(failures)


def race(path: Path, var_dir: Path, processes: int) -> list[str]:
    """Run ``keep_many`` in ``processes`` processes at once; every failure they saw."""
    # From a server process without threads: a forked copy of this one could inherit a lock.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["app.config.reload", __name__])
    barrier, results = context.Barrier(processes), context.Queue()
    started = [context.Process(target=keep_many, args=(path, var_dir, barrier, results),
                               daemon=True) for _ in range(processes)]
    for process in started:
        process.start()
    try:
        failures = [failure for _ in started for failure in results.get(timeout=120)]
    finally:
        for process in started:
            process.join(30)
            if process.is_alive():
                process.kill()
    assert [process.exitcode for process in started] == [0] * processes
    return failures


def test_processes_racing_to_keep_the_snapshot_all_succeed(tmp_path: Path, var_dir: Path) -> None:
    source = tmp_path / "hotline.toml"
    source.write_bytes(TEST_CONFIG.read_bytes())
    failures = race(source, var_dir, PROCESSES)
    assert failures == [], f"{len(failures)} of {PROCESSES * CALLS} failed, e.g. {failures[:3]}"
    assert list(var_dir.glob(".last-good-config*")) == []  # no temporary file left behind
    (snapshot,) = var_dir.glob("last-good-config*")
    assert snapshot.read_bytes() == source.read_bytes()
    assert stat.S_IMODE(snapshot.stat().st_mode) == 0o600  # it holds the contracts' PINs


def test_the_snapshot_is_private_even_when_it_replaces_an_older_one(tmp_path: Path, var_dir: Path) -> None:
    source = tmp_path / "hotline.toml"
    source.write_bytes(TEST_CONFIG.read_bytes())
    previous = os.umask(0o022)  # the usual umask: new files readable by all
    try:
        keep_snapshot(source)
        (snapshot,) = var_dir.glob("last-good-config*")
        snapshot.chmod(0o644)  # as an older version left it
        keep_snapshot(source)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(snapshot.stat().st_mode) == 0o600
