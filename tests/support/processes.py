"""The production processes started one by one, as the Procfile runs them, for stack tests.

``Stack`` runs gunicorn (``app/gunicorn_conf.py``, ``app.wsgi:application``) and RQ workers
(``python -m app.cli worker``), each in its own process group, against a Redis and a database
the test controls (tests/support/redis.py, tests/support/postgres.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from app.storage import dispose_engines, upgrade
from tests.support.constants import AUTH_TOKEN, REPO, TEST_CONFIG
from tests.support.ports import free_port
from tests.support.waiting import wait_until

GUNICORN_CONF = REPO / "app" / "gunicorn_conf.py"
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Service:
    """One started process (and its children, in its own process group) with its log file."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    _log: IO[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    @property
    def stopped(self) -> bool:
        return self._log.closed

    def kill(self) -> None:
        """SIGKILL to the whole group: the process and what it forked (RQ's scheduler)."""
        _signal_group(self.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM, then SIGKILL to what is left of the group; the exit code."""
        if self.alive:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        _signal_group(self.pid, signal.SIGKILL)
        code = self.process.wait(10)
        self._log.close()
        return code

    def log_tail(self, chars: int = 3000) -> str:
        return f"--- {self.name} ---\n" + self.log_path.read_text(errors="replace")[-chars:]


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass


class Stack:
    """gunicorn and RQ workers for one database and one Redis, as the Procfile runs them."""

    def __init__(self, workdir: Path, database_url: str, redis_url: str,
                 config_path: Path = TEST_CONFIG, web_workers: int = 2) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.web_workers = web_workers
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url, "REDIS_URL": redis_url,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "HOTLINE_CONFIG": str(config_path),
            "HOTLINE_VAR_DIR": str(workdir / "var"), "SECRET_KEY": "stack-test",
            "PORT": str(self.port), "WEB_CONCURRENCY": str(web_workers), "PYTHONUNBUFFERED": "1",
        }
        self.web: Service | None = None
        self.workers: list[Service] = []
        self._count = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def spool_dir(self) -> Path:
        return self.workdir / "var" / "spool"

    def start(self, workers: int = 1) -> Stack:
        """Start the web tier and ``workers`` log workers; wait until /healthz answers."""
        try:
            self.start_web()
            for _ in range(workers):
                self.start_worker()
            self.wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def start_web(self) -> Service:
        argv = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF),
                "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.web_workers),
                "app.wsgi:application"]
        self.web = self._spawn("web", argv)
        return self.web

    def start_worker(self, *options: str) -> Service:
        """A log worker: ``hotline worker`` with ``options`` (``--queue ...``)."""
        worker = self._spawn(f"worker-{len(self.workers) + 1}",
                             [sys.executable, "-m", "app.cli", "worker", *options])
        self.workers.append(worker)
        return worker

    def wait_healthy(self, timeout: float = 60.0) -> None:
        def ready() -> bool:
            services = [s for s in (self.web, *self.workers) if s is not None]
            dead = [s for s in services if not s.alive]
            assert not dead, "\n".join(s.log_tail() for s in dead)
            return healthy(self.base_url)

        wait_until(ready, timeout, "the web tier to answer /healthz", every=0.2)

    def stop(self) -> dict[str, int | None]:
        """Stop everything; the exit codes by service name."""
        codes = {w.name: w.stop() for w in self.workers if not w.stopped}
        if self.web is not None and not self.web.stopped:
            codes["web"] = self.web.stop()
        return codes

    def _spawn(self, name: str, argv: list[str]) -> Service:
        self._count += 1
        path = self.workdir / f"{self._count:02d}-{name}.log"
        log = path.open("wb")
        process = subprocess.Popen(argv, env=self.env, cwd=REPO, stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        return Service(name, process, path, log)

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def stop_gracefully(process: subprocess.Popen[bytes], timeout: float = 40.0) -> int:
    """SIGTERM, then SIGKILL if it has not exited within ``timeout``; its exit code."""
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


@contextmanager
def running_web(workdir: Path, redis_url: str) -> Iterator[Stack]:
    """gunicorn alone, as the Procfile runs it, on a fresh SQLite log, answering /healthz."""
    url = f"sqlite:///{workdir / 'log.db'}"
    upgrade(url)
    dispose_engines()
    with Stack(workdir, url, redis_url) as stack:
        stack.start_web()
        stack.wait_healthy()
        yield stack


def healthy(base_url: str) -> bool:
    return answers_ok(f"{base_url}/healthz")


def answers_ok(url: str) -> bool:
    """Whether a GET of ``url`` (no proxy in between) answers 200 within a second."""
    try:
        with NO_PROXY.open(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False
