"""A throwaway PostgreSQL server for the benchmarks: its own cluster in a temp dir, on loopback.

Commits do not wait for the disk (``fsync=off``, ``synchronous_commit=off``), as in the test
suite's server: the log pipeline's figures are then the SQL's cost, not this machine's disk.
As root the server runs as the ``postgres`` system user (PostgreSQL refuses root).
"""

from __future__ import annotations

import argparse
import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `app` and `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.devtools.embedded_redis import free_port  # noqa: E402

SERVER_USER = "postgres"


def bin_dir() -> Path | None:
    """Where initdb and pg_ctl are: PATH, else the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which("pg_ctl")
    if found and (Path(found).parent / "initdb").exists():
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                      key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0)
    return Path(versions[-1]) if versions else None


@contextmanager
def postgres_server() -> Iterator[str]:
    """A started cluster; yields the URL of its ``postgres`` database (superuser, trust)."""
    binaries = bin_dir()
    if binaries is None:
        raise RuntimeError("PostgreSQL's server binaries are missing (apt-get install postgresql)")
    as_root = os.geteuid() == 0
    run_as = ["runuser", "-u", SERVER_USER, "--"] if as_root else []
    base = Path(tempfile.mkdtemp(prefix="hotline-bench-pg-"))
    if as_root:
        account = pwd.getpwnam(SERVER_USER)
        os.chown(base, account.pw_uid, account.pw_gid)
    data, port = base / "data", free_port()

    def pg(*args: str) -> None:
        subprocess.run([*run_as, str(binaries / args[0]), *args[1:]], cwd=base, check=True,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    try:
        pg("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync",
           "--encoding=UTF8", "--locale=C")
        pg("pg_ctl", "-D", str(data), "-l", str(base / "server.log"), "-w", "-t", "60", "-o",
           f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={base}"
           " -c fsync=off -c synchronous_commit=off -c full_page_writes=off", "start")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            pg("pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


def create_database(server_url: str, name: str) -> str:
    """A new empty database on the server; returns its URL."""
    import psycopg

    dsn = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + "/" + name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    with postgres_server() as url:
        print(f"PostgreSQL answers at {create_database(url, 'hotline')}; stopping it again")
    return 0


if __name__ == "__main__":
    sys.exit(main())
