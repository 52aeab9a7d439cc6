"""The report as rows: per person and rotation for payroll, and every segment and call-out for
checking a pay line by line; CSV text of either."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from app.allowances.policy import DAY_TYPES
from app.allowances.report import Line, Report, as_hours, cents

Names = Callable[[str], str]
ALL = "all"  # the rotation column of a person's total line


def summary_head(report: Report) -> list[str]:
    days = [f"{t}_days" for t in DAY_TYPES] if report.policy.rates.per == "day" else []
    return ["period", "person", "name", "rotation", *(f"{t}_hours" for t in DAY_TYPES), *days,
            "callouts", "amount", "currency"]


def summary_rows(report: Report, names: Names) -> list[list[str]]:
    """One row per person and rotation, then one per person with everything (rotation "all")."""
    ordered = [*report.lines, *report.totals]
    return [_summary_row(report, line, names) for line in ordered]


def _summary_row(report: Report, line: Line, names: Names) -> list[str]:
    days = [str(line.day_count(t)) for t in DAY_TYPES] if report.policy.rates.per == "day" else []
    total = line.rotation_id is None
    return [report.period.label, line.person, names(line.person), line.rotation_id or ALL,
            *(str(line.hours(t)) for t in DAY_TYPES), *days,
            str(line.callouts) if total else "", str(line.amount), report.policy.currency]


DETAIL_HEAD = ["period", "person", "name", "what", "rotation", "start", "end", "day", "day_type",
               "hours", "day_share", "amount", "currency", "reference"]


def detail_rows(report: Report, names: Names, zone: ZoneInfo) -> list[list[str]]:
    """Every segment (in its rotation's local time) and every call-out (in ``zone``), by person."""
    zones = {r.id: r.tz for r in report.rotations}
    fee = str(cents(report.policy.callout or Decimal(0)))
    rows: list[tuple[str, datetime, list[str]]] = []
    for s in report.segments:
        tz = zones[s.rotation_id]
        rows.append((s.person, s.start, [
            report.period.label, s.person, names(s.person),
            "override" if s.kind == "override" else "on call", s.rotation_id, _iso(s.start, tz),
            _iso(s.end, tz), s.day.isoformat(), s.day_type, str(as_hours(s.seconds)),
            _share(s.share), str(s.amount), report.policy.currency, s.override_id or ""]))
    for c in report.callouts:
        rows.append((c.person, c.at, [
            report.period.label, c.person, names(c.person), c.kind, "", _iso(c.at, zone), "",
            c.at.astimezone(zone).date().isoformat(), "", "", "", fee, report.policy.currency,
            c.ref]))
    rank = {line.person: i for i, line in enumerate(report.totals)}
    rows.sort(key=lambda row: (rank.get(row[0], len(rank)), row[1]))
    return [row for _, _, row in rows]


def _share(share: Fraction) -> str:
    """A day's share to four places: enough to check a day rate to the cent."""
    return str(Decimal(round(share * 10_000)).scaleb(-4))


def _iso(at: datetime, tz: ZoneInfo) -> str:
    return at.astimezone(tz).isoformat(timespec="minutes")


def as_csv(head: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """CSV text; a cell that a spreadsheet would run as a formula is quoted as text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(head)
    writer.writerows([_inert(cell) for cell in row] for row in rows)
    return buffer.getvalue()


def _inert(cell: str) -> str:
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell
