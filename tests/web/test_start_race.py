"""Web workers booting at once: none fails, whichever writes the configuration's snapshot first."""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from app.config.reload import snapshot_path
from app.eventlog.port import MemorySink
from app.settings import Settings
from app.storage.overrides import OverrideCache
from app.web import create_app
from tests.support.constants import TEST_CONFIG

WORKERS, ROUNDS = 8, 10


def boot_worker(settings: Settings, var_dir: Path, barrier, results) -> None:  # type: ignore[no-untyped-def]
    """One gunicorn worker's start: build the app once every worker is ready."""
    os.environ["HOTLINE_VAR_DIR"] = str(var_dir)
    barrier.wait(60)
    try:
        create_app(settings, sink=MemorySink(), overrides=OverrideCache(None), TESTING=True)
    except BaseException as exc:  # gunicorn: "Worker failed to boot", and the master exits
        results.put(repr(exc))
    else:
        results.put("")


def boot_at_once(settings: Settings, var_dir: Path, workers: int) -> list[str]:
    """Start ``workers`` processes on one var folder at the same instant; their failures."""
    # Forked, as gunicorn forks its workers, but from a server process without threads: a lock
    # some thread of this test process holds (stderr's) would stay locked in a forked child.
    # The server imports what a start would (the slow part, not the race) once, for all rounds.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["app.web", "sqlite3", "holidays.countries", __name__])
    barrier, results = context.Barrier(workers), context.Queue()
    processes = [context.Process(target=boot_worker, args=(settings, var_dir, barrier, results),
                                 daemon=True) for _ in range(workers)]
    for process in processes:
        process.start()
    try:
        outcomes = [results.get(timeout=120) for _ in processes]
    finally:
        for process in processes:
            process.join(30)
            if process.is_alive():
                process.kill()
    return [outcome for outcome in outcomes if outcome]


def test_workers_booting_at_once_all_start(settings: Settings, tmp_path: Path) -> None:
    config_file = tmp_path / "hotline.toml"
    config_file.write_bytes(TEST_CONFIG.read_bytes())
    settings = dataclasses.replace(settings, config_path=config_file)
    failed, snapshots = {}, []
    for round_ in range(ROUNDS):
        var_dir = tmp_path / f"var-{round_}"  # a first start, every round
        if failures := boot_at_once(settings, var_dir, WORKERS):
            failed[round_] = failures
        snapshots += var_dir.glob("last-good-config*")
        assert list(var_dir.glob(".last-good-config*")) == []  # no temporary file left behind
    assert not failed, f"{len(failed)} of {ROUNDS} starts had a worker fail: {failed}"
    assert len(snapshots) == ROUNDS  # one per start
    assert {p.read_bytes() for p in snapshots} == {config_file.read_bytes()}
    assert {stat.S_IMODE(p.stat().st_mode) for p in snapshots} == {0o600}


def test_a_start_does_not_depend_on_writing_the_snapshot(
        settings: Settings, var_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    in_the_way = snapshot_path(settings.config_path)
    in_the_way.mkdir(parents=True)  # a folder where the file should go: writing it fails
    with caplog.at_level(logging.ERROR, logger="app.config.reload"):
        app = create_app(settings, sink=MemorySink(), overrides=OverrideCache(None), TESTING=True)
    assert app.test_client().get("/healthz").text == "ok"
    assert f"could not keep the last good copy of {settings.config_path}" in caplog.text
    assert list(var_dir.glob("*last-good-config*")) == [in_the_way]  # no temporary file left
