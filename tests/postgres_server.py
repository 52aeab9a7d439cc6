"""A throwaway PostgreSQL server for the tests: its own cluster in a temp dir, on loopback."""

from __future__ import annotations

import glob
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

DATABASE = "hotline_test"
SUPERUSER = "postgres"
SERVER_USER = "postgres"  # the system account the server runs as when the tests run as root
SERVER_BINARIES = ("initdb", "pg_ctl", "postgres")


def find_bin_dir() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres: PATH first, then the newest
    /usr/lib/postgresql/*/bin (Debian keeps the server binaries off PATH)."""
    candidates: list[Path] = []
    for name in ("pg_ctl", "initdb"):
        found = shutil.which(name)
        if found:
            candidates.append(Path(found).resolve().parent)
    versioned = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += sorted(map(Path, versioned), key=_major_version, reverse=True)
    for directory in candidates:
        if all(os.access(directory / exe, os.X_OK) for exe in SERVER_BINARIES):
            return directory
    return None


def unavailable_reason() -> str | None:
    """Why no server can be started here, with the fix; None when one can."""
    if find_bin_dir() is None:
        return (
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on PATH nor in "
            "/usr/lib/postgresql/*/bin; on Debian/Ubuntu: apt-get install postgresql"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return (
                f"running as root, and PostgreSQL refuses root: it needs the `{SERVER_USER}` "
                f"system user (Debian's postgresql package creates it; or useradd --system "
                f"{SERVER_USER})"
            )
        if shutil.which("runuser") is None:
            return "running as root, and `runuser` (util-linux) is missing"
    return None


def postgres_available() -> bool:
    return unavailable_reason() is None


def start_postgres(tmp_dir: Path) -> tuple[str, Callable[[], None]]:
    """Start a fresh cluster with database `hotline_test`; returns (SQLAlchemy URL, stop).

    `stop()` shuts the server down and deletes its files; calling it twice is harmless.
    """
    reason = unavailable_reason()
    if reason:
        raise RuntimeError(reason)
    bin_dir = find_bin_dir()
    assert bin_dir is not None
    as_root = os.geteuid() == 0
    # As root the server runs as another user, who cannot enter pytest's private temp dirs.
    base = Path(tempfile.mkdtemp(prefix="hotline-pg-", dir=None if as_root else tmp_dir))
    server = _Server(bin_dir, base, ["runuser", "-u", SERVER_USER, "--"] if as_root else [])
    try:
        if as_root:
            account = pwd.getpwnam(SERVER_USER)
            os.chown(base, account.pw_uid, account.pw_gid)
        server.init()
        port = server.start()
        _create_database(port)
    except BaseException:
        server.stop()
        raise
    return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/{DATABASE}", server.stop


class _Server:
    def __init__(self, bin_dir: Path, base: Path, run_as: list[str]) -> None:
        self.bin_dir = bin_dir
        self.base = base
        self.data = base / "data"
        self.log = base / "server.log"
        self.run_as = run_as
        self.started = False
        self.stopped = False

    def init(self) -> None:
        self._run(
            "initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
            "--encoding=UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip

    def start(self) -> int:
        """Start on a free loopback port, trying again if another process takes it first."""
        for _attempt in range(3):
            port = _free_port()
            options = (
                f"-p {port} -c listen_addresses=127.0.0.1"
                f" -c unix_socket_directories={shlex.quote(str(self.base))}"
                " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            )
            result = self._run(
                "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                "-o", options, "start", check=False,
            )  # fmt: skip
            if result.returncode == 0:
                self.started = True
                return port
            if "could not bind" not in self._log_text():
                break
        raise RuntimeError(f"PostgreSQL did not start:\n{result.stdout}\n{self._log_text()}")

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        if self.started:
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)
        shutil.rmtree(self.base, ignore_errors=True)

    def _run(self, exe: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*self.run_as, str(self.bin_dir / exe), *args],
            cwd=self.base, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, check=False,
        )  # fmt: skip
        if check and result.returncode != 0:
            raise RuntimeError(f"{exe} failed ({result.returncode}):\n{result.stdout}")
        return result

    def _log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-3000:]
        except OSError:
            return ""


def _create_database(port: int) -> None:
    import psycopg

    dsn = f"host=127.0.0.1 port={port} user={SUPERUSER} dbname=postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {DATABASE}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _major_version(bin_dir: Path) -> int:
    name = bin_dir.parent.name
    return int(name) if name.isdigit() else 0
