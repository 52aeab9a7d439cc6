"""An SLA report as JSON, as CSV rows and as text, times in the hotline's zone (pure)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.contracts import Counted
from app.sla.report import MissedCall, SlaReport

CSV_COLUMNS = (
    "contract", "contract_name", "period", "first_day", "last_day", "timezone",
    "target_seconds", "target_percent", "counts", "calls", "counted", "answered",
    "answered_within_target", "answer_rate", "within_target_rate", "target_met",
    "median_seconds", "p90_seconds", "max_seconds", "missed", "missed_voicemail",
    "missed_hung_up", "voicemails", "voicemails_handled", "handled_median_seconds",
    "handled_max_seconds", "out_of_hours", "out_of_hours_answered", "rejected", "in_progress",
)
COUNTS_TEXT = {Counted.ALL: "every call counts", Counted.IN_HOURS: "calls in business hours count"}


def duration(seconds: float | None) -> str:
    """``48 s``, ``1 min 05 s``, ``2 h 05 min``, ``3 d 4 h``; ``–`` for nothing."""
    if seconds is None:
        return "–"
    total = round(seconds)
    if total < 60:
        return f"{total} s"
    if total < 3600:
        return f"{total // 60} min {total % 60:02d} s"
    minutes = total // 60
    if minutes < 24 * 60:
        return f"{minutes // 60} h {minutes % 60:02d} min"
    return f"{minutes // 1440} d {minutes % 1440 // 60} h"


def percent(rate: float | None) -> str:
    return "–" if rate is None else f"{100 * rate:.1f} %"


def target_text(report: SlaReport) -> str:
    target = report.target
    return (f"{target.percent:g} % of calls answered within {target.seconds} s "
            f"({COUNTS_TEXT[target.counts]})")


def verdict(report: SlaReport) -> str:
    if report.met is None:
        return "no calls to measure"
    return "met" if report.met else "missed"


def report_json(report: SlaReport, tz: ZoneInfo) -> dict[str, Any]:
    def when(moment: datetime) -> str:
        return moment.astimezone(tz).isoformat()

    return {
        "contract": report.contract, "contract_name": report.contract_name,
        "period": {"label": report.period.label, "first_day": report.period.first.isoformat(),
                   "last_day": report.period.last.isoformat(), "timezone": tz.key},
        "target": {"seconds": report.target.seconds, "percent": report.target.percent,
                   "counts": report.target.counts.value, "met": report.met},
        "calls": report.calls, "counted": report.counted, "answered": report.answered,
        "answered_within_target": report.answered_within, "answer_rate": report.answer_rate,
        "within_target_rate": report.within_rate,
        "time_to_answer": {"median": report.median, "p90": report.p90, "max": report.longest},
        "missed": {"count": report.missed_counted,
                   "calls": [_missed_json(m, when) for m in report.missed]},
        "voicemails": {"count": report.voicemails, "handled": report.voicemails_handled,
                       "handled_median_seconds": report.handled_median,
                       "handled_max_seconds": report.handled_longest},
        "out_of_hours": {"count": report.out_of_hours, "answered": report.out_of_hours_answered},
        "not_counted": {"rejected": report.rejected, "in_progress": report.in_progress},
    }


def _missed_json(missed: MissedCall, when: Any) -> dict[str, Any]:
    return {"call_sid": missed.call_sid, "started_at": when(missed.started_at),
            "caller": missed.caller, "outcome": missed.outcome,
            "waited_seconds": missed.waited, "counted": missed.counted,
            "handled_after_seconds": missed.handled_after}


def csv_row(report: SlaReport, tz: ZoneInfo) -> list[Any]:
    return [
        report.contract, report.contract_name, report.period.label, report.period.first,
        report.period.last, tz.key, report.target.seconds, report.target.percent,
        report.target.counts.value, report.calls, report.counted, report.answered,
        report.answered_within, _rate(report.answer_rate), _rate(report.within_rate),
        "" if report.met is None else ("yes" if report.met else "no"),
        report.median, report.p90, report.longest, report.missed_counted,
        report.missed_counts.get("voicemail", 0), report.missed_counts.get("abandoned", 0),
        report.voicemails,
        report.voicemails_handled, report.handled_median, report.handled_longest,
        report.out_of_hours, report.out_of_hours_answered, report.rejected, report.in_progress,
    ]


def reports_csv(reports: Iterable[SlaReport], tz: ZoneInfo) -> str:
    """One row per report under a header; empty cells where there is no value."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for report in reports:
        writer.writerow(["" if v is None else v for v in csv_row(report, tz)])
    return buffer.getvalue()


def _rate(rate: float | None) -> float | None:
    return None if rate is None else round(rate, 4)


def report_text(report: SlaReport, tz: ZoneInfo) -> str:
    period = report.period
    lines = [
        f"{report.contract_name} ({report.contract}), {period.label}: {period.first} to "
        f"{period.last}, {tz.key}",
        f"target: {target_text(report)}: {verdict(report)}",
        f"calls {report.calls}, counted {report.counted}, answered {report.answered} "
        f"({percent(report.answer_rate)}), within {report.target.seconds} s "
        f"{report.answered_within} ({percent(report.within_rate)})",
        f"time to answer: median {duration(report.median)}, p90 {duration(report.p90)}, "
        f"max {duration(report.longest)}",
        f"missed {report.missed_counted}, voicemails {report.voicemails} "
        f"({report.voicemails_handled} marked handled, median after "
        f"{duration(report.handled_median)})",
        f"out of hours {report.out_of_hours} ({report.out_of_hours_answered} answered), "
        f"rejected {report.rejected}, in progress {report.in_progress}",
    ]
    for m in report.missed:
        handled = f"handled after {duration(m.handled_after)}" if m.handled_after is not None \
            else "not handled"
        lines.append(f"  {m.started_at.astimezone(tz):%Y-%m-%d %H:%M:%S}  {m.caller or '–'}  "
                     f"{_missed_word(m)}, waited {duration(m.waited)}, {handled}"
                     + ("" if m.counted else " (not counted)"))
    return "\n".join(lines)


def _missed_word(missed: MissedCall) -> str:
    return "voicemail" if missed.outcome == "voicemail" else "hung up while waiting"
