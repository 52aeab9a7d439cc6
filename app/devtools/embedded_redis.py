"""A real Redis server on loopback, started by `hotline run` when no REDIS_URL is given."""

from __future__ import annotations

import ctypes
import fcntl
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import redis

from app.devtools.redis_binary import EmbeddedRedisError, redis_executable

HOST = "127.0.0.1"
DEFAULT_PORT = 6379
_PR_SET_PDEATHSIG = 1


def private_child() -> None:
    """``supervised_child``, and the files the child creates are this user's alone (umask 077)."""
    os.umask(0o077)
    supervised_child()


def supervised_child() -> None:
    """Run in a child before exec: own process group, and SIGTERM when its parent dies.

    The own group keeps a terminal's Ctrl-C away from the child, so the parent decides the
    shutdown order; the death signal keeps nothing running if the parent is killed outright.
    """
    os.setpgid(0, 0)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # not Linux: the parent's own shutdown path still stops the child


def port_is_free(port: int, host: str = HOST) -> bool:
    with socket.socket() as sock:
        # Redis itself listens with SO_REUSEADDR, so sockets in TIME_WAIT do not block it.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = HOST) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class EmbeddedRedis:
    """A running server; `stop()` shuts it down cleanly (the AOF is fsynced on SIGTERM)."""

    process: subprocess.Popen[bytes]
    port: int
    data_dir: Path
    lock: IO[str]
    password: str | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}{HOST}:{self.port}/0"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "redis.log"

    def stop(self, timeout: float = 15.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.lock.close()

    def __enter__(self) -> EmbeddedRedis:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_embedded_redis(
    data_dir: Path, preferred_port: int = DEFAULT_PORT, timeout: float = 30.0,
    *, appendonly: bool = True, password: str | None = None,
) -> EmbeddedRedis:
    """Start redis-server on loopback with AOF persistence in `data_dir`; wait for PING.

    Uses `preferred_port` when it is free, any free port otherwise. One server per data dir.
    Without `appendonly` nothing is persisted: a server started again on the dir is empty.
    With `password`, every client must give it (it reaches the server on its standard input,
    not its command line, which every local user can read). `data_dir` and what the server
    writes there are this user's alone.
    """
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    lock = _lock_data_dir(data_dir)
    try:
        port = preferred_port if port_is_free(preferred_port) else free_port()
        for _attempt in range(3):
            log_start = _log_size(data_dir)
            process = _spawn(data_dir, port, appendonly, password)
            try:
                answered = _wait_for_ping(process, port, data_dir, log_start, timeout, password)
            except BaseException:
                process.kill()
                process.wait()
                raise
            if answered:
                return EmbeddedRedis(process, port, data_dir, lock, password)
            port = free_port()  # lost a race for the port: another process bound it first
        raise EmbeddedRedisError(f"redis-server found no free port; see {data_dir / 'redis.log'}")
    except BaseException:
        lock.close()
        raise


def _private(path: Path) -> int:
    """A descriptor appending to ``path``, created readable by this user only."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)


def _lock_data_dir(data_dir: Path) -> IO[str]:
    lock = open(_private(data_dir / "embedded.lock"), "a")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise EmbeddedRedisError(
            f"{data_dir} is used by another embedded Redis (is `hotline run` already running?)"
        ) from None
    return lock


def _spawn(data_dir: Path, port: int, appendonly: bool = True,
           password: str | None = None) -> subprocess.Popen[bytes]:
    argv = [
        redis_executable(),
        "-",  # more configuration on stdin: the password
        "--bind", HOST,
        "--port", str(port),
        "--protected-mode", "yes",
        "--daemonize", "no",
        "--dir", str(data_dir),
        "--appendonly", "yes" if appendonly else "no",
        "--appendfsync", "everysec",
        "--save", "",
    ]  # fmt: skip
    with open(_private(data_dir / "redis.log"), "ab") as output:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=data_dir,
            preexec_fn=private_child,
        )
    assert process.stdin is not None
    try:
        if password:
            process.stdin.write(f"requirepass {password}\n".encode())
        process.stdin.close()
    except BrokenPipeError:
        pass  # it exited at once: _wait_for_ping reports why
    return process


def _wait_for_ping(
    process: subprocess.Popen[bytes], port: int, data_dir: Path, log_start: int, timeout: float,
    password: str | None = None,
) -> bool:
    """True once the server answers PING; False if it exited because the port was taken."""
    client = redis.Redis(host=HOST, port=port, password=password, socket_connect_timeout=1,
                         socket_timeout=2)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                output = _log_since(data_dir, log_start)
                if "already in use" in output:
                    return False
                raise EmbeddedRedisError(
                    f"redis-server exited with code {process.returncode}:\n{output}"
                )
            try:
                if client.ping():
                    return True
            except (redis.ConnectionError, redis.TimeoutError):
                time.sleep(0.05)  # not listening yet, or still loading the AOF
    finally:
        client.close()
    raise EmbeddedRedisError(f"redis-server did not answer PING within {timeout:.0f} s")


def _log_size(data_dir: Path) -> int:
    try:
        return (data_dir / "redis.log").stat().st_size
    except FileNotFoundError:
        return 0


def _log_since(data_dir: Path, offset: int, lines: int = 15) -> str:
    """The last lines this start wrote to the log (earlier runs append to the same file)."""
    with (data_dir / "redis.log").open("rb") as log:
        log.seek(offset)
        text = log.read().decode(errors="replace")
    return "\n".join(text.splitlines()[-lines:])
