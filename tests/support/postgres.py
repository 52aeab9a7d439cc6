"""A throwaway PostgreSQL server for the tests: its own cluster in a temp dir, on loopback.

``start_postgres(tmp_dir)`` gives the session's server (tests/conftest.py starts it), named by
``HOTLINE_TEST_POSTGRES_URL``: commits do not wait for the WAL, so a crash forgets the last ones.
``PostgresProcess(workdir)`` is one a test can stop and start again on the same port; its commits
wait for the WAL as in production, and a crash loses none of them.
"""

from __future__ import annotations

import glob
import os
import pwd
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from tests.support.ports import free_port

DATABASE = "hotline_test"
SUPERUSER = "postgres"
SERVER_USER = "postgres"  # the system account the server runs as when the tests run as root
SERVER_BINARIES = ("initdb", "pg_ctl", "postgres")


def postgres_url() -> str | None:
    """The session's server, when one runs (started in ``pytest_configure``)."""
    return os.environ.get("HOTLINE_TEST_POSTGRES_URL")


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
    server = PostgresProcess(tmp_dir, durable=False)
    return server.url, server.remove


class PostgresProcess:
    """A fresh cluster with database `hotline_test`, started at once on a free loopback port.

    ``stop()`` and ``start()`` keep the port and the files; ``remove()`` shuts the server down
    and deletes its files (calling it twice is harmless). ``durable``: commits wait for the WAL.
    """

    def __init__(self, workdir: Path, durable: bool = True) -> None:
        reason = unavailable_reason()
        if reason:
            raise RuntimeError(reason)
        bin_dir = find_bin_dir()
        assert bin_dir is not None
        self.bin_dir = bin_dir
        as_root = os.geteuid() == 0
        # As root the server runs as another user, who cannot enter pytest's private temp dirs.
        self.base = Path(tempfile.mkdtemp(prefix="hotline-pg-", dir=None if as_root else workdir))
        self.data_dir = self.base / "data"
        self.log = self.base / "server.log"
        self.run_as = ["runuser", "-u", SERVER_USER, "--"] if as_root else []
        self.commit = "on" if durable else "off"
        self.port = 0
        self.started = False
        self.removed = False
        try:
            if as_root:
                account = pwd.getpwnam(SERVER_USER)
                os.chown(self.base, account.pw_uid, account.pw_gid)
            self._run(
                "initdb", "-D", str(self.data_dir), "-U", SUPERUSER, "--auth=trust",
                "--encoding=UTF8", "--locale=C", "--no-sync",
            )  # fmt: skip
            self._first_start()
            _create_database(self.port)
        except BaseException:
            self.remove()
            raise

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{DATABASE}"

    def stop(self, mode: str = "immediate") -> None:
        """Shut the server down (``immediate``: no checkpoint, as after a crash)."""
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "stop")

    def start(self) -> None:
        """Start again with the options it last ran with (postmaster.opts), same port."""
        self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.log), "-w", "-t", "60",
                  "-m", "fast", "restart")

    def remove(self) -> None:
        if self.removed:
            return
        self.removed = True
        if self.started:
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop", check=False)
        shutil.rmtree(self.base, ignore_errors=True)

    def _first_start(self) -> None:
        """Start on a free loopback port, trying again if another process takes it first."""
        for _attempt in range(3):
            port = free_port()
            options = (
                f"-p {port} -c listen_addresses=127.0.0.1"
                f" -c unix_socket_directories={shlex.quote(str(self.base))}"
                f" -c fsync=off -c synchronous_commit={self.commit} -c full_page_writes=off"
            )
            result = self._run(
                "pg_ctl", "-D", str(self.data_dir), "-l", str(self.log), "-w", "-t", "60",
                "-o", options, "start", check=False,
            )  # fmt: skip
            if result.returncode == 0:
                self.started = True
                self.port = port
                return
            if "could not bind" not in self._log_text():
                break
        raise RuntimeError(f"PostgreSQL did not start:\n{result.stdout}\n{self._log_text()}")

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


def _major_version(bin_dir: Path) -> int:
    name = bin_dir.parent.name
    return int(name) if name.isdigit() else 0
