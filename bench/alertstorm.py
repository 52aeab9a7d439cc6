"""Benchmark 5: an alert storm, Alertmanager posting bursts at the running stack.

By default 200 posts of 50 alerts each, from 8 threads at once: a hundred groups fire, then half of them
are posted again word for word (Alertmanager's repeats) and the other half resolve. The web tier
only queues; then one notify worker drains the queue, placing the calls through a local stand-in
for Twilio's REST API that counts them. No group may be called twice: a group's repeats queue
nothing, and an alert already escalating is not paged again.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `app` and `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loadgen import percentile  # noqa: E402

TOKEN = "bench-alertmanager-token"
ACCOUNT_SID = "AC" + "b" * 32
GROUPS, ALERTS_PER_POST, SENDERS = 100, 50, 8
NOTIFY_WORKER_CODE = (
    "import sys\n"
    "from app.cli.worker import run_worker\n"
    "run_worker(sys.argv[1], [sys.argv[2]], burst=True, migrate=False, logging_level='WARNING')\n"
)
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class CallCounter:
    """Twilio's REST API as far as paging needs it: creates calls and messages, counts them."""

    def __init__(self) -> None:
        self.created: list[tuple[str, str]] = []  # (resource, To)
        self._lock = threading.Lock()
        counter = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                form = urllib.parse.parse_qs(self.rfile.read(length).decode())
                body = counter.answer(self.path, {k: v[0] for k, v in form.items()})
                payload = json.dumps(body).encode()
                self.send_response(201 if self.path.endswith(("/Calls.json", "/Messages.json"))
                                   else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, path: str, form: dict[str, str]) -> dict[str, Any]:
        resource = "call" if "/Calls" in path else "message"
        with self._lock:
            if path.endswith(("/Calls.json", "/Messages.json")):
                self.created.append((resource, form.get("To", "")))
            sid = ("CA" if resource == "call" else "SM") + f"{len(self.created):032x}"
        return {"sid": sid, "account_sid": ACCOUNT_SID, "status": "queued",
                "to": form.get("To"), "from": form.get("From"), "date_created": None}

    @property
    def calls(self) -> int:
        return sum(1 for resource, _ in self.created if resource == "call")

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def group_post(group: int, status: str = "firing") -> dict[str, Any]:
    """Alertmanager's webhook body (version 4) for one group of ``ALERTS_PER_POST`` alerts."""
    common = {"alertname": f"DiskFull{group}", "severity": "critical", "service": "storage"}
    return {
        "version": "4", "groupKey": f'{{}}:{{alertname="DiskFull{group}"}}', "status": status,
        "receiver": "hotline", "groupLabels": {"alertname": common["alertname"]},
        "commonLabels": common, "commonAnnotations": {"summary": f"Disk almost full, group {group}"},
        "externalURL": "http://alertmanager.invalid", "truncatedAlerts": 0,
        "alerts": [{"status": status, "labels": {**common, "instance": f"db{group}-{n}"},
                    "annotations": {}, "startsAt": "2026-01-05T10:00:00Z",
                    "endsAt": "2026-01-05T11:00:00Z" if status == "resolved" else
                    "0001-01-01T00:00:00Z", "fingerprint": f"{group:04x}{n:012x}"}
                   for n in range(ALERTS_PER_POST)],
    }


def storm_posts(groups: int = GROUPS) -> list[dict[str, Any]]:
    """The groups fire; then the first half is posted again exactly, the second half resolves."""
    firing = [group_post(g) for g in range(groups)]
    half = groups // 2
    return firing + firing[:half] + [group_post(g, "resolved") for g in range(half, groups)]


@dataclass
class Posted:
    seconds: float
    status: int
    answer: str


def post(base: str, body: dict[str, Any]) -> Posted:
    data = json.dumps(body).encode()
    request = urllib.request.Request(f"{base}/alerts/alertmanager", data=data, method="POST",
                                     headers={"Authorization": f"Bearer {TOKEN}",
                                              "Content-Type": "application/json"})
    began = time.perf_counter()
    try:
        with _NO_PROXY.open(request, timeout=10) as response:
            status, answer = response.status, json.loads(response.read()).get("status", "")
    except Exception as error:  # noqa: BLE001 (every failure is a failed post, counted)
        status, answer = getattr(error, "code", 0), type(error).__name__
    return Posted(time.perf_counter() - began, status, answer)


def send_burst(base: str, posts: list[dict[str, Any]], groups: int) -> list[Posted]:
    """The firing groups first, then the repeats and resolutions: each phase a burst."""
    with ThreadPoolExecutor(SENDERS) as pool:
        first = list(pool.map(lambda body: post(base, body), posts[:groups]))
        return first + list(pool.map(lambda body: post(base, body), posts[groups:]))


@dataclass
class AlertStormResult:
    posts: int
    p50_ms: float
    p99_ms: float
    failures: int
    repeats_deduplicated: int
    drain_seconds: float | None
    calls: int
    groups_called_twice: int
    still_firing_uncalled: int


def run_alert_storm(space: Any, database_url: str, groups: int = GROUPS) -> AlertStormResult:
    """Burst the posts at a fresh stack, then drain the notify queue with one worker."""
    from redis import Redis

    from app.eventlog.queueing import event_queue
    from app.settings import NOTIFY_QUEUE
    from bench.stack import start_gunicorn

    api = CallCounter()
    env = {"DATABASE_URL": database_url, "ALERTMANAGER_TOKEN": TOKEN,
           "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_API_BASE_URL": api.url}
    with Redis.from_url(space.redis.url) as redis:
        redis.flushdb()
    web = start_gunicorn(space, "alerts-web", "app.wsgi:application", **env)
    env["PUBLIC_BASE_URL"] = web.base
    try:
        posted = send_burst(web.base, storm_posts(groups), groups)
        with Redis.from_url(space.redis.url) as redis:
            drained = drain(space, event_queue(redis, NOTIFY_QUEUE), env)
        per_group = paged_per_alert(database_url)
    finally:
        space.stop(web.process)
        api.stop()
    ordered = sorted(p.seconds * 1000 for p in posted)
    return AlertStormResult(
        posts=len(posted), p50_ms=percentile(ordered, 50), p99_ms=percentile(ordered, 99),
        failures=sum(1 for p in posted if p.status != 202),
        repeats_deduplicated=sum(1 for p in posted if p.answer == "duplicate"),
        drain_seconds=drained, calls=api.calls,
        groups_called_twice=sum(1 for n in per_group.values() if n > 1),
        still_firing_uncalled=sum(1 for g in range(groups // 2) if per_group.get(g, 0) == 0))


def drain(space: Any, queue: Any, env: dict[str, str], timeout: float = 300.0) -> float | None:
    """Seconds from one notify worker's first job to an empty queue; None if it never empties."""
    from bench.stack import jobs_outstanding

    total = queue.count
    worker = space.spawn([sys.executable, "-c", NOTIFY_WORKER_CODE, space.redis.url, queue.name],
                         "alerts-worker.log", **env)
    first = None
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            now = time.monotonic()
            if first is None and queue.count < total:
                first = now
            if first is not None and not jobs_outstanding(queue):
                return now - first
            time.sleep(0.01)
        return None
    finally:
        space.stop(worker)


def paged_per_alert(database_url: str) -> dict[int, int]:
    """Per group (by its alert name's number): how often its alert was paged."""
    from sqlalchemy import select

    from app.storage import dispose_engines, get_engine
    from app.storage.alerts import Alert, AlertLogEntry

    found: dict[int, int] = {}
    with get_engine(database_url).connect() as conn:
        rows = conn.execute(select(Alert.labels, AlertLogEntry.kind)
                            .join(AlertLogEntry, AlertLogEntry.alert_id == Alert.id)).all()
    dispose_engines()
    for labels, kind in rows:
        group = int(str((labels or {}).get("alertname", "DiskFull-1"))[len("DiskFull"):])
        found[group] = found.get(group, 0) + (kind == "paged")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=GROUPS,
                        help=f"alert groups (default {GROUPS}: {2 * GROUPS} posts)")
    args = parser.parse_args(argv)
    from bench.logpipe import fresh_database
    from bench.stack import workspace

    with workspace() as space:
        result = run_alert_storm(space, fresh_database(space, "alerts"), args.groups)
    print(result)
    return 1 if result.failures or result.groups_called_twice else 0


if __name__ == "__main__":
    sys.exit(main())
