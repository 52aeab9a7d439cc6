"""Simulated calls placed over HTTP against a running web tier, every webhook timed.

``CallDriver`` places the calls of ``CallPlan``s from a thread pool, a fresh seeded simulator
per call; each ``PlacedCall`` keeps the plan and what the simulator saw.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from app.devtools.simulator import (
    CallerScript,
    CallResult,
    HttpTransport,
    PhoneScript,
    Response,
    Simulator,
)
from tests.support.constants import AUTH_TOKEN, HOTLINE


@dataclass(frozen=True)
class Timing:
    """One webhook request: when it started (monotonic), how long it took, what it answered."""

    at: float
    seconds: float
    path: str
    status: int


class TimedTransport:
    """Real HTTP (the simulator's transport) that times every request; ``delays`` holds
    requests to some paths back (a callback that comes late)."""

    def __init__(self, timings: list[Timing], timeout: float = 10.0,
                 delays: Mapping[str, float] | None = None) -> None:
        self._http = HttpTransport(timeout)
        self._timings = timings
        self._delays = dict(delays or {})

    def post(self, url: str, params: dict[str, str], headers: dict[str, str]) -> Response:
        time.sleep(self._delays.get(urlsplit(url).path, 0.0))
        start = time.monotonic()
        status = 0
        try:
            response = self._http.post(url, params, headers)
            status = response.status
            return response
        finally:
            self._timings.append(Timing(start, time.monotonic() - start, urlsplit(url).path, status))


@dataclass(frozen=True)
class CallPlan:
    """Who calls and what everybody's phone does.

    ``identified``: a customer, by caller ID, or by PIN when ``script.digits`` enters one
    (``by_pin``); ``blocked``: the caller is on the configuration's blocklist.
    """

    caller: str
    script: CallerScript = CallerScript()
    phones: Mapping[str, PhoneScript] = field(default_factory=dict)
    identified: bool = True
    by_pin: bool = False
    blocked: bool = False


@dataclass
class PlacedCall:
    plan: CallPlan
    result: CallResult


class CallDriver:
    """Places calls against a running web tier, a fresh seeded simulator per call."""

    def __init__(self, base_url: str, seed: int = 0, delays: Mapping[str, float] | None = None,
                 **options: Any) -> None:
        self.base_url = base_url
        self.seed = seed
        self.delays = delays
        self.options = options
        self.timings: list[Timing] = []
        self.done = 0

    def place(self, index: int, plan: CallPlan) -> PlacedCall:
        transport = TimedTransport(self.timings, delays=self.delays)
        sim = Simulator(transport, AUTH_TOKEN, voice_url=f"{self.base_url}/voice",
                        status_callback_url=f"{self.base_url}/voice/status",
                        seed=self.seed * 1_000_000 + index, **self.options)
        return PlacedCall(plan, sim.place_call(plan.caller, HOTLINE, plan.script, plan.phones))

    def run(self, plans: Sequence[CallPlan], threads: int = 4) -> list[PlacedCall]:
        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(self.place, range(len(plans)), plans))

    def stream(self, plan_for: Callable[[int], CallPlan], threads: int,
               stop: threading.Event) -> list[PlacedCall]:
        """Place call after call from ``threads`` threads until ``stop`` is set; ``done``
        counts the calls finished so far (for a test that acts in the middle of a burst)."""
        placed: list[PlacedCall] = []
        numbers = itertools.count()
        lock = threading.Lock()

        def caller() -> None:
            while not stop.is_set():
                with lock:
                    index = next(numbers)
                call = self.place(index, plan_for(index))
                with lock:
                    placed.append(call)
                    self.done += 1

        with ThreadPoolExecutor(threads) as pool:
            for future in [pool.submit(caller) for _ in range(threads)]:
                future.result()
        return placed

    def failed_requests(self) -> list[Timing]:
        return [t for t in self.timings if t.status != 200]


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` in 0..1); 0.0 for no values."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def latency_ms(timings: Sequence[Timing]) -> tuple[float, float]:
    """(p50, p99) in milliseconds."""
    seconds = [t.seconds for t in timings]
    return percentile(seconds, 0.5) * 1000, percentile(seconds, 0.99) * 1000
