"""Benchmark 4: the per-call cost of caller lookup and "who is on call" as the data grows.

Caller lookup with 1 000 and with 1 000 000 contract numbers (the directory alone, and the whole
incoming-call flow); who is on call with no overrides and with five years of them (lookup, and
the index build the override cache repeats every few seconds).
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `app` and `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.calls.flow import CallFlow  # noqa: E402
from app.config import HotlineConfig, load_config  # noqa: E402
from app.contracts import Contract, ContractDirectory, Tier, normalise_number  # noqa: E402
from app.guard.port import LocalGuard  # noqa: E402
from app.schedule import Override, OverrideIndex, on_call_with_overrides  # noqa: E402
from bench.stack import DEMO_CONFIG, HOTLINE  # noqa: E402

NUMBERS_PER_CONTRACT = 10


@dataclass(frozen=True)
class ScaleRow:
    what: str
    small: float   # microseconds per operation at the small size
    large: float   # ... at the large size
    small_label: str
    large_label: str

    @property
    def ratio(self) -> float:
        return self.large / self.small if self.small else 0.0


def contracts(numbers: int) -> list[Contract]:
    """``numbers`` caller numbers, ten per contract (German landlines, all valid E.164)."""
    return [
        Contract(f"c{i}", f"Customer {i}", f"{i:08d}",
                 tuple(f"+4930{i * NUMBERS_PER_CONTRACT + n:08d}" for n in range(NUMBERS_PER_CONTRACT)),
                 Tier.ALWAYS)
        for i in range(max(1, numbers // NUMBERS_PER_CONTRACT))
    ]


def per_call_us(operation: Callable[[Any], object], inputs: list[Any]) -> float:
    """One pass over ``inputs``, in microseconds per call."""
    began = time.perf_counter()
    for item in inputs:
        operation(item)
    return (time.perf_counter() - began) / len(inputs) * 1e6


def interleaved(pairs: list[tuple[Callable[[Any], object], list[Any]]], rounds: int = 7) -> list[float]:
    """Each (operation, inputs) measured in turn, ``rounds`` times; the best pass of each.

    Taking turns keeps a noisy neighbour from favouring one size over the other.
    """
    best = [float("inf")] * len(pairs)
    for _ in range(rounds):
        for i, (operation, inputs) in enumerate(pairs):
            best[i] = min(best[i], per_call_us(operation, inputs))
    return best


def caller_rows(small: int, large: int, samples: int) -> list[ScaleRow]:
    config = load_config(DEMO_CONFIG)
    rng = random.Random(7)
    now = datetime.now(UTC)
    kinds: dict[str, list[tuple[Callable[[Any], object], list[Any]]]] = {
        "directory": [], "identify": [], "flow": []}
    for size in (small, large):
        book = contracts(size)
        directory = ContractDirectory(book)
        callers = [rng.choice(rng.choice(book).numbers) for _ in range(samples)]
        kinds["directory"].append((directory.by_caller, callers))
        kinds["identify"].append((partial(_identify, directory), callers))
        scaled: HotlineConfig = dataclasses.replace(config, contracts={c.id: c for c in book})
        flow = CallFlow(scaled, lambda endpoint, query: f"https://hotline.example/{endpoint}",
                        now, guard=LocalGuard())
        forms = [{"CallSid": f"CA{i:032x}", "From": raw, "To": HOTLINE}
                 for i, raw in enumerate(callers[: samples // 10])]
        if flow.incoming(forms[0]).template != "greeting":
            raise RuntimeError("a known caller was not greeted: the benchmark data is wrong")
        kinds["flow"].append((flow.incoming, forms))
    figures = {name: interleaved(pairs) for name, pairs in kinds.items()}
    labels = (f"{small:,} numbers", f"{large:,} numbers")
    names = {"directory": "caller lookup: directory.by_caller",
             "identify": "caller lookup: normalise + by_caller",
             "flow": "incoming-call flow (identify, route, chain)"}
    return [ScaleRow(names[kind], small_us, large_us, *labels)
            for kind, (small_us, large_us) in figures.items()]


def _identify(directory: ContractDirectory, raw: str) -> Contract | None:
    return directory.by_caller(normalise_number(raw, "DE"))


def overrides(years: int, rotation_ids: list[str], people: list[str], start: datetime) -> list[Override]:
    """Shift swaps as a busy team makes them: most days one, some days two, in every rotation."""
    rng = random.Random(11)
    out: list[Override] = []
    for day in range(years * 365):
        for _ in range(rng.choice((0, 1, 1, 2))):
            begin = start + timedelta(days=day, hours=rng.randrange(24))
            rotation = rng.choice([*rotation_ids, None])
            out.append(Override(str(len(out)), rotation, rng.choice(people), begin,
                                begin + timedelta(hours=rng.choice((2, 8, 12, 24, 72)))))
    return out


def on_call_rows(years: int, samples: int) -> tuple[list[ScaleRow], int]:
    config = load_config(DEMO_CONFIG)
    rotation = config.rotations[config.policy.rotation]
    start = datetime(2026, 1, 5, tzinfo=UTC)
    history = overrides(years, list(config.rotations), list(config.people), start)
    rng = random.Random(5)
    span = (years * 365 * 24 * 3600)
    moments = [start + timedelta(seconds=rng.randrange(span)) for _ in range(samples)]
    indexes, builds = [], []
    for items in ([], history):
        began = time.perf_counter()
        indexes.append(OverrideIndex(items))
        builds.append((time.perf_counter() - began) * 1e6)
    lookups = interleaved([(partial(on_call_with_overrides, rotation, index), moments)
                           for index in indexes])
    labels = ("no overrides", f"{years} years ({len(history):,} overrides)")
    return [
        ScaleRow("who is on call (overrides applied)", lookups[0], lookups[1], *labels),
        ScaleRow("override index build (per cache refresh)", builds[0], builds[1], *labels),
    ], len(history)


def run_scale(small: int, large: int, years: int, samples: int) -> list[ScaleRow]:
    rows = caller_rows(small, large, samples)
    more, _count = on_call_rows(years, samples)
    return rows + more


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000, help="contract numbers, small size")
    parser.add_argument("--large", type=int, default=1_000_000, help="contract numbers, large size")
    parser.add_argument("--years", type=int, default=5, help="years of overrides")
    parser.add_argument("--samples", type=int, default=20_000, help="operations timed per size")
    args = parser.parse_args(argv)
    for row in run_scale(args.small, args.large, args.years, args.samples):
        print(f"{row.what}: {row.large:.2f} us ({row.large_label}) / {row.small:.2f} us "
              f"({row.small_label}) = {row.ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
