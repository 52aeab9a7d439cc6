"""``python bench/several_hosts.py``: the call storm of bench/storm.py through haproxy onto two
web hosts, with two worker hosts and a data host (bench/hosts.py, network namespaces; root).

While the calls arrive, one web host is killed (SIGKILL); Redis stops; the killed host comes
back unable to reach the data host at all (it spools), is stopped, and comes back once Redis is
running again and its network mended (it hands its spool on). Then every call must be in the
log with the outcome and dial attempts the simulator saw, and nothing left on the way; RQ gives
back by itself, within about two minutes, a job a worker held when Redis stopped.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `app` and `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.hosts import Cluster  # noqa: E402
from bench.netns import said_unavailable  # noqa: E402
from bench.stack import AUTH_TOKEN, DEMO_CONFIG  # noqa: E402
from bench.storm import run_storm, summary_figures  # noqa: E402


def faults(cluster: Cluster, window: float, notes: dict[str, object]) -> None:
    """The schedule of faults, in seconds after the first call arrives."""
    began = time.monotonic()
    redis = next(p for p in cluster.processes if p.name == "redis")

    def at(fraction: float) -> None:
        time.sleep(max(0.0, began + fraction * window - time.monotonic()))

    at(0.25)
    next(p for p in cluster.processes if p.name == "web2").kill()
    notes["killed web2 at s"] = round(time.monotonic() - began, 1)
    at(0.4)
    redis.stop()
    cluster.net.cut("web2", cluster.data)
    web2 = cluster.start_web("web2")
    notes["Redis stopped at s"] = round(time.monotonic() - began, 1)
    at(0.6)
    web2.stop()
    notes["web2 spooled files"] = len(cluster.spool_files("web2"))
    at(0.7)
    redis.start()
    cluster.net.mend("web2", cluster.data)
    cluster.start_web("web2")
    notes["Redis back at s"] = round(time.monotonic() - began, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--window", type=float, default=40.0, help="seconds the calls arrive in")
    parser.add_argument("--speed", type=float, default=4.0, help="times Twilio's real pace")
    args = parser.parse_args(argv)
    if said_unavailable():
        return 1
    notes: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="hotline-hosts-") as folder, \
            Cluster(Path(folder), DEMO_CONFIG, AUTH_TOKEN) as cluster:
        cluster.start_all()
        cluster.wait_states({name: "UP" for name in cluster.webs}, 120)
        schedule = threading.Thread(target=faults, args=(cluster, args.window, notes), daemon=True)
        threading.Timer(1.0, schedule.start).start()  # the storm's first call comes after 1 s
        result = run_storm(cluster.base_url, cluster.local_redis_url, cluster.local_database_url,
                           args.calls, args.window, args.speed, drain_timeout=240)
        schedule.join()
        backend = cluster.haproxy_stats().get("BACKEND", {})
        figures = summary_figures(result)
    print(f"several hosts: {figures['calls']} calls over {args.window:g} s at {args.speed:g}x, "
          f"{figures['requests']} requests through haproxy onto 2 web hosts")
    print(f"  latency p50 {figures['p50_ms']:.0f} / p99 {figures['p99_ms']:.0f} / "
          f"max {figures['max_ms']:.0f} ms; failed requests and mismatches: {len(result.errors)}")
    print(f"  haproxy resent {backend.get('wretr', '?')} requests (retries), "
          f"{backend.get('wredis', '?')} to the other host (redispatches)")
    print("  " + ", ".join(f"{k}: {v}" for k, v in notes.items()))
    drained = result.drain_seconds
    print(f"  log complete {drained:.1f} s after the last call" if drained is not None
          else f"  log NOT complete: {result.mismatched[:5]}")
    for error in result.errors[:10]:
        print(f"  error: {error}")
    return 0 if drained is not None and not result.errors else 1


if __name__ == "__main__":
    sys.exit(main())
