"""The hotline on several hosts: two web hosts, two worker hosts and a data host (Redis,
PostgreSQL) in network namespaces (bench/netns.py), haproxy in front of the web hosts.

haproxy runs in a namespace of its own on the hosts' network and listens on the machine's
loopback (``bind ... namespace``), where the simulated Twilio calls it; its health checks take a
dead web host out, and it resends a webhook whose connection failed or died unanswered to the
other host (``retry-on``). The data
host's PostgreSQL also listens on a Unix socket, through which this process reads the log.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `app` and `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.devtools.embedded_redis import free_port  # noqa: E402
from app.devtools.redis_binary import redis_executable  # noqa: E402
from bench import balancer  # noqa: E402
from bench.netns import Network  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
GUNICORN_CONF = REPO / "app" / "gunicorn_conf.py"
WEB_PORT, REDIS_PORT, PG_PORT = 5000, 6379, 5432
DATABASE = "hotline"
@dataclass
class Process:
    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(self.argv, env=self.env, cwd=REPO, stdout=out,
                                          stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          start_new_session=True)
        return self

    def signal(self, signum: int, timeout: float = 30.0) -> None:
        """``signum`` to the whole process group; waits for it to end (SIGKILL after ``timeout``)."""
        if self.popen is None or self.popen.poll() is not None:
            return
        os.killpg(self.popen.pid, signum)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()

    def kill(self) -> None:
        self.signal(signal.SIGKILL)

    def stop(self) -> None:
        self.signal(signal.SIGTERM)


class Cluster:
    """The hosts, their processes and the load balancer; ``close()`` removes everything."""

    def __init__(self, root: Path, config: Path, auth_token: str, web_hosts: int = 2,
                 worker_hosts: int = 2, web_workers: int = 2) -> None:
        self.root = root
        self.web_workers = web_workers
        self.config = config
        self.auth_token = auth_token
        self.net = Network()
        self.processes: list[Process] = []
        self.password = secrets.token_hex(16)
        self.port = free_port()
        try:
            self.data = self.net.add_host("data", 1)
            self.net.add_host("lb", 2)
            self.webs = {f"web{i}": self.net.add_host(f"web{i}", 10 + i)
                         for i in range(1, web_hosts + 1)}
            self.workers = [f"wrk{i}" for i in range(1, worker_hosts + 1)]
            for i, name in enumerate(self.workers, 1):
                self.net.add_host(name, 20 + i)
        except BaseException:
            self.net.remove()
            raise
        self.pg_dir = Path(_postgres_bin("pg_ctl")).parent
        # PostgreSQL runs as its own user, who may not enter ``root`` (a test's private folder).
        self.pg_base = Path(tempfile.mkdtemp(prefix="hotline-hosts-pg-"))

    # -- the data host ----------------------------------------------------------------------
    @property
    def redis_url(self) -> str:
        return f"redis://:{self.password}@{self.data}:{REDIS_PORT}/0"

    @property
    def local_redis_url(self) -> str:
        """The same Redis through its Unix socket, for this process (outside the hosts)."""
        return f"unix://:{self.password}@{self.root / 'redis' / 'redis.sock'}?db=0"

    @property
    def database_url(self) -> str:
        return f"postgresql+psycopg://postgres@{self.data}:{PG_PORT}/{DATABASE}"

    @property
    def local_database_url(self) -> str:
        """The same database through its Unix socket, for this process (outside the hosts)."""
        return f"postgresql+psycopg://postgres@/{DATABASE}?host={self.pg_base}&port={PG_PORT}"

    def start_redis(self) -> Process:
        folder = self.root / "redis"
        folder.mkdir(exist_ok=True)
        argv = [redis_executable(), "--bind", self.data, "--port", str(REDIS_PORT),
                "--requirepass", self.password, "--save", "", "--appendonly", "yes",
                "--appendfsync", "everysec", "--dir", str(folder),
                "--unixsocket", str(folder / "redis.sock"), "--unixsocketperm", "700"]
        redis = self._start("redis", "data", argv, {})
        self._wait(lambda: self._answers("data", self.data, REDIS_PORT), "Redis")
        return redis

    def start_postgres(self) -> None:
        account = pwd.getpwnam("postgres")
        os.chown(self.pg_base, account.pw_uid, account.pw_gid)
        self._pg("initdb", "-D", "data", "-U", "postgres", "--auth=trust", "--no-sync")
        with (self.pg_base / "data" / "pg_hba.conf").open("a") as hba:
            hba.write(f"host all all {self.data.rsplit('.', 1)[0]}.0/24 trust\n")
        options = (f"-p {PG_PORT} -c listen_addresses={self.data} -c unix_socket_directories="
                   f"{self.pg_base} -c fsync=off -c full_page_writes=off -c max_connections=200")
        self._pg("pg_ctl", "-D", "data", "-l", "server.log", "-w", "-o", options, "start")
        import psycopg

        with psycopg.connect(host=str(self.pg_base), port=PG_PORT, user="postgres",
                             dbname="postgres", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}")

    def stop_postgres(self) -> None:
        if (self.pg_base / "data" / "postmaster.pid").exists():
            self._pg("pg_ctl", "-D", "data", "-m", "immediate", "-w", "stop", check=False)

    # -- web and worker hosts ---------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def host_env(self, host: str) -> dict[str, str]:
        """What every host is given: the same for all, but its own var folder (spool, journal)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "DATABASE_"))}
        env.update(DATABASE_URL=self.database_url, REDIS_URL=self.redis_url,
                   TWILIO_AUTH_TOKEN=self.auth_token, SECRET_KEY="several-hosts",
                   HOTLINE_CONFIG=str(self.config), PUBLIC_BASE_URL=self.base_url,
                   HOTLINE_VAR_DIR=str(self.root / host / "var"), PYTHONUNBUFFERED="1",
                   WEB_CONCURRENCY=str(self.web_workers))
        return env

    def start_web(self, host: str) -> Process:
        argv = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF),
                "--bind", f"{self.webs[host]}:{WEB_PORT}", "app.wsgi:application"]
        return self._start(host, host, argv, self.host_env(host))

    def start_worker(self, host: str, *queues: str) -> Process:
        argv = [sys.executable, "-m", "app.cli", "worker", *[f"--queue={q}" for q in queues]]
        return self._start(host, host, argv, self.host_env(host))

    def spool_files(self, host: str) -> list[Path]:
        folder = self.root / host / "var" / "spool"
        return sorted(folder.glob("*")) if folder.is_dir() else []

    # -- the load balancer ------------------------------------------------------------------
    def start_haproxy(self) -> Process:
        path = self.root / "haproxy.cfg"
        servers = {name: f"{address}:{WEB_PORT}" for name, address in self.webs.items()}
        path.write_text(balancer.config(self.root / "haproxy.sock", self.port,
                                        self.net.name_this_machine(), servers))
        return self._start("haproxy", "lb", ["haproxy", "-db", "-f", str(path)], {})

    def haproxy_stats(self) -> dict[str, dict[str, str]]:
        """haproxy's statistics of the web hosts ("BACKEND": all of them), by column."""
        return balancer.stats(self.root / "haproxy.sock")

    def server_states(self) -> dict[str, str]:
        """Each web host as haproxy's health checks see it: UP, DOWN, ..."""
        stats = self.haproxy_stats()
        return {name: stats[name]["status"].split(" ")[0] for name in self.webs if name in stats}

    def wait_states(self, wanted: dict[str, str], timeout: float = 60.0) -> None:
        self._wait(lambda: all(self.server_states().get(k) == v for k, v in wanted.items()),
                   f"haproxy to see {wanted}", timeout)

    def start_all(self) -> None:
        """Redis, PostgreSQL (schema upgraded), every web and worker host, then haproxy."""
        from app.storage import dispose_engines, upgrade

        self.start_redis()
        self.start_postgres()
        upgrade(self.local_database_url)
        dispose_engines()
        for name in self.webs:
            self.start_web(name)
        for name in self.workers:
            self.start_worker(name)
        self.start_haproxy()

    # -- plumbing ---------------------------------------------------------------------------
    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for process in reversed(self.processes):
            process.kill()
        self.stop_postgres()
        self.net.remove()
        shutil.rmtree(self.pg_base, ignore_errors=True)

    def _start(self, name: str, host: str | None, argv: list[str], env: dict[str, str]) -> Process:
        full = self.net.run_argv(host, argv) if host else argv
        process = Process(name, full, env or dict(os.environ), self.root / f"{name}.log").start()
        self.processes.append(process)
        return process

    def _pg(self, exe: str, *args: str, check: bool = True) -> None:
        argv = self.net.run_argv("data", ["runuser", "-u", "postgres", "--",
                                          str(self.pg_dir / exe), *args])
        result = subprocess.run(argv, cwd=self.pg_base, capture_output=True, text=True)
        if check and result.returncode != 0:
            raise RuntimeError(f"{exe}: {result.stdout}{result.stderr}")

    def _answers(self, host: str, address: str, port: int) -> bool:
        probe = f"import socket; socket.create_connection(('{address}', {port}), 1).close()"
        argv = self.net.run_argv(host, [sys.executable, "-c", probe])
        return subprocess.run(argv, capture_output=True).returncode == 0

    def _wait(self, check: object, what: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not check():  # type: ignore[operator]
            dead = [p.name for p in self.processes if p.popen and p.popen.poll() is not None
                    and p.name == "haproxy"]
            if dead or time.monotonic() > deadline:
                raise RuntimeError(f"waiting for {what}: exited {dead}; logs in {self.root}")
            time.sleep(0.1)


def _postgres_bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if not found:
        raise RuntimeError("PostgreSQL's server binaries are missing (apt-get install postgresql)")
    return str(found[-1])


def main(argv: list[str] | None = None) -> int:
    """Start the hosts with the demo configuration and keep them until Ctrl-C."""
    import argparse

    from bench.netns import said_unavailable
    from bench.stack import AUTH_TOKEN, DEMO_CONFIG, wait_for_interrupt

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    if said_unavailable():
        return 1
    with tempfile.TemporaryDirectory(prefix="hotline-hosts-") as folder, \
            Cluster(Path(folder), DEMO_CONFIG, AUTH_TOKEN) as cluster:
        cluster.start_all()
        print(f"the hotline at {cluster.base_url}; Ctrl-C stops it")
        wait_for_interrupt()
    return 0


if __name__ == "__main__":
    sys.exit(main())
