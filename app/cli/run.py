"""`hotline run`: web, log workers and Redis on one machine, started and supervised together."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import click
from sqlalchemy.engine import make_url

from app.cli.supervisor import (
    LOOPBACK,
    Child,
    Interrupted,
    SignalTrap,
    local_address,
    spawn,
    stop_children,
    supervise,
)
from app.devtools.embedded_redis import (
    EmbeddedRedis,
    EmbeddedRedisError,
    port_is_free,
    start_embedded_redis,
)
from app.notify.queueing import NOTIFY_QUEUE
from app.settings import (
    EMBEDDED_REDIS_PASSWORD,
    Settings,
    embedded_redis_password,
    var_dir,
)
from app.storage import default_database_url, upgrade
from app.telemetry.directory import claim as claim_metrics
from app.telemetry.logs import FORMAT_ENV, FORMATS

GUNICORN_CONF = Path(__file__).resolve().parent.parent / "gunicorn_conf.py"


@click.command("run")
@click.option("--port", type=int, default=5000, envvar="PORT", show_default=True,
              help="HTTP port for Twilio's webhooks and the admin pages (env PORT).")
@click.option("--host", default=LOOPBACK, envvar="HOTLINE_HOST", show_default=True,
              help="IPv4 address to listen on; 0.0.0.0 for every interface (env HOTLINE_HOST).")
@click.option("--web-workers", type=click.IntRange(min=1), default=2, envvar="WEB_CONCURRENCY",
              show_default=True, help="gunicorn worker processes (env WEB_CONCURRENCY).")
@click.option("--log-workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="RQ worker processes writing the call log.")
@click.option("--log-format", type=click.Choice(FORMATS), default="text", envvar=FORMAT_ENV,
              show_default=True, help=f"Log lines as readable text or JSON (env {FORMAT_ENV}).")
def run_command(port: int, host: str, web_workers: int, log_workers: int, log_format: str) -> None:
    """Run the whole hotline on this machine: web, log workers, and Redis if REDIS_URL is unset."""
    os.environ[FORMAT_ENV] = log_format  # the children's, through their environment
    if not port_is_free(port, host):  # where gunicorn will listen, nowhere else
        raise click.ClickException(f"port {port} is in use on {host} (another hotline?), or {host} "
                                   "is no address of this machine; choose one: --port, --host")
    try:
        code = run_stack(port, web_workers, log_workers, host)
    except EmbeddedRedisError as exc:
        raise click.ClickException(str(exc)) from None
    sys.exit(code)


def migrate() -> str:
    """Run the Alembic migrations; returns the database URL with its password hidden."""
    url = default_database_url()
    upgrade(url)
    return hidden_password(url)


def run_stack(port: int, web_workers: int, log_workers: int, host: str = LOOPBACK) -> int:
    """Start everything, supervise it, stop it all; the exit code for the shell."""
    trap = SignalTrap()
    trap.install()
    children: list[Child] = []
    redis: EmbeddedRedis | None = None
    try:
        env = child_environment(port, web_workers)
        if not env.get("REDIS_URL"):
            redis = start_embedded_redis(var_dir() / "redis", password=embedded_redis_password())
            env["REDIS_URL"] = redis.url
        database = migrate()
        children.append(spawn("web", gunicorn_argv(port, web_workers, host), env))
        for i in range(1, log_workers + 1):
            children.append(spawn(f"log worker {i}", [*hotline_argv(), "worker"], env))
        children.append(spawn("notify worker", [*hotline_argv(), "worker", "--queue",
                                                 NOTIFY_QUEUE], env))
        trap.abort_start = False
        if trap.received:
            return 0
        _announce(port, web_workers, log_workers, env["REDIS_URL"], redis, database, host)
        return supervise(children, trap, port, host)
    except Interrupted:
        return 0
    finally:
        trap.abort_start = False
        stop_children(children, trap)
        if redis is not None:
            redis.stop()
        trap.restore()


def child_environment(port: int, web_workers: int) -> dict[str, str]:
    env = dict(os.environ, PORT=str(port), WEB_CONCURRENCY=str(web_workers), PYTHONUNBUFFERED="1")
    claim_metrics(env, "metrics")  # one directory for web and workers: /metrics adds them up
    # Without TWILIO_AUTH_TOKEN/SECRET_KEY the app uses demo secrets kept in the var folder;
    # drawing them here, once, keeps web workers that start together from drawing two.
    Settings.from_env(env)
    return env


def gunicorn_argv(port: int, web_workers: int, host: str = LOOPBACK) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn",
        "-c", str(GUNICORN_CONF),
        "--bind", f"{host}:{port}",
        "--workers", str(web_workers),
        "app.wsgi:application",
    ]  # fmt: skip


def hotline_argv() -> list[str]:
    """The `hotline` console script of this installation."""
    beside = Path(sys.executable).with_name("hotline")
    found = str(beside) if beside.exists() else shutil.which("hotline")
    if not found:
        raise click.ClickException("the `hotline` command is not installed (pip install -e .)")
    return [found]


def _announce(
    port: int, web: int, logs: int, redis_url: str, redis: EmbeddedRedis | None, database: str,
    host: str = LOOPBACK,
) -> None:
    where = (f"embedded, data in {redis.data_dir}, password in {var_dir() / EMBEDDED_REDIS_PASSWORD}"
             if redis else "from REDIS_URL")
    click.echo(
        f"hotline: listening on http://{host}:{port} (web workers: {web}, log workers: {logs})\n"
        f"  Redis:    {hidden_password(redis_url)} ({where})\n"
        f"  database: {database}\n"
        f"  Place a test call from another terminal (the next engineer picks up):\n"
        f"    hotline simulate --url http://{local_address(host)}:{port} --outcomes no-answer,accept\n"
        f"  Stop with Ctrl-C."
    )


def hidden_password(url: str) -> str:
    """``url`` (a database's or Redis's) with its password shown as ``***``, for printing."""
    return make_url(url).render_as_string(hide_password=True)
