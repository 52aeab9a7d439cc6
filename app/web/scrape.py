"""The series worked out when ``/metrics`` is read: configuration, on-call coverage ahead, the
call log's lag, the spool and the queues (Redis looked at within a deadline, app/web/probes.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from app.schedule.coverage import seconds_to_gap
from app.telemetry.directory import ENV
from app.web.runtime import Runtime

COVERAGE_DAYS = 7


class ScrapeCollector(Collector):
    """Gauges of one web process's view, read at scrape time."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[Metric]:
        yield from self.configuration()
        yield from self.coverage()
        yield from self.log()

    def configuration(self) -> Iterator[Metric]:
        rt = self.runtime
        applied = GaugeMetricFamily("hotline_config_applied",
                                    "1 when the configuration file as it is now runs, 0 when it was "
                                    "refused and the last good one runs instead.")
        applied.add_metric([], 0.0 if rt.config_errors else 1.0)
        info = GaugeMetricFamily("hotline_config_info", "The configuration running (its version).",
                                 labels=["version"])
        info.add_metric([str(rt.config.version)], 1.0)
        yield from (applied, info)

    def coverage(self) -> Iterator[Metric]:
        rt = self.runtime
        horizon = timedelta(days=COVERAGE_DAYS)
        now, index, rotations = rt.clock(), rt.overrides(), rt.config.rotations
        gap = GaugeMetricFamily("hotline_oncall_gap_seconds",
                                "Seconds until nobody is on call in a policy's rotation (overrides "
                                f"applied), looking {COVERAGE_DAYS} days ahead; the horizon when "
                                "covered throughout.", labels=["policy", "rotation"])
        for policy in rt.config.policies.values():
            rotation = rotations.get(policy.rotation)
            seconds = seconds_to_gap(rotation, index, now, horizon) if rotation else 0.0
            gap.add_metric([policy.id, policy.rotation], seconds)
        ahead = GaugeMetricFamily("hotline_oncall_horizon_seconds",
                                  "How far ahead coverage is looked at.")
        ahead.add_metric([], horizon.total_seconds())
        yield from (gap, ahead)

    def log(self) -> Iterator[Metric]:
        rt = self.runtime
        lag = rt.probes.lag(rt.clock())
        yield _gauge("hotline_log_lag_seconds",
                     "Age of the oldest call event not stored yet (queued, retrying or running "
                     "batches, and this host's spool).", lag.seconds)
        yield _gauge("hotline_spool_bytes", "Bytes of call events in this host's spool.",
                     float(lag.spool_bytes))
        yield _gauge("hotline_redis_up", "1 when Redis answered this scrape.",
                     0.0 if lag.redis is None else 1.0)
        if lag.redis is not None:
            jobs = GaugeMetricFamily("hotline_queue_jobs", "RQ jobs by queue and state.",
                                     labels=["queue", "state"])
            for (queue, state), count in sorted(lag.redis.depths.items()):
                jobs.add_metric([queue, state], float(count))
            yield jobs


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation)
    family.add_metric([], value)
    return family


class _Default(Collector):
    """The process's own registry (no metric directory: one process counts)."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def scrape_registry(runtime: Runtime) -> CollectorRegistry:
    """Every process's counters on this host (or this one's) and the scrape-time gauges."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get(ENV):
        MultiProcessCollector(registry)
    else:
        registry.register(_Default())
    registry.register(ScrapeCollector(runtime))
    return registry
