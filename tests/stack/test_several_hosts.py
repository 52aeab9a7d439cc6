"""The hotline on several hosts (bench/hosts.py): two web hosts behind haproxy, two worker hosts,
Redis and PostgreSQL on a data host, each in its own network namespace.

A storm of simulated calls through haproxy; in the middle one web host is killed (SIGKILL), then
Redis stops while that host comes back unable to reach the data host at all, then everything is
mended. "Every call gets valid TwiML" means what Twilio would see: each webhook it sends gets one
200 answer with valid TwiML. Twilio does not resend a failed webhook (it would play its fallback
URL's document instead), so a request the killed host dropped must be answered by haproxy's
resend to the other host, invisible to Twilio. Every event of every call is then in PostgreSQL
exactly once, by key: the killed host's journal and the cut-off host's spool are handed on when
each host starts again.
"""

from __future__ import annotations

import random
import shutil
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from app.eventlog import spool
from app.jobs.events import triggers
from app.storage import dispose_engines, get_engine
from app.storage.models import EventRecord
from bench.hosts import Cluster
from bench.netns import unavailable_reason
from tests.support.backlog import log_idle, reclaim_abandoned_jobs, settled_backlog
from tests.support.calls import CallDriver
from tests.support.constants import AUTH_TOKEN
from tests.support.soak import random_plan, write_soak_config
from tests.support.sql import log_problems, wait_for_log
from tests.support.waiting import wait_until

NETNS_MISSING = unavailable_reason()
pytestmark = [
    pytest.mark.stack, pytest.mark.twiml_checked,
    pytest.mark.skipif(NETNS_MISSING is not None, reason=f"several hosts need network namespaces: "
                                                         f"{NETNS_MISSING}"),
]


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    if shutil.which("haproxy") is None:
        pytest.fail("haproxy is not installed: apt-get install haproxy (.ci/run installs it)")
    with Cluster(tmp_path, write_soak_config(tmp_path / "hotline.toml"), AUTH_TOKEN,
                 web_workers=1) as hosts:
        hosts.start_all()  # each worker host serves the call log's queue
        hosts.wait_states({"web1": "UP", "web2": "UP"})
        yield hosts
        dispose_engines()


def stored_events(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(EventRecord)) or 0)


def test_two_web_hosts_lose_no_call_and_no_event_to_a_host_kill_and_a_redis_outage(
    cluster: Cluster,
) -> None:
    engine = get_engine(cluster.local_database_url)
    driver = CallDriver(cluster.base_url, seed=15)
    stop = threading.Event()
    redis = next(p for p in cluster.processes if p.name == "redis")
    web2_journal = cluster.root / "web2" / "var" / "journal"

    def after(calls: int) -> None:
        target = driver.done + calls
        wait_until(lambda: driver.done >= target, 60, f"{calls} more calls")

    with ThreadPoolExecutor(1) as background:
        storm = background.submit(
            driver.stream, lambda i: random_plan(random.Random(f"15-{i}"), hangups=False), 3, stop)
        try:
            after(6)
            web2 = next(p for p in cluster.processes if p.name == "web2")
            web2.kill()  # the host dies: whatever it held in memory is gone with it
            cluster.wait_states({"web2": "DOWN"}, 10)
            killed_journal = [e for f in web2_journal.glob("*.jsonl") for e in spool.read(f)]
            after(4)

            redis.stop()  # Redis gone for every host; web1 stores in PostgreSQL itself
            cluster.net.cut("web2", cluster.data)  # web2 reaches neither Redis nor PostgreSQL
            stored_before = stored_events(engine)
            web2 = cluster.start_web("web2")
            cluster.wait_states({"web2": "UP"}, 60)
            after(8)
            assert stored_events(engine) > stored_before, "web1 did not store directly"
            web2.stop()  # a graceful stop: what it buffered goes to its spool
            cluster.wait_states({"web2": "DOWN"}, 10)
            web2_spool = [e for f in cluster.spool_files("web2") for e in spool.read(f)]
            web1_spool = [e for f in cluster.spool_files("web1") for e in spool.read(f)]

            redis.start()
            redis_back = time.monotonic()
            cluster.net.mend("web2", cluster.data)
            cluster.start_web("web2")  # starting, it hands on its spool
            wait_until(lambda: not cluster.spool_files("web2"), 30, "web2's spool to be replayed")
            cluster.wait_states({"web2": "UP"}, 60)
            after(4)
        finally:
            stop.set()
        placed = storm.result()

    assert driver.failed_requests() == []
    assert [c.result.errors for c in placed if c.result.errors] == []
    assert web2_spool, "web2, cut off from Redis and PostgreSQL, should have spooled"
    assert web1_spool and all(triggers([e]) for e in web1_spool)  # the rest went to PostgreSQL
    # A job a worker had taken from Redis but not run when Redis stopped waits, after the
    # restart, for RQ's maintenance to give it back (up to about two minutes): done here now.
    reclaim_abandoned_jobs(cluster.local_redis_url, older_than=time.monotonic() - redis_back)
    # Nothing is on the way once neither host holds events (journal or spool) and no job waits.
    hosts_idle = [log_idle(cluster.local_redis_url, cluster.root / host / "var" / "spool")
                  for host in ("web1", "web2")]

    def idle() -> bool:
        return all(host_idle() for host_idle in hosts_idle)

    drained = wait_for_log(engine, placed, 60, idle)
    assert log_problems(engine, placed) == []
    assert settled_backlog(cluster.local_redis_url, cluster.root / "web2" / "var" / "spool") == {
        "journal files": 0, "queued": 0, "intermediate": 0, "started": 0, "scheduled": 0,
        "failed": 0, "spooled files": 0}
    backend = cluster.haproxy_stats()["BACKEND"]
    figures(calls=len(placed), webhooks=len(driver.timings),
            resent_by_haproxy=f"{backend['wretr']} retries, {backend['wredis']} redispatches",
            killed_host_journal_events=len(killed_journal),
            cut_off_host_spooled_events=len(web2_spool),
            web1_passed_on_events=len(web1_spool), log_complete_s=round(drained, 1))


def figures(**values: object) -> None:
    """The numbers the README quotes; shown with ``pytest -s`` or ``-rP``."""
    print("[figures] several hosts: " + ", ".join(f"{k}={v}" for k, v in values.items()))
