"""Benchmark: one contract's SLA report for a quarter, in a call log of a thousand and of a
million calls. The contract has the same calls in both; only everybody else's grow, so the
report should cost the same (it reads the contract's calls of the period through an index).

``python bench/slascale.py [--large N] [--database-url URL]`` runs it alone (PostgreSQL too).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `app` and `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text  # noqa: E402

from app.config import load_config  # noqa: E402
from app.schedule.periods import parse_period  # noqa: E402
from app.storage import get_engine, upgrade  # noqa: E402
from app.storage.models import Call  # noqa: E402
from app.storage.sla import contract_report  # noqa: E402
from bench.stack import DEMO_CONFIG  # noqa: E402

OWN_CALLS = 500  # the reported contract's calls in the quarter
CONTRACTS = 1000
START = datetime(2025, 1, 1, tzinfo=UTC)
QUARTER = parse_period("2026-Q4")
BATCH = 20_000


def fill(url: str, total: int) -> None:
    """``total`` calls over two years: ACME's ``OWN_CALLS`` in 2026-Q4, the rest spread over
    ``CONTRACTS`` other contracts (and the time before and after ACME's quarter)."""
    upgrade(url)
    quarter_start = datetime(2026, 10, 1, tzinfo=UTC)
    rows = ({"call_sid": f"CA{i:032d}", "contract": "acme" if i < OWN_CALLS else f"c{i % CONTRACTS}",
             "outcome": "connected" if i % 7 else "voicemail",
             "time_to_answer_seconds": float(5 + i % 90) if i % 7 else None,
             "waited_seconds": float(5 + i % 90), "out_of_hours": i % 5 == 0,
             "started_at": (quarter_start + timedelta(hours=i % (90 * 24)) if i < OWN_CALLS
                            else START + timedelta(seconds=(i * 37) % (730 * 86400)))}
            for i in range(total))
    engine = get_engine(url)
    with engine.begin() as conn:
        batch: list[dict[str, object]] = []
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                conn.execute(insert(Call), batch)
                batch = []
        if batch:
            conn.execute(insert(Call), batch)
        conn.execute(text("ANALYZE"))


def report_ms(url: str, rounds: int = 7) -> float:
    """The best of ``rounds`` runs of ACME's report for the quarter, in milliseconds."""
    config = load_config(DEMO_CONFIG)
    engine, best = get_engine(url), float("inf")
    for _ in range(rounds):
        began = time.perf_counter()
        report = contract_report(engine, config, config.contracts["acme"], QUARTER)
        best = min(best, time.perf_counter() - began)
        assert report.calls == OWN_CALLS, report.calls
    return best * 1000


def run_sla_scale(small: int, large: int, urls: tuple[str, str] | None = None) -> tuple[float, float]:
    """(ms with ``small`` calls, ms with ``large`` calls) in SQLite files, or in ``urls``."""
    with tempfile.TemporaryDirectory(prefix="hotline-sla-bench-") as folder:
        chosen = urls or (f"sqlite:///{folder}/small.db", f"sqlite:///{folder}/large.db")
        for url, total in zip(chosen, (small, large), strict=True):
            fill(url, max(total, OWN_CALLS))
        return report_ms(chosen[0]), report_ms(chosen[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--database-url", nargs=2, metavar=("SMALL", "LARGE"),
                        help="two empty databases (default: SQLite files in a temporary folder)")
    args = parser.parse_args()
    began = time.monotonic()
    small, large = run_sla_scale(args.small, args.large, args.database_url)
    print(f"SLA report, one contract, one quarter ({OWN_CALLS} calls): {small:.2f} ms with "
          f"{args.small:,} calls stored, {large:.2f} ms with {args.large:,}: ratio "
          f"{large / small:.2f} ({time.monotonic() - began:.0f} s in all)")


if __name__ == "__main__":
    main()
