"""``hotline report``: reports over a period, one command each (``sla``: answer targets per contract)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from app.cli.allowances import allowances_command
from app.cli.common import config_option, load_or_exit
from app.schedule.periods import EXAMPLES, Period, between, parse_period
from app.sla.export import report_json, report_text, reports_csv
from app.storage.db import default_database_url, get_engine
from app.storage.sla import contract_report


@click.group("report")
def report_group() -> None:
    """Reports over a period: a month (2026-12), a quarter (2026-Q4), an ISO week (2026-W49) or
    two dates."""


def _period(text: str | None, first: date | None, last: date | None) -> Period:
    try:
        if text and not (first or last):
            return parse_period(text)
        if first and last and not text:
            return between(first, last)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--period") from None
    raise click.UsageError(f"give --period ({EXAMPLES}), or --from and --to")


@report_group.command("sla")
@click.option("--contract", "contracts", multiple=True, metavar="ID",
              help="A contract id (repeat for several; default: every contract).")
@click.option("--period", metavar="PERIOD", help="2026-12, 2026-Q4, 2026-W49 or 2026-10-01..2026-11-15.")
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), help="First day (local).")
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), help="Last day, included.")
@click.option("--csv", "output", flag_value="csv", help="One CSV row per contract.")
@click.option("--json", "output", flag_value="json", help="JSON, as GET /api/reports/sla.")
@click.option("--database-url", envvar="DATABASE_URL", metavar="URL",
              help="Defaults to $DATABASE_URL, else the SQLite file in the var folder.")
@config_option
def sla_command(contracts: tuple[str, ...], period: str | None, first: datetime | None,
                last: datetime | None,
                output: str | None, database_url: str | None, config_path: Path | None) -> None:
    """Answer targets per contract: calls, answered within the target, time to answer, missed
    calls and voicemails, calls out of hours, and whether the target was met."""
    config = load_or_exit(config_path)
    span = _period(period, first and first.date(), last and last.date())
    unknown = [c for c in contracts if c not in config.contracts]
    if unknown:
        raise click.BadParameter(f"no contract {', '.join(unknown)}; known: "
                                 f"{', '.join(config.contracts) or 'none'}", param_hint="--contract")
    chosen = [config.contracts[c] for c in dict.fromkeys(contracts or config.contracts)]
    engine = get_engine(database_url or default_database_url())
    try:
        listed = 0 if output == "csv" else None  # a CSV row counts the missed calls only
        reports = [contract_report(engine, config, c, span, listed) for c in chosen]
    except (OperationalError, ProgrammingError) as exc:
        raise click.ClickException(f"cannot read the call log in {engine.url!r} (run "
                                   f"`hotline migrate`): {exc.orig}") from None
    tz = ZoneInfo(config.hotline.timezone)
    if output == "csv":
        click.echo(reports_csv(reports, tz), nl=False)
    elif output == "json":
        data = [report_json(r, tz) for r in reports]
        click.echo(json.dumps(data[0] if len(contracts) == 1 else data, indent=2))
    else:
        click.echo("\n\n".join(report_text(r, tz) for r in reports) or "No contracts configured.")


report_group.add_command(allowances_command)
