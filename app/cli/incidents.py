"""``hotline incident set|clear|list``: the message callers hear while an outage is known."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy.orm import Session

from app.calls.incident import parse_duration, scope_problem
from app.cli.common import load_or_exit
from app.schedule.readable import local_time
from app.storage.db import get_engine
from app.storage.incidents import clear_incident, heard_counts, list_incidents, set_incident


@click.group("incident")
def incident_group() -> None:
    """Incident messages: every web process says them within a few seconds."""


@incident_group.command("set")
@click.argument("message")
@click.option("--for", "duration", default="4h", show_default=True,
              help="How long it is said: 90m, 4h, 2d (at most 7d).")
@click.option("--contract", "contracts", multiple=True, help="Only these contracts' callers.")
@click.option("--line", "lines", multiple=True, help="Only callers of these lines.")
@click.option("--chain/--press-1", "chain", default=False,
              help="After it, ring the chain anyway (--chain), or only for callers who press 1 "
                   "(the default; the others may leave a voicemail).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path))
def set_command(message: str, duration: str, contracts: tuple[str, ...], lines: tuple[str, ...],
                chain: bool, config_path: Path | None) -> None:
    config = load_or_exit(config_path)
    length = parse_duration(duration)
    if length is None:
        raise click.BadParameter("use minutes, hours or days, e.g. 90m, 4h, 2d (at most 7d)",
                                 param_hint="--for")
    problem = scope_problem(config, contracts, lines)
    if problem:
        raise click.UsageError(problem)
    now = datetime.now(UTC)
    try:
        with Session(get_engine()) as session, session.begin():
            row = set_incident(session, message, now + length, now, "cli", contracts, lines,
                               press_through=not chain)
            click.echo(f"incident {row.id}: said until "
                       f"{local_time(row.expires_at, config.hotline.timezone)}")
    except ValueError as error:
        raise click.UsageError(str(error)) from error


@incident_group.command("clear")
@click.argument("incident_id", type=int)
def clear_command(incident_id: int) -> None:
    with Session(get_engine()) as session, session.begin():
        if not clear_incident(session, datetime.now(UTC), incident_id=incident_id):
            raise click.ClickException(f"no active incident {incident_id}")
    click.echo(f"incident {incident_id} cleared")


@incident_group.command("list")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path))
def list_command(config_path: Path | None) -> None:
    config = load_or_exit(config_path)
    now = datetime.now(UTC)
    with Session(get_engine()) as session:
        rows = list_incidents(session)
        counts = heard_counts(session, rows)
    for row in rows:
        state = ("cleared" if row.cleared_at else "expired" if row.expires_at <= now
                 else f"until {local_time(row.expires_at, config.hotline.timezone)}")
        scope = ", ".join([*row.contracts, *(f"line {ln}" for ln in row.lines)]) or "everyone"
        heard, pressed = counts.get(row.id, (0, 0))
        click.echo(f"{row.id}\t{state}\t{scope}\theard {heard}, pressed 1: {pressed}\t"
                   f"{row.message}")
