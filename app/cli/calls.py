"""``hotline calls``: the latest calls and their attempts, as a table in the terminal."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from app.cli.common import config_option, hotline_zone
from app.schedule.readable import SECONDS, local_time
from app.storage.db import default_database_url, get_engine
from app.storage.models import Attempt, Call
from app.storage.queries import call_with_attempts, recent_calls

CALL_COLUMNS = ("STARTED", "CALL SID", "CALLER", "CONTRACT", "OUTCOME", "ANSWERED BY", "TTA")


@click.command("calls")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1),
              help="How many of the latest calls to show.")
@click.option("--sid", "call_sid", metavar="CA...", help="Show this one call (its CallSid).")
@click.option("--database-url", envvar="DATABASE_URL", metavar="URL",
              help="Defaults to $DATABASE_URL, else the SQLite file in the var folder.")
@config_option
def calls_command(limit: int, call_sid: str | None, database_url: str | None,
                  config_path: Path | None) -> None:
    """Show the latest calls, or one call, with every dial attempt (in the hotline's zone)."""
    zone = hotline_zone(config_path)
    engine = get_engine(database_url or default_database_url())
    if not inspect(engine).has_table("calls"):
        raise click.ClickException(f"no call log in {engine.url!r}: start a worker first")
    with Session(engine) as session:
        if call_sid:
            call = call_with_attempts(session, call_sid)
            if call is None:
                raise click.ClickException(f"no call {call_sid} in the log")
            calls = [call]
        else:
            calls = recent_calls(session, limit)
        for line in format_calls(calls, zone, voicemails=bool(call_sid)):
            click.echo(line)


def format_calls(calls: list[Call], zone: str, voicemails: bool = False) -> list[str]:
    """The table: one line per call, its attempts indented below it."""
    if not calls:
        return ["No calls yet."]
    rows = [CALL_COLUMNS, *(_call_cells(c, zone) for c in calls)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(CALL_COLUMNS))]
    lines = [_join(CALL_COLUMNS, widths)]
    for call, cells in zip(calls, rows[1:], strict=True):
        lines.append(_join(cells, widths))
        lines.extend("    " + _attempt_line(a) for a in call.attempts)
        if voicemails:
            lines.extend(
                f"    voicemail {v.recording_sid} {v.status} {_secs(v.duration)} {v.url or ''}"
                for v in call.voicemails
            )
    return lines


def _call_cells(call: Call, zone: str) -> tuple[str, ...]:
    return (
        _when(call.started_at, zone), call.call_sid, call.caller or "-",
        call.contract_name or call.contract or "-", call.outcome or "in progress",
        call.answered_by or "-", _secs(call.time_to_answer_seconds),
    )


def _attempt_line(attempt: Attempt) -> str:
    parts = [
        f"step {attempt.step}", attempt.person or "?", attempt.number or "",
        attempt.status, f"ring {_secs(attempt.ring_seconds)}",
        f"talk {_secs(attempt.talk_seconds)}",
    ]
    if attempt.accept_key:
        parts.append(f"pressed {attempt.accept_key}")
    return "  ".join(p for p in parts if p)


def _join(cells: tuple[str, ...], widths: list[int]) -> str:
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()


def _when(moment: datetime | None, zone: str) -> str:
    return local_time(moment, zone, SECONDS, empty="-")


def _secs(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f}s" if float(value).is_integer() else f"{value:.1f}s"
