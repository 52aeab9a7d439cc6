"""Configuration reload: a good file is applied live, a broken one keeps the last good running."""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

import pytest

from app.config import ConfigError
from app.config.reload import load_with_snapshot
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
    assert any("contracts.acme.tier" in e for e in app.extensions["hotline"].config_errors)
    health = app.test_client().get("/healthz")
    assert health.status_code == 200 and "not applied" in health.text
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


def test_a_snapshot_stands_in_only_for_the_file_it_was_taken_from(  # type: ignore[no-untyped-def]
        settings, tmp_path: Path, config_file: Path) -> None:
    boot(settings, config_file)  # file A ran once and left its snapshot
    other = tmp_path / "other" / config_file.name  # file B: same name, one mistake
    other.parent.mkdir()
    other.write_text(config_file.read_text().replace('pin = "4711"', 'pin = "47"'))
    with pytest.raises(ConfigError, match="contracts.acme.pin"):
        boot(settings, other)


def test_a_snapshot_that_no_longer_loads_gives_the_files_own_errors(settings, config_file: Path) -> None:  # type: ignore[no-untyped-def]
    boot(settings, config_file)
    snapshots = list(Path(os.environ["HOTLINE_VAR_DIR"]).glob("last-good-config*"))
    assert len(snapshots) == 1
    snapshots[0].write_text("[hotline]\nname = 1\n")  # say, a key an upgrade no longer accepts
    edit(config_file, 'pin = "4711"', 'pin = "47"')
    with pytest.raises(ConfigError, match=f"{config_file}: contracts.acme.pin"):
        boot(settings, config_file)


def test_healthz_tells_nobody_the_path_or_the_rejected_value(settings, config_file: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    app = boot(settings, config_file)
    edit(config_file, 'pin = "4711"', 'pin = "98"')
    assert not app.extensions["hotline"].watcher.check()
    health = app.test_client().get("/healthz")
    assert health.status_code == 200
    assert health.text == "ok, but the configuration file was not applied: see the log or the admin console"
    assert "contracts.acme.pin" in caplog.text and "'98'" in caplog.text  # the log has it all
    assert str(config_file) in caplog.text


def test_the_console_shows_signed_in_users_that_the_file_was_not_applied(  # type: ignore[no-untyped-def]
        console, as_admin, as_viewer, config_file: Path) -> None:
    edit(config_file, 'pin = "4711"', 'pin = "98"')
    with pytest.raises(ConfigError) as broken:
        load_with_snapshot(config_file)  # what the watcher reports, in the same words
    console.extensions["hotline"].config_errors = str(broken.value).splitlines()
    banner = "The configuration file was not applied"
    admin_page = as_admin.get("/admin/calls").text
    assert banner in admin_page and "contracts.acme.pin" in admin_page
    assert str(config_file) in admin_page
    viewer_page = as_viewer.get("/admin/calls").text
    assert banner in viewer_page and "'98'" not in viewer_page  # the PIN is for admins only
    assert banner not in console.test_client().get("/admin/login").text
    console.extensions["hotline"].config_errors = []
    assert banner not in as_admin.get("/admin/calls").text
