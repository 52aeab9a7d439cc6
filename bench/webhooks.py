"""Benchmark 1: the incoming-call and dial-result webhooks against a bare Flask floor.

Both servers run under gunicorn with app/gunicorn_conf.py (2 workers of the same threaded worker
class, app/server/worker.py) and take turns under the same load generator at the same
concurrency. Each round loads the floor and the hotline back to back, so both see the same
machine, and the order alternates from round to round (the second server of a pair measured a
few hundredths faster when the floor was run against itself); a ratio is the median of the
rounds' ratios, and the figures shown are the medians of the rounds.
"""

from __future__ import annotations

import secrets
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlencode

if __package__ in (None, ""):  # run as a script: make `app` and `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.calls.state import CallState, state_key  # noqa: E402
from app.config import load_config  # noqa: E402
from app.escalation import build_chain  # noqa: E402
from bench.loadgen import LoadResult, Signed, run_load, sign_all  # noqa: E402
from bench.stack import (  # noqa: E402
    ACME,
    AUTH_TOKEN,
    DEMO_CONFIG,
    HOTLINE,
    SECRET_KEY,
    Server,
    Workspace,
    start_gunicorn,
)

ACCOUNT = "AC" + "b" * 32
T = TypeVar("T")


def call_params(call_sid: str, status: str = "ringing") -> dict[str, str]:
    """What Twilio posts for an inbound call (the full set, geography included)."""
    return {
        "AccountSid": ACCOUNT, "ApiVersion": "2010-04-01", "CallSid": call_sid,
        "CallStatus": status, "Direction": "inbound", "From": ACME, "Caller": ACME,
        "To": HOTLINE, "Called": HOTLINE, "FromCity": "BERLIN", "FromState": "", "FromZip": "",
        "FromCountry": "DE", "CallerCity": "BERLIN", "CallerState": "", "CallerZip": "",
        "CallerCountry": "DE", "ToCity": "", "ToState": "", "ToZip": "", "ToCountry": "DE",
        "CalledCity": "", "CalledState": "", "CalledZip": "", "CalledCountry": "DE",
        "StirVerstat": "TN-Validation-Passed-A", "CallToken": secrets.token_hex(64),
    }


def incoming_forms(count: int) -> list[tuple[str, dict[str, str]]]:
    return [("/voice", call_params("CA" + secrets.token_hex(16))) for _ in range(count)]


def dial_result_forms(count: int) -> list[tuple[str, dict[str, str]]]:
    """The first engineer did not answer: the app logs it and dials the next step."""
    config = load_config(DEMO_CONFIG)
    plan = build_chain(config.policy, config.rotations, datetime.now(UTC))
    state = CallState("acme", plan.people, 0, config.version)
    query = urlencode(state.to_query(state_key(SECRET_KEY)))  # sealed as the server seals it
    forms = []
    for _ in range(count):
        params = call_params("CA" + secrets.token_hex(16), "in-progress")
        params.update(DialCallStatus="no-answer", DialCallSid="CA" + secrets.token_hex(16),
                      DialCallDuration="0", DialBridged="false")
        forms.append((f"/voice/dial-result?{query}", params))
    return forms


@dataclass(frozen=True)
class Comparison:
    name: str
    app_rounds: list[LoadResult]
    floor_rounds: list[LoadResult]

    @property
    def app(self) -> LoadResult:
        return median_result(self.app_rounds)

    @property
    def floor(self) -> LoadResult:
        return median_result(self.floor_rounds)

    @property
    def throughput_ratio(self) -> float:
        return paired_median(self, lambda app, floor: app.rps / floor.rps if floor.rps else 0.0)

    @property
    def p99_ratio(self) -> float:
        return paired_median(self, lambda app, floor: app.p99_ms / floor.p99_ms if floor.p99_ms else 0.0)


def paired_median(c: Comparison, ratio: Callable[[LoadResult, LoadResult], float]) -> float:
    """The median over rounds of a ratio taken within each round (drift cancels in a pair)."""
    return statistics.median(ratio(app, floor) for app, floor in zip(c.app_rounds, c.floor_rounds,
                                                                      strict=True))


def median_result(results: list[LoadResult]) -> LoadResult:
    """Per-figure medians of several rounds (errors are summed: any error counts)."""
    return LoadResult(
        requests=int(statistics.median(r.requests for r in results)),
        seconds=statistics.median(r.seconds for r in results),
        errors=sum(r.errors for r in results),
        p50_ms=statistics.median(r.p50_ms for r in results),
        p99_ms=statistics.median(r.p99_ms for r in results),
        max_ms=max(r.max_ms for r in results),
    )


def start_pair(space: Workspace) -> tuple[Server, Server]:
    """The hotline and the floor, both under gunicorn with the production settings."""
    app = start_hotline(space)
    floor = start_gunicorn(space, "floor-web", "bench.floor_app:application")
    return app, floor


def start_hotline(space: Workspace, name: str = "hotline-web") -> Server:
    """The hotline with metrics off (its default), whatever this environment sets."""
    return start_gunicorn(space, name, "app.wsgi:application", METRICS_TOKEN="",
                          PROMETHEUS_MULTIPROC_DIR="")


def in_turn(turns: list[T], round_: int) -> list[T]:
    """The servers of a pair in this round's order: who goes first alternates."""
    return turns if round_ % 2 == 0 else turns[::-1]


def compare(app: Server, floor: Server, concurrency: int, seconds: float, rounds: int,
            tool: str, distinct: int = 2000) -> list[Comparison]:
    """Rounds of floor and hotline for each webhook, in alternating order (drift hits both alike)."""
    kinds = {"incoming call": incoming_forms(distinct), "dial result": dial_result_forms(distinct)}
    signed: dict[str, tuple[list[Signed], list[Signed]]] = {
        name: (sign_all(app.base, AUTH_TOKEN, forms), sign_all(floor.base, AUTH_TOKEN, forms))
        for name, forms in kinds.items()
    }
    runs: dict[tuple[str, str], list[LoadResult]] = {}
    for round_ in range(rounds):
        for name, (for_app, for_floor) in signed.items():
            turns = [("floor", floor, for_floor), ("app", app, for_app)]
            for side, server, requests in in_turn(turns, round_):
                runs.setdefault((name, side), []).append(
                    run_load(server.base, requests, concurrency, seconds, tool))
    return [Comparison(name, runs[(name, "app")], runs[(name, "floor")]) for name in kinds]


def main(argv: list[str] | None = None) -> int:
    from bench.loadgen import paired_rounds_arguments
    from bench.stack import workspace

    args = paired_rounds_arguments(__doc__.splitlines()[0], argv)
    with workspace() as space:
        app, floor = start_pair(space)
        for c in compare(app, floor, args.concurrency, args.seconds, args.rounds,
                         args.tool):
            print(f"{c.name}: {c.app.rps:.0f} req/s against {c.floor.rps:.0f} "
                  f"({c.throughput_ratio:.2f}), p99 {c.app.p99_ms:.1f} / {c.floor.p99_ms:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
