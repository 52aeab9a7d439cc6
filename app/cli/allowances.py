"""``hotline report allowances``: on-call time and pay per person for a pay period."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from app.allowances import DAY_TYPES, PAY_PERIOD_YEARS, AllowancePolicy, Line, Report
from app.allowances.export import (
    DETAIL_HEAD,
    Names,
    as_csv,
    detail_rows,
    summary_head,
    summary_rows,
)
from app.allowances.report import as_hours
from app.cli.common import config_option, load_or_exit
from app.config import HotlineConfig
from app.schedule.periods import parse_period, period_of
from app.storage.allowances import period_report
from app.storage.db import default_database_url, get_engine


@click.command("allowances")
@click.option("--period", metavar="PERIOD",
              help="2026-12, 2026-Q4, 2026-W49 or 2026-12-01..2026-12-15 (default: the current period).")
@click.option("--person", metavar="ID", help="Only this person's lines.")
@click.option("--detail", is_flag=True, help="Every on-call segment and call-out, one a line.")
@click.option("--csv", "as_csv_text", is_flag=True, help="CSV for payroll instead of a table.")
@click.option("--database-url", envvar="DATABASE_URL", metavar="URL",
              help="Defaults to $DATABASE_URL, else the SQLite file in the var folder.")
@config_option
def allowances_command(period: str | None, person: str | None, detail: bool, as_csv_text: bool,
                       database_url: str | None, config_path: Path | None) -> None:
    """On-call allowances: hours on call by day type, call-outs and the amount, per person.

    Shift swaps count for whoever took over; each rotation's days are split at its own
    local midnight.
    """
    config = load_or_exit(config_path)
    policy = config.allowances
    if policy is None:
        raise click.ClickException("no [allowances] section in the configuration")
    if person is not None and person not in config.people:
        raise click.BadParameter(f"no person {person!r}; known: {', '.join(config.people)}",
                                 param_hint="--person")
    hotline = ZoneInfo(config.hotline.timezone)
    try:
        span = parse_period(period, PAY_PERIOD_YEARS) if period else period_of(
            datetime.now(UTC).astimezone(hotline).date(), policy.period)
    except ValueError as exc:
        raise click.BadParameter(f"{exc}", param_hint="--period") from None
    engine = get_engine(database_url or default_database_url())
    try:
        with Session(engine) as session:
            report = period_report(session, config, policy, span)
    except (OperationalError, ProgrammingError) as exc:
        raise click.ClickException(f"cannot read the database {engine.url!r} (run "
                                   f"`hotline migrate`): {exc.orig}") from None
    if person is not None:
        report = report.only(person)
    click.echo(_output(report, config, detail, as_csv_text), nl=False)


def _output(report: Report, config: HotlineConfig, detail: bool, csv_text: bool) -> str:
    def name(person_id: str) -> str:
        found = config.people.get(person_id)
        return found.name if found is not None else person_id

    hotline = ZoneInfo(config.hotline.timezone)
    if csv_text:
        if detail:
            return as_csv(DETAIL_HEAD, detail_rows(report, name, hotline))
        return as_csv(summary_head(report), summary_rows(report, name))
    lines = [*_heading(report), ""]
    if detail:
        lines += _detail(report, name, hotline)
    else:
        for rotation in report.rotations:
            lines.append(f"rotation {rotation.id} ({rotation.timezone})")
            lines += _table(report, report.of_rotation(rotation.id), name, callouts=False)
            lines.append("")
        lines.append("per person")
        lines += _table(report, list(report.totals), name, callouts=True)
    return "\n".join(lines) + "\n"


def _heading(report: Report) -> list[str]:
    policy, period = report.policy, report.period
    rates = policy.rates
    text = [f"On-call allowances {period.label} ({period.first:%a %d %b %Y} to "
            f"{period.last:%a %d %b %Y}), in {policy.currency}",
            f"rates per {rates.per} on call: weekday {rates.weekday}, weekend {rates.weekend}, "
            f"holiday {rates.holiday}" + _callout_rule(policy)]
    holidays = [f"{d:%d %b}" for d, t in report.day_types().items() if t == "holiday"]
    text.append("holidays: " + (", ".join(holidays) or "none"))
    return text


def _callout_rule(policy: AllowancePolicy) -> str:
    if policy.callout is None:
        return ""
    where = "outside business hours" if policy.business_hours else "(every answered call)"
    return f"; call-out {policy.callout} {where}"


def _table(report: Report, found: Sequence[Line], name: Names, callouts: bool) -> list[str]:
    if not found:
        return ["  nobody"]
    per_day = report.policy.rates.per == "day"
    head = ["PERSON", *(f"{t.upper()} H" for t in DAY_TYPES)]
    head += [f"{t.upper()} DAYS" for t in DAY_TYPES] if per_day else []
    head += ["CALL-OUTS"] if callouts else []
    rows = [head]
    for line in found:
        row = [name(line.person), *(str(line.hours(t)) for t in DAY_TYPES)]
        row += [str(line.day_count(t)) for t in DAY_TYPES] if per_day else []
        row += [str(line.callouts)] if callouts else []
        rows.append([*row, str(line.amount)])
    if callouts:
        rows.append(["total", *[""] * (len(head) - 1), str(report.amount)])
    head.append("AMOUNT")
    return _columns(rows)


def _columns(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                             for i, (cell, w) in enumerate(zip(row, widths, strict=True)))
            for row in rows]


def _detail(report: Report, name: Names, hotline: ZoneInfo) -> list[str]:
    zones = {r.id: r.tz for r in report.rotations}
    out: list[str] = []
    for total in report.totals:
        out.append(f"{name(total.person)}: {total.amount} {report.policy.currency}")
        rows = [["ROTATION", "START", "END", "DAY TYPE", "HOURS", "AMOUNT"]]
        for s in (s for s in report.segments if s.person == total.person):
            tz = zones[s.rotation_id]
            what = f"{s.rotation_id} (override)" if s.kind == "override" else s.rotation_id
            rows.append([what, _when(s.start, tz), _when(s.end, tz), s.day_type,
                         str(as_hours(s.seconds)), str(s.amount)])
        for c in (c for c in report.callouts if c.person == total.person):
            rows.append([c.kind, _when(c.at, hotline), c.ref, "call-out", "",
                         str(report.policy.callout)])
        out += _columns(rows) if len(rows) > 1 else ["  nothing in this period"]
        out.append("")
    return out or ["nobody was on call in this period"]


def _when(at: datetime, tz: ZoneInfo) -> str:
    return f"{at.astimezone(tz):%a %Y-%m-%d %H:%M %Z}"
