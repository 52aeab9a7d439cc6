"""The process side: embedded Redis, `hotline run` and `worker`, the deployment files."""

from __future__ import annotations

import os
import re
import runpy
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import redis
import yaml
from click.testing import CliRunner
from gunicorn.config import Config
from sqlalchemy import create_engine, inspect

from app.cli.run import run_command
from app.cli.worker import worker_command
from app.devtools.embedded_redis import EmbeddedRedisError, free_port, start_embedded_redis
from tests.support.constants import REPO
from tests.support.hotline_run import (
    HOTLINE,
    HotlineRun,
    alive,
    children,
    cmdline,
    descendants,
    env_for,
    wait_healthy,
)
from tests.support.postgres import start_postgres

# --- embedded Redis ---------------------------------------------------------------------------

def test_embedded_redis_is_a_real_server_with_aof_that_survives_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "redis"
    with start_embedded_redis(data, preferred_port=free_port()) as server:
        client = redis.Redis.from_url(server.url)
        assert client.info("server")["tcp_port"] == server.port
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        assert client.config_get("appendfsync") == {"appendfsync": "everysec"}
        client.rpush("rq:queue:hotline-events", "job-1", "job-2")
        client.close()
        pid = server.process.pid
    assert server.process.returncode == 0
    assert not alive(pid)
    with start_embedded_redis(data, preferred_port=free_port()) as again:
        client = redis.Redis.from_url(again.url)
        assert client.lrange("rq:queue:hotline-events", 0, -1) == [b"job-1", b"job-2"]
        client.close()


def test_embedded_redis_takes_another_port_when_the_preferred_one_is_busy(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        with start_embedded_redis(tmp_path / "redis", preferred_port=taken) as server:
            assert server.port != taken
            client = redis.Redis.from_url(server.url)
            assert client.ping()
            client.close()


def test_one_data_dir_serves_one_embedded_redis_at_a_time(tmp_path: Path) -> None:
    with start_embedded_redis(tmp_path / "redis", preferred_port=free_port()):
        with pytest.raises(EmbeddedRedisError, match="already running"):
            start_embedded_redis(tmp_path / "redis", preferred_port=free_port())


# --- hotline run ------------------------------------------------------------------------------

def test_hotline_run_serves_and_stops_everything_on_sigterm(tmp_path: Path) -> None:
    with HotlineRun(tmp_path) as (process, port, log):
        wait_healthy(process, port, log)
        output = log.read_text()
        assert f"listening on http://127.0.0.1:{port}" in output  # loopback unless told
        assert "hotline simulate" in output
        redis_url = re.search(r"Redis: +(redis://\S+)", output)
        assert redis_url, output
        password = (tmp_path / "var" / "embedded-redis-password").read_text().strip()
        client = redis.Redis.from_url(redis_url.group(1).replace("***", password))
        assert Path(str(client.config_get("dir")["dir"])) == tmp_path / "var" / "redis"
        client.close()
        family = descendants(process.pid)
        assert len(family) >= 5, family  # gunicorn master + 2 workers, a log worker, Redis

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=45) == 0, log.read_text()
        assert [pid for pid in family if alive(pid)] == []
        assert "Traceback" not in log.read_text()


def test_hotline_run_stops_everything_when_a_child_dies(tmp_path: Path) -> None:
    with HotlineRun(tmp_path) as (process, port, log):
        wait_healthy(process, port, log)
        family = descendants(process.pid)
        web = next(pid for pid in children(process.pid) if "gunicorn" in cmdline(pid))
        os.kill(web, signal.SIGKILL)

        assert process.wait(timeout=45) == 1
        assert f"web (pid {web}) was killed by SIGKILL; stopping everything" in log.read_text()
        assert [pid for pid in family if alive(pid)] == []


def test_hotline_run_refuses_a_port_in_use() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(run_command, ["--port", str(port)])
    assert result.exit_code == 1
    assert f"port {port} is in use" in result.output


# --- hotline worker, hotline migrate ----------------------------------------------------------

def test_worker_without_redis_url_says_how_to_get_one() -> None:
    result = CliRunner().invoke(worker_command, [], env={"REDIS_URL": None})
    assert result.exit_code == 2
    assert "REDIS_URL is not set" in result.output


def test_worker_burst_drains_the_queue_and_exits(tmp_path: Path) -> None:
    with start_embedded_redis(tmp_path / "redis", preferred_port=free_port()) as server:
        env = env_for(tmp_path) | {"REDIS_URL": server.url}
        done = subprocess.run(
            [str(HOTLINE), "worker", "--burst"], env=env, cwd=tmp_path,
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr


def test_migrate_as_deployed_creates_the_schema(tmp_path: Path) -> None:
    from app.cli import main

    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    result = CliRunner().invoke(main, ["migrate"], env={"DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    engine = create_engine(url)
    assert "alembic_version" in inspect(engine).get_table_names()
    engine.dispose()


@pytest.mark.postgres
def test_throwaway_postgres_starts_with_the_test_database_and_goes_away(tmp_path: Path) -> None:
    url, stop = start_postgres(tmp_path)
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("select current_database()").scalar() == "hotline_test"
    engine.dispose()
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    stop()
    stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


# --- deployment files -------------------------------------------------------------------------

def test_gunicorn_settings_are_valid_and_follow_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("WEB_THREADS", "5")
    monkeypatch.setenv("PORT", "8123")
    config = Config()
    namespace = runpy.run_path(str(REPO / "app" / "gunicorn_conf.py"))
    imported = {"annotations", "os", "Any"}
    settings = {k: v for k, v in namespace.items() if not k.startswith("_") and k not in imported}
    for name, value in settings.items():
        assert name in config.settings, f"gunicorn has no setting {name!r}"
        config.set(name, value)  # gunicorn's own validation
    assert config.workers == 3
    assert config.address == [("0.0.0.0", 8123)]
    assert config.threads == 5
    assert (config.worker_class_str, config.timeout, config.accesslog) == (
        "app.server.worker.HeadFirstWorker", 30, "-")
    assert config.logger_class.__name__ == "RedactingLogger"


def test_procfile_and_compose_only_name_commands_that_exist() -> None:
    from app.cli import main

    procfile = dict(
        line.split(":", 1) for line in (REPO / "Procfile").read_text().splitlines() if line
    )
    assert procfile["web"].split() == [
        "gunicorn", "-c", "app/gunicorn_conf.py", "app.wsgi:application"]
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    commands = [c.split() for c in procfile.values()]
    commands += [s["command"] for s in compose["services"].values() if "command" in s]
    for argv in commands:
        if argv[0] == "hotline":
            assert argv[1] in main.commands, f"`hotline {argv[1]}` is not a command"


def test_compose_has_the_four_tiers_with_health_checks_and_no_secrets() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["redis"]["image"] == "redis:7"
    assert services["postgres"]["image"] == "postgres:16"
    for name in ("web", "redis", "postgres"):
        assert services[name]["healthcheck"]["test"], name
    for name in ("web", "worker"):
        env = services[name]["environment"]
        assert {"DATABASE_URL", "REDIS_URL", "TWILIO_AUTH_TOKEN", "SECRET_KEY"} <= set(env)
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully")
    for service in services.values():
        for key, value in (service.get("environment") or {}).items():
            if re.search(r"TOKEN|SECRET|PASSWORD", key):
                assert re.fullmatch(r"\$\{\w+(:-|:\?[^}]*)?\}", str(value)), (key, value)


def test_the_wsgi_entry_point_keeps_startup_objects_out_of_full_collections(tmp_path: Path) -> None:
    """A full collection then walks only what requests created, not the whole loaded app."""
    code = ("import gc\nimport app.wsgi\n"
            "print(gc.get_freeze_count(), len(gc.get_objects()))")
    env = {**os.environ, "HOTLINE_CONFIG": str(REPO / "config" / "demo.toml"),
           "HOTLINE_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}",
           "REDIS_URL": "redis://127.0.0.1:1/0"}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True,
                         text=True, timeout=60, check=True).stdout.split()
    frozen, tracked = int(out[0]), int(out[1])
    assert frozen > 50_000
    assert tracked < frozen / 20
