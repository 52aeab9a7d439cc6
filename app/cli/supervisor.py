"""Child processes started and watched together: signals trapped while they start and run, a
readiness line once the web answers, every child stopped (gracefully, then its whole group
killed) when one dies or a stop signal arrives. Nothing is restarted."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from types import FrameType

import click

from app.devtools.embedded_redis import private_child

STOP_TIMEOUT = 30.0  # gunicorn's graceful_timeout (20 s) plus room for a log job to finish
LOOPBACK = "127.0.0.1"
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]


class Interrupted(Exception):
    """A stop signal arrived while the stack was still starting."""


class SignalTrap:
    """Records SIGINT/SIGTERM/SIGHUP; while starting up, a signal aborts the start at once."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self) -> None:
        self.received: list[int] = []
        self.abort_start = True
        self._previous: dict[int, object] = {}

    def install(self) -> None:
        for signum in self.SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handle)

    def restore(self) -> None:
        for signum, handler in self._previous.items():
            if handler is not None:  # None: a handler not set from Python, nothing to put back
                signal.signal(signum, handler)  # type: ignore[arg-type]

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.received.append(signum)
        if self.abort_start:
            raise Interrupted(signum)


def spawn(name: str, argv: list[str], env: dict[str, str]) -> Child:
    # private_child: umask 077, so what the children write (SQLite, spool, snapshots) is ours alone
    process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, preexec_fn=private_child)
    return Child(name, process)


def supervise(children: list[Child], trap: SignalTrap, port: int, host: str = LOOPBACK) -> int:
    """Wait for a stop signal (exit 0) or a child's death (exit 1); nothing is restarted."""
    ready = False
    while not trap.received:
        for child in children:
            code = child.process.poll()
            if code is not None:
                click.echo(
                    f"hotline: {child.name} (pid {child.process.pid}) {_how_it_ended(code)}; "
                    "stopping everything", err=True,
                )
                return 1
        if not ready and healthy(port, local_address(host)):
            ready = True
            click.echo(f"hotline: ready, http://{local_address(host)}:{port}/healthz answers")
        time.sleep(0.2)
    click.echo(f"hotline: {signal.Signals(trap.received[0]).name} received, stopping")
    return 0


def _how_it_ended(code: int) -> str:
    if code >= 0:
        return f"exited with code {code}"
    try:
        return f"was killed by {signal.Signals(-code).name}"
    except ValueError:
        return f"was killed by signal {-code}"


def local_address(host: str) -> str:
    """Where this machine reaches a server listening on ``host``."""
    return LOOPBACK if host in ("0.0.0.0", "") else host


def healthy(port: int, host: str = LOOPBACK) -> bool:
    try:
        with _NO_PROXY.open(f"http://{host}:{port}/healthz", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def stop_children(children: list[Child], trap: SignalTrap) -> None:
    """SIGTERM to all (graceful); SIGKILL to what is left after STOP_TIMEOUT or a 2nd signal."""
    signals_before = len(trap.received)
    for child in children:
        if child.process.poll() is None:
            child.process.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT
    while any(c.process.poll() is None for c in children):
        if time.monotonic() > deadline or len(trap.received) > signals_before:
            click.echo("hotline: killing what is still running", err=True)
            break
        time.sleep(0.1)
    for child in children:
        _kill_group(child.process.pid)  # gunicorn's workers, RQ's work horse: nothing lingers
        child.process.wait()


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
