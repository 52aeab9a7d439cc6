"""Configuration reload: a good file is applied live, a broken one keeps the last good running."""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

import pytest

from app.config import ConfigError
from app.devtools.simulator import Answer, FlaskClientTransport, Simulator
from app.eventlog.port import MemorySink
from app.storage.overrides import OverrideCache
from app.web import create_app
from tests.support.constants import ACCOUNT_SID, ACME, AUTH_TOKEN, DANA, HOTLINE, NOW, TEST_CONFIG


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "hotline.toml"
    path.write_text(TEST_CONFIG.read_text())
    return path


def boot(settings, config_file: Path):  # type: ignore[no-untyped-def]
    return create_app(dataclasses.replace(settings, config_path=config_file), sink=MemorySink(),
                      clock=lambda: NOW, overrides=OverrideCache(None), TESTING=True)


def greeting_heard(app) -> str:  # type: ignore[no-untyped-def]
    sim = Simulator(FlaskClientTransport(app.test_client()), AUTH_TOKEN, account_sid=ACCOUNT_SID,
                    voice_url="http://hotline.test/voice", clock_start=NOW)
    return sim.place_call(ACME, HOTLINE, phones={DANA: Answer(press="1")}).caller_heard[0]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # a visible change


def test_a_valid_change_is_applied_to_the_next_call(settings, config_file: Path) -> None:  # type: ignore[no-untyped-def]
    app = boot(settings, config_file)
    assert greeting_heard(app) == "Hello ACME. Connecting you to our on-call engineer."
    edit(config_file, 'name = "ACME"', 'name = "ACME Industries"')
    assert app.extensions["hotline"].watcher.check()
    assert greeting_heard(app) == "Hello ACME Industries. Connecting you to our on-call engineer."


def test_a_broken_change_keeps_the_last_good_configuration(settings, config_file: Path) -> None:  # type: ignore[no-untyped-def]
    app = boot(settings, config_file)
    edit(config_file, 'tier = "24/7"', 'tier = "gold"')
    assert not app.extensions["hotline"].watcher.check()
    assert greeting_heard(app) == "Hello ACME. Connecting you to our on-call engineer."
    health = app.test_client().get("/healthz")
    assert health.status_code == 200 and "contracts.acme.tier" in health.text
    edit(config_file, 'tier = "gold"', 'tier = "24/7"')
    app.extensions["hotline"].watcher.check()
    assert app.test_client().get("/healthz").text == "ok"


def test_a_worker_started_while_the_file_is_broken_uses_the_snapshot(settings, config_file: Path) -> None:  # type: ignore[no-untyped-def]
    boot(settings, config_file)  # a good start leaves the snapshot
    edit(config_file, 'pin = "4711"', 'pin = "47"')
    restarted = boot(settings, config_file)
    assert restarted.extensions["hotline"].config_errors
    assert greeting_heard(restarted) == "Hello ACME. Connecting you to our on-call engineer."


def test_without_a_snapshot_an_invalid_file_refuses_to_start(settings, config_file: Path) -> None:  # type: ignore[no-untyped-def]
    edit(config_file, 'pin = "4711"', 'pin = "47"')
    with pytest.raises(ConfigError, match="contracts.acme.pin"):
        boot(settings, config_file)


def test_the_watcher_thread_picks_up_changes(settings, config_file: Path) -> None:  # type: ignore[no-untyped-def]
    app = boot(settings, config_file)
    watcher = app.extensions["hotline"].watcher
    watcher.interval = 0.05
    watcher._pid = 0
    watcher.start()
    edit(config_file, 'name = "ACME"', 'name = "ACME Labs"')
    deadline = time.monotonic() + 5
    while app.extensions["hotline"].config.contracts["acme"].name != "ACME Labs":
        assert time.monotonic() < deadline
        time.sleep(0.02)
