"""A real Redis server for tests: the embedded one of ``hotline run`` (app/devtools/embedded_redis.py)
on a loopback port that stays the same across restarts.

``RedisServer`` keeps nothing on disk: stopped and started again (an outage: connections
refused), it comes back empty. It can also be paused and resumed (a hung server: connections
time out) or crashed (SIGKILL). ``RedisProcess`` is the server as ``hotline run`` starts it, with
the AOF fsynced every second, so that what was acknowledged survives a crash.
``start_redis_server(tmp_path)`` returns ``(url, stop)``; ``with running(server):`` starts one
for a block.

Start a server from a thread that outlives it: it gets SIGTERM when the thread that started it
ends (``app.devtools.embedded_redis.supervised_child`` sets PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import secrets
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from app.devtools.embedded_redis import EmbeddedRedis, start_embedded_redis
from tests.support.ports import free_port

START_TIMEOUT = 10.0
S = TypeVar("S", bound="RedisServer")


class RedisServer:
    """One redis-server process at a time on a fixed port, without persistence, behind a
    password of its own (in ``url``), as ``hotline run`` starts it."""

    persist = False

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.workdir = Path(workdir)
        self.port = port or free_port()
        self.password = secrets.token_hex(16)
        self.server: EmbeddedRedis | None = None

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self.server is not None and self.server.process.poll() is None

    def start(self) -> str:
        if self.running:
            return self.url
        server = start_embedded_redis(self.workdir, preferred_port=self.port,
                                      timeout=START_TIMEOUT, appendonly=self.persist,
                                      password=self.password)
        if server.port != self.port:
            server.stop()
            raise RuntimeError(f"another process took the Redis port {self.port}")
        self.server = server
        return self.url

    def stop(self) -> None:
        server, self.server = self.server, None
        if server is None:
            return
        server.process.send_signal(signal.SIGCONT)  # a paused server could not act on SIGTERM
        server.stop(timeout=5)

    def crash(self) -> None:
        """SIGKILL: connections drop at once; what was acknowledged is in the AOF already."""
        server, self.server = self.server, None
        assert server is not None
        server.process.kill()
        server.process.wait()
        server.lock.close()

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): clients connect, then time out; nothing is lost."""
        assert self.server is not None
        self.server.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.server is not None
        self.server.process.send_signal(signal.SIGCONT)

    def restart(self) -> str:
        self.stop()
        return self.start()


class RedisProcess(RedisServer):
    """The embedded Redis as ``hotline run`` starts it (AOF, fsync every second): crash it,
    start it again on the same port, and it still holds what it acknowledged."""

    persist = True


def start_redis_server(tmp_path: Path, port: int | None = None) -> tuple[str, Callable[[], None]]:
    """Start a server (on ``port``, or a free one) and return its URL and a stop function."""
    server = RedisServer(tmp_path, port)
    return server.start(), server.stop


@contextmanager
def running(server: S) -> Iterator[S]:
    """``server`` started for the block; stopped however the block ends."""
    server.start()
    try:
        yield server
    finally:
        server.stop()
