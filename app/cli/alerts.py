"""``hotline alerts``: the alerts and where their escalation stands; ``ack`` and ``show``."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from app.alerts.pages import escalation_text
from app.alerts.store import acknowledge, get_alert, list_alerts
from app.cli.common import load_or_exit
from app.config.alerts import alerts_of
from app.notify.ledger import about
from app.storage.db import get_engine

COLUMNS = ("ID", "OPENED (UTC)", "STATUS", "SEVERITY", "FROM", "SUMMARY", "ESCALATION")


def _session() -> Session:
    engine = get_engine()
    if not inspect(engine).has_table("alerts"):
        raise click.ClickException(f"no alerts table in {engine.url!r}: run `hotline migrate`")
    return Session(engine)


@click.group("alerts", invoke_without_command=True)
@click.option("--all", "show_all", is_flag=True, help="Also resolved alerts.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1))
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def alerts_group(ctx: click.Context, show_all: bool, limit: int, config_path: Path | None) -> None:
    """List alerts with their escalation state (open ones; --all for every one)."""
    if ctx.invoked_subcommand is not None:
        return
    config = load_or_exit(config_path)
    names = {pid: p.name for pid, p in config.people.items()}
    repeats = alerts_of(config).repeats
    with _session() as session:
        alerts = list_alerts(session, open_only=not show_all, limit=limit)
        rows = [(str(a.id), f"{a.opened_at:%Y-%m-%d %H:%M}", a.status, a.severity, a.origin,
                 a.summary[:50], escalation_text(a, names, repeats)) for a in alerts]
    if not rows:
        click.echo("No alerts." if show_all else "No open alerts (--all shows resolved ones).")
        return
    widths = [max(len(r[i]) for r in [COLUMNS, *rows]) for i in range(len(COLUMNS))]
    for row in [COLUMNS, *rows]:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


@alerts_group.command("ack")
@click.argument("alert_id", type=int)
@click.option("--by", default=None, help="Who acknowledges (default: your login name).")
def ack_command(alert_id: int, by: str | None) -> None:
    """Acknowledge alert ALERT_ID: its escalation stops."""
    who = by or getpass.getuser()
    with _session() as session, session.begin():
        if not acknowledge(session, alert_id, who, via="cli", now=datetime.now(UTC)):
            alert = get_alert(session, alert_id)
            raise click.ClickException(f"no alert {alert_id}" if alert is None
                                       else f"alert {alert_id} is {alert.status} already")
    click.echo(f"alert {alert_id} acknowledged by {who}")


@alerts_group.command("show")
@click.argument("alert_id", type=int)
def show_command(alert_id: int) -> None:
    """One alert: its members, its log and every page sent for it."""
    with _session() as session:
        alert = get_alert(session, alert_id)
        if alert is None:
            raise click.ClickException(f"no alert {alert_id}")
        click.echo(f"alert {alert.id}: [{alert.severity}] {alert.origin}: {alert.summary}")
        click.echo(f"  status {alert.status}, chain {' -> '.join(alert.chain) or '(empty)'}")
        for member in alert.members:
            click.echo(f"  alert {member.fingerprint} {member.status} {member.labels}")
        for entry in alert.log:
            who = f" {entry.person}" if entry.person else ""
            click.echo(f"  {entry.at:%Y-%m-%d %H:%M:%S} {entry.kind}{who}: {entry.detail}")
        for page in about(session, f"alert:{alert.id}:"):
            outcome = f" ({page.provider_status})" if page.provider_status else ""
            click.echo(f"  page {page.subject.rpartition(':')[2]} {page.recipient} by "
                       f"{page.channel}: {page.status}{outcome} {page.error or ''}".rstrip())
