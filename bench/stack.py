"""The processes a benchmark runs against: Redis, gunicorn (the hotline or the floor), RQ workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rq import Queue
from rq.registry import StartedJobRegistry

if __package__ in (None, ""):  # run as a script: make `app` and `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.devtools.embedded_redis import EmbeddedRedis, free_port, start_embedded_redis  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
GUNICORN_CONF = REPO / "app" / "gunicorn_conf.py"
DEMO_CONFIG = REPO / "config" / "demo.toml"
AUTH_TOKEN = "bench0123456789abcdef0123456789ab"
SECRET_KEY = "bench-secret"
HOTLINE = "+49305550100"   # the demo configuration's hotline number
ACME = "+49301234567"      # a caller ID of the demo contract ACME (24/7)
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))

WORKER_CODE = (
    "import sys\n"
    "from app.cli.worker import run_worker\n"
    "run_worker(sys.argv[1], burst=sys.argv[3] == 'burst', worker_class=sys.argv[2],"
    " migrate=False, logging_level='WARNING')\n"
)


@dataclass
class Workspace:
    """A throwaway folder with the database, Redis data, spool and logs of one benchmark run."""

    root: Path
    redis: EmbeddedRedis
    database_url: str
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
        env.update(
            REDIS_URL=self.redis.url, DATABASE_URL=self.database_url,
            TWILIO_AUTH_TOKEN=AUTH_TOKEN, SECRET_KEY=SECRET_KEY, HOTLINE_CONFIG=str(DEMO_CONFIG),
            HOTLINE_VAR_DIR=str(self.root / "var"), HOTLINE_SPOOL=str(self.root / "spool.jsonl"),
            PYTHONPATH=str(REPO), WEB_CONCURRENCY="2", PYTHONUNBUFFERED="1",
        )
        env.pop("PUBLIC_BASE_URL", None)
        env.update(extra)
        return env

    def spawn(self, argv: list[str], log_name: str, **extra: str) -> subprocess.Popen[bytes]:
        log = (self.root / log_name).open("ab")
        process = subprocess.Popen(argv, env=self.env(**extra), cwd=REPO, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
        log.close()
        self.procs.append(process)
        return process

    def stop(self, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if process in self.procs:
            self.procs.remove(process)


@contextmanager
def workspace(database_url: str | None = None) -> Iterator[Workspace]:
    """A Redis server and a migrated SQLite database (or ``database_url``) in a temporary folder."""
    from app.storage import dispose_engines, upgrade

    with tempfile.TemporaryDirectory(prefix="hotline-bench-") as folder:
        root = Path(folder)
        url = database_url or f"sqlite:///{root / 'hotline.db'}"
        upgrade(url)
        dispose_engines()
        redis = start_embedded_redis(root / "redis", preferred_port=free_port())
        space = Workspace(root, redis, url)
        try:
            yield space
        finally:
            for process in list(space.procs):
                space.stop(process, timeout=10)
            redis.stop()


@dataclass
class Server:
    """A gunicorn master on loopback with the production settings (app/gunicorn_conf.py)."""

    name: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        return children(self.process.pid)


def start_gunicorn(space: Workspace, name: str, target: str, workers: int = 2,
                   **extra: str) -> Server:
    """``gunicorn -c app/gunicorn_conf.py`` serving ``target``; waits until it answers.

    Each server has a var folder of its own: a web host adopts the event journal a process
    before it left there, and one benchmark's leftovers must not become the next one's calls."""
    extra.setdefault("HOTLINE_VAR_DIR", str(space.root / f"var-{name}"))
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF),
            "--bind", f"127.0.0.1:{port}", "--workers", str(workers), target]
    server = Server(name, port, space.spawn(argv, f"{name}.log", **extra))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{name} exited: {(space.root / f'{name}.log').read_text()[-2000:]}")
        if answers(f"{server.base}/healthz") and len(server.worker_pids()) >= workers:
            return server
        time.sleep(0.1)
    raise RuntimeError(f"{name} did not start: {(space.root / f'{name}.log').read_text()[-2000:]}")


def start_workers(space: Workspace, count: int, worker_class: str = "simple",
                  burst: bool = False, **extra: str) -> list[subprocess.Popen[bytes]]:
    """``count`` log workers (RQ) on the event queue."""
    mode = "burst" if burst else "forever"
    return [
        space.spawn([sys.executable, "-c", WORKER_CODE, space.redis.url, worker_class, mode],
                    f"worker-{i}.log", **extra)
        for i in range(count)
    ]


def jobs_outstanding(queue: Queue) -> int:
    """Jobs of ``queue`` not finished: waiting, taken but not yet started, or running.

    A worker moves a job to the queue's intermediate list first and registers it as running a
    moment later: between the two, the job is in neither the queue nor the running registry.
    Read without RQ's registry cleanup, which would act on abandoned jobs as a side effect.
    """
    connection = queue.connection
    taken = int(connection.llen(queue.intermediate_queue_key))
    running = int(connection.zcard(StartedJobRegistry(queue=queue).key))
    return queue.count + taken + running


def answers(url: str) -> bool:
    try:
        with _NO_PROXY.open(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def memory_mib(pid: int) -> tuple[float, float]:
    """(RSS, PSS) of a process in MiB; PSS shares copy-on-write pages among the forks."""
    values: dict[str, float] = {}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("Rss", "Pss"):
                values[key] = int(rest.split()[0]) / 1024
    except OSError:
        return (0.0, 0.0)
    return values.get("Rss", 0.0), values.get("Pss", 0.0)


def main(argv: list[str] | None = None) -> int:
    """Start the stack the benchmarks use (Redis, gunicorn, two log workers) until Ctrl-C."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="log workers")
    args = parser.parse_args(argv)
    with workspace() as space:
        web = start_gunicorn(space, "web", "app.wsgi:application")
        start_workers(space, args.workers)
        print(f"hotline at {web.base}, Redis at {space.redis.url}, files in {space.root}; Ctrl-C stops")
        wait_for_interrupt()
    return 0


def wait_for_interrupt() -> None:
    """Sleep until Ctrl-C."""
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
