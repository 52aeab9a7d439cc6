"""Benchmark 1b: the incoming-call webhook with metrics on (METRICS_TOKEN set) against off.

The hotline runs twice under gunicorn with the same settings (app/gunicorn_conf.py, 2 workers),
once with ``METRICS_TOKEN`` and once without, and the two take turns under the same load
generator at the same concurrency, the order alternating from round to round as in
bench/webhooks.py; a ratio (on / off) is the median of the rounds' ratios. Both start fresh and
serve only these rounds: reused as the one without, the hotline just measured against the
floor came out 12 to 22% slower than the fresh metered one in three runs of four. After the
load the metered one's ``/metrics`` is scraped with the token: it must have counted every
webhook the load generator got an answer to, and the other must answer 404, or the pair
measured nothing.
"""

from __future__ import annotations

import statistics
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `app` and `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loadgen import LoadResult, run_load, sign_all  # noqa: E402
from bench.stack import AUTH_TOKEN, Server, Workspace, start_gunicorn  # noqa: E402
from bench.webhooks import Comparison, in_turn, incoming_forms, start_hotline  # noqa: E402

METRICS_TOKEN = "bench-metrics-token"
TIMED = "hotline_webhook_duration_seconds"
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class MetricsCost:
    """The paired rounds (``app``: metrics on, ``floor``: off) and what /metrics showed after."""

    comparison: Comparison
    answered: int  # requests the load generator got an answer to from the metered hotline
    counted: int  # webhooks its /metrics counted
    scrape_ms: float  # one scrape of /metrics after the load (median of a few)
    off_status: int  # /metrics of the other hotline: 404 when metrics are off

    @property
    def proven(self) -> bool:
        """Metrics were on for one and off for the other (the counts may include a request
        the load generator gave up on at the end of a round, never fewer)."""
        return self.off_status == 404 and self.counted >= self.answered > 0


def start_metrics_pair(space: Workspace) -> tuple[Server, Server]:
    """The hotline twice, fresh, with the same settings: metrics off, metrics on."""
    off = start_hotline(space, "hotline-metrics-off")
    on = start_gunicorn(space, "hotline-metrics-on", "app.wsgi:application",
                        METRICS_TOKEN=METRICS_TOKEN, PROMETHEUS_MULTIPROC_DIR="")
    return off, on


def compare_metrics(off: Server, on: Server, concurrency: int, seconds: float, rounds: int,
                    tool: str, distinct: int = 2000, scrapes: int = 5) -> MetricsCost:
    """Rounds of incoming calls against the hotline with metrics off and on, taking turns."""
    forms = incoming_forms(distinct)
    turns = [("off", off, sign_all(off.base, AUTH_TOKEN, forms)),
             ("on", on, sign_all(on.base, AUTH_TOKEN, forms))]
    runs: dict[str, list[LoadResult]] = {"off": [], "on": []}
    for round_ in range(rounds):
        for side, server, requests in in_turn(turns, round_):
            runs[side].append(run_load(server.base, requests, concurrency, seconds, tool))
    timings, counted = [], 0
    for _ in range(scrapes):
        began = time.perf_counter()
        counted = webhooks_counted(scrape(on.base, METRICS_TOKEN)[1])
        timings.append((time.perf_counter() - began) * 1000)
    answered = sum(r.requests - r.errors for r in runs["on"])
    return MetricsCost(Comparison("incoming call with metrics on / off", runs["on"], runs["off"]),
                       answered, counted, statistics.median(timings), scrape(off.base)[0])


def scrape(base: str, token: str | None = None) -> tuple[int, str]:
    """``GET /metrics`` (with the bearer token if given): status and body."""
    request = urllib.request.Request(f"{base}/metrics")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with _NO_PROXY.open(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, ""


def webhooks_counted(exposition: str) -> int:
    """Webhooks timed, over every endpoint, in a Prometheus text exposition."""
    from prometheus_client.parser import text_string_to_metric_families

    return int(sum(sample.value for family in text_string_to_metric_families(exposition)
                   if family.name == TIMED for sample in family.samples
                   if sample.name == f"{TIMED}_count"))


def main(argv: list[str] | None = None) -> int:
    from bench.loadgen import paired_rounds_arguments
    from bench.stack import workspace

    args = paired_rounds_arguments(__doc__.splitlines()[0], argv)
    with workspace() as space:
        off, on = start_metrics_pair(space)
        cost = compare_metrics(off, on, args.concurrency, args.seconds, args.rounds,
                               args.tool)
    c = cost.comparison
    print(f"{c.name}: {c.app.rps:.0f} req/s against {c.floor.rps:.0f} ({c.throughput_ratio:.2f}), "
          f"p99 {c.app.p99_ms:.1f} / {c.floor.p99_ms:.1f} ms ({c.p99_ratio:.2f})")
    print(f"/metrics: {cost.counted} webhooks counted of {cost.answered} answered, a scrape "
          f"{cost.scrape_ms:.1f} ms; the hotline without METRICS_TOKEN answers {cost.off_status}")
    return 0 if cost.proven else 1


if __name__ == "__main__":
    sys.exit(main())
