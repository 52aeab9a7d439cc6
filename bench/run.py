"""``python bench/run.py [--quick]``: every benchmark side by side in one run, one table.

Figures are ratios to a floor measured in the same run, or percentiles: this machine is shared
and noisy, so no absolute number here is a pass mark on its own. ``--quick`` is a one-minute
smoke run; ``--smoke`` the smallest run (the test suite's); ``--profile DIR`` records py-spy
flame graphs of the web workers under the incoming-call load.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `app` and `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import (  # noqa: E402
    Server,
    Workspace,
    memory_mib,
    start_gunicorn,
    start_workers,
    workspace,
)


@dataclass(frozen=True)
class Size:
    concurrency: int
    seconds: float
    rounds: int
    storm_calls: int
    storm_window: float
    storm_speed: float
    storm_processes: int
    log_calls: int
    fork_jobs: int
    scale_small: int
    scale_large: int
    scale_samples: int
    alert_groups: int


SIZES = {
    "full": Size(16, 3.0, 8, 500, 30.0, 2.0, 4, 200, 300, 1_000, 1_000_000, 20_000, 100),
    "quick": Size(16, 2.0, 1, 60, 5.0, 8.0, 4, 30, 60, 1_000, 100_000, 5_000, 100),
    "smoke": Size(4, 1.0, 1, 6, 0.5, 50.0, 2, 4, 8, 100, 1_000, 500, 6),
}


@dataclass
class Row:
    section: str
    name: str
    measured: str
    floor: str = ""
    ratio: str = ""
    target: str = ""
    ok: bool | None = None  # None: for information, no target
    errors: int = 0


@dataclass
class Report:
    mode: str
    rows: list[Row] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)

    def add(self, *args: object, **kwargs: object) -> None:
        self.rows.append(Row(*args, **kwargs))  # type: ignore[arg-type]

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.rows)


def verdict(ok: bool | None) -> str:
    return "" if ok is None else "pass" if ok else "MISS"


def render(report: Report) -> str:
    lines = [f"hotline benchmarks ({report.mode} run)", ""]
    lines += [f"- {k}: {v}" for k, v in report.facts.items()]
    head = ("benchmark", "measured", "floor / reference", "ratio", "target", "result", "errors")
    lines += ["", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in report.rows:
        cells = (f"{r.section}: {r.name}", r.measured, r.floor, r.ratio, r.target, verdict(r.ok),
                 str(r.errors))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine_facts(tool: str) -> dict[str, str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next((line.split(":", 1)[1].strip() for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), "?")
    tool_text = tool
    if tool == "wrk":
        out = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
        tool_text = (out.stdout or out.stderr).split("[")[0].strip() or "wrk"
    return {
        "machine": f"{os.cpu_count()} CPUs (nproc), {cpu}, {mem} memory, Linux {platform.release()}",
        "python": platform.python_version(),
        "load generator": tool_text,
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


# -- the sections ---------------------------------------------------------------------------------
def webhooks_section(report: Report, space: Workspace, size: Size, tool: str,
                     profile: Path | None) -> None:
    from bench.metrics_cost import start_metrics_pair
    from bench.webhooks import compare, start_pair

    with ThreadPoolExecutor(1) as pool:  # the metrics pair boots while the others do
        metrics_pair = pool.submit(start_metrics_pair, space)
        app, floor = start_pair(space)
        off, on = metrics_pair.result()
    recorders = start_profiles(app.worker_pids(), profile, size.seconds * 2) if profile else []
    results = compare(app, floor, size.concurrency, size.seconds, size.rounds, tool)
    for process in recorders:
        process.wait()
    for c in results:
        name = f"{c.name} (c={size.concurrency})"
        report.add("webhook", f"{name} throughput", f"{c.app.rps:.0f} req/s",
                   f"{c.floor.rps:.0f} req/s", f"{c.throughput_ratio:.2f}", ">= 0.70",
                   c.throughput_ratio >= 0.7, c.app.errors + c.floor.errors)
        report.add("webhook", f"{name} p50 / p99",
                   f"{c.app.p50_ms:.1f} / {c.app.p99_ms:.1f} ms",
                   f"{c.floor.p50_ms:.1f} / {c.floor.p99_ms:.1f} ms", f"{c.p99_ratio:.2f} (p99)",
                   "p99 <= 2x floor", c.p99_ratio <= 2.0)
    for server in (app, floor):
        space.stop(server.process)
    metrics_rows(report, size, tool, off, on)
    for server in (off, on):
        space.stop(server.process)


def metrics_rows(report: Report, size: Size, tool: str, off: Server, on: Server) -> None:
    """What metrics cost: the hotline with METRICS_TOKEN (``on``) against ``off``, in paired
    rounds (two at least, so that each goes first once)."""
    from bench.metrics_cost import compare_metrics

    cost = compare_metrics(off, on, size.concurrency, size.seconds, max(2, size.rounds), tool)
    c = cost.comparison
    report.add("webhook", f"{c.name} (c={size.concurrency})",
               f"{c.app.rps:.0f} req/s, p99 {c.app.p99_ms:.1f} ms",
               f"{c.floor.rps:.0f} req/s, p99 {c.floor.p99_ms:.1f} ms",
               f"{c.throughput_ratio:.2f} / {c.p99_ratio:.2f} (p99)", "throughput >= 0.90",
               c.throughput_ratio >= 0.9, c.app.errors + c.floor.errors)
    report.add("webhook", "/metrics after the load (webhooks counted / answered)",
               f"{cost.counted} / {cost.answered}, a scrape {cost.scrape_ms:.1f} ms", "", "",
               "counts every webhook; 404 with metrics off", cost.proven, 0 if cost.proven else 1)


def start_profiles(pids: list[int], folder: Path, seconds: float) -> list[subprocess.Popen[bytes]]:
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")
    folder.mkdir(parents=True, exist_ok=True)
    return [subprocess.Popen([spy, "record", "--pid", str(pid), "--duration", str(max(1, round(seconds))),
                              "--rate", "200", "--output", str(folder / f"web-worker-{pid}.svg")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for pid in pids]


def storm_section(report: Report, space: Workspace, size: Size) -> None:
    from redis import Redis

    from bench.logpipe import fresh_database
    from bench.storm import run_storm, summary_figures

    with Redis.from_url(space.redis.url) as redis:
        redis.flushdb()  # nothing left over from the webhook benchmark
    database = fresh_database(space, "storm")
    web = start_gunicorn(space, "storm-web", "app.wsgi:application", DATABASE_URL=database)
    workers = start_workers(space, 2, DATABASE_URL=database)
    result = run_storm(web.base, space.redis.url, database, size.storm_calls,
                       size.storm_window, size.storm_speed, size.storm_processes)
    f = summary_figures(result)
    report.add("storm", f"{f['calls']} calls over {size.storm_window:g} s at {size.storm_speed:g}x "
                        f"Twilio's pace, {f['twiml_min']}-{f['twiml_max']} TwiML webhooks per call "
                        f"({f['requests']} requests with callbacks)",
               f"p50 {f['p50_ms']:.0f} / p99 {f['p99_ms']:.0f} / max {f['max_ms']:.0f} ms", "", "",
               "0 errors, max <= 1000 ms", not result.errors and f["max_ms"] <= 1000,
               len(result.errors))
    report.add("storm", "outcomes", f"{f['connected']} connected, {f['voicemail']} voicemail "
               "(engineers already on a call are skipped)")
    drained = result.drain_seconds
    report.add("storm", f"log drained after the last call ({result.stored} calls stored, "
                        "each with the simulator's outcome and attempts)",
               f"{drained:.1f} s" if drained is not None else "not drained", "", "",
               "drains completely", drained is not None, len(result.mismatched))
    pids = web.worker_pids()
    for n, pid in enumerate(pids, 1):
        rss, pss = memory_mib(pid)
        report.add("memory", f"web worker {n} of {len(pids)} after the storm",
                   f"RSS {rss:.0f} MiB, PSS {pss:.0f} MiB")
    for n, process in enumerate(workers, 1):
        rss, pss = memory_mib(process.pid)
        report.add("memory", f"log worker {n} of {len(workers)} (SimpleWorker) after the storm",
                   f"RSS {rss:.0f} MiB, PSS {pss:.0f} MiB")
    for process in [web.process, *workers]:
        space.stop(process)


def alerts_section(report: Report, space: Workspace, size: Size) -> None:
    from bench.alertstorm import ALERTS_PER_POST, run_alert_storm
    from bench.logpipe import fresh_database

    groups = size.alert_groups
    r = run_alert_storm(space, fresh_database(space, "alerts"), groups)
    half = groups // 2
    report.add("alerts", f"{r.posts} Alertmanager posts of {ALERTS_PER_POST} alerts at once "
                         f"({half} exact repeats, {groups - half} resolving)",
               f"p50 {r.p50_ms:.1f} / p99 {r.p99_ms:.1f} ms per post", "", "", "0 failures",
               r.failures == 0, r.failures)
    report.add("alerts", "repeats deduplicated by the web tier", f"{r.repeats_deduplicated}",
               "", "", f"{half}", r.repeats_deduplicated == half)
    wrong = r.groups_called_twice + r.still_firing_uncalled
    report.add("alerts", "one notify worker drains the queue (calls placed, groups called twice)",
               f"{r.drain_seconds:.1f} s" if r.drain_seconds is not None else "not drained",
               f"{r.calls} calls, {r.groups_called_twice} twice", "",
               "drains; each firing group called once", r.drain_seconds is not None and not wrong,
               wrong)


def logpipe_section(report: Report, space: Workspace, size: Size) -> None:
    from bench.logpipe import call_webhooks, run_pipeline
    from bench.postgres import bin_dir, postgres_server

    webhooks = call_webhooks(size.log_calls)
    backends: list[tuple[str, str | None]] = [("SQLite", None)]
    with contextlib.ExitStack() as stack:
        if bin_dir() is not None:
            backends.append(("PostgreSQL", stack.enter_context(postgres_server())))
        else:
            report.add("log", "PostgreSQL: not installed here, no PostgreSQL rows", "")
        for backend, server in backends:
            out = run_pipeline(space, size.log_calls, size.fork_jobs, postgres=server,
                               webhooks=webhooks)
            logpipe_rows(report, backend, size, out)


def logpipe_rows(report: Report, backend: str, size: Size, out: dict[str, Any]) -> None:
    per_hook, batched = out["results"][0], out["results"][1]
    note = (f"{out['events_per_call']:.1f} events per call, "
            f"{out['webhooks_per_job']} webhooks per batched job")
    report.add("log", f"{backend}: events of {size.log_calls} calls ({note})", "", "", "", "")
    for r in out["results"][2:]:
        floor_row = batched if "batched" in r.name else per_hook
        ratio = r.per_second / floor_row.per_second if floor_row.per_second else 0.0
        target, ok = "", None
        if r.name.startswith("store_events"):
            target, ok = ">= 0.30 of the floor", ratio >= 0.3
        elif r.name == "RQ SimpleWorker x2, batched":
            target, ok = ">= 1500 events/s", r.per_second >= 1500
        report.add("log", f"{backend}: {r.name} ({r.jobs} jobs)", f"{r.per_second:.0f} events/s",
                   f"{floor_row.per_second:.0f} events/s", f"{ratio:.3f}", target, ok)


def scale_section(report: Report, size: Size) -> None:
    from bench.datascale import run_scale

    for row in run_scale(size.scale_small, size.scale_large, 5, size.scale_samples):
        flat = row.what.startswith(("incoming-call flow", "who is on call", "caller lookup: normalise"))
        report.add("scale", row.what, f"{row.large:.2f} us ({row.large_label})",
                   f"{row.small:.2f} us ({row.small_label})", f"{row.ratio:.2f}",
                   "flat (<= 1.5x)" if flat else "", (row.ratio <= 1.5) if flat else None)
    from bench.slascale import OWN_CALLS, run_sla_scale

    small, large = run_sla_scale(size.scale_small, size.scale_large)
    report.add("scale", f"SLA report: one contract's quarter ({OWN_CALLS} calls)",
               f"{large:.2f} ms ({size.scale_large:,} calls stored)",
               f"{small:.2f} ms ({size.scale_small:,} calls stored)", f"{large / small:.2f}",
               "flat (<= 1.5x)", large / small <= 1.5)


def console_section(report: Report, mode: str) -> None:
    from bench.console import CONSOLE_SIZES, run
    from bench.postgres import bin_dir

    calls, repeat = CONSOLE_SIZES[mode]
    kinds = ("sqlite", "postgresql") if bin_dir() is not None else ("sqlite",)
    for t in run(calls, kinds, repeat):
        name = f"{t.database}: {t.page} ({calls:,} calls)"
        if t.note:
            report.add("console", name, t.note)
        else:
            report.add("console", name, f"p50 {t.median_ms:.0f} / p95 {t.p95_ms:.0f} ms",
                       f"CPU {t.cpu_ms:.0f} ms", "", f"p95 <= {t.budget_ms:.0f} ms at 1M")


SECTIONS = ("webhooks", "storm", "alerts", "log", "scale", "console")


def run_all(mode: str = "full", only: tuple[str, ...] = SECTIONS, tool: str = "auto",
            profile: Path | None = None) -> Report:
    """Run the chosen sections at the chosen size; returns the table's rows."""
    from bench.loadgen import load_tool

    size = SIZES[mode]
    tool = load_tool(tool)
    report = Report(mode, facts=machine_facts(tool))
    began = time.monotonic()
    with workspace() as space:
        if "webhooks" in only:
            webhooks_section(report, space, size, tool, profile)
        if "storm" in only:
            storm_section(report, space, size)
        if "alerts" in only:
            alerts_section(report, space, size)
        if "log" in only:
            logpipe_section(report, space, size)
    if "scale" in only:
        scale_section(report, size)
    if "console" in only:
        console_section(report, mode)
    report.facts["load average at end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    report.facts["run time"] = f"{time.monotonic() - began:.0f} s"
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quick", action="store_const", const="quick", dest="mode",
                       help="a one-minute smoke run with smaller figures")
    group.add_argument("--smoke", action="store_const", const="smoke", dest="mode",
                       help="the smallest run: proves the harness works, measures nothing")
    parser.add_argument("--only", action="append", choices=SECTIONS,
                        help="run this section only (repeatable)")
    parser.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto",
                        help="load generator for the webhook benchmark (auto: wrk if installed)")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="write py-spy flame graphs of the web workers to DIR")
    args = parser.parse_args(argv)
    report = run_all(args.mode or "full", tuple(args.only or SECTIONS), args.tool, args.profile)
    print(render(report))
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
