"""``hotline alerts``: the alerts and where their escalation stands; ``ack`` and ``show``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from app.alerts.pages import PAGE, escalation_text
from app.alerts.stop import end_calls
from app.alerts.store import acknowledge, get_alert, list_alerts
from app.cli.common import config_option, load_or_exit
from app.config import HotlineConfig
from app.notify.delivery import DeliveryError
from app.notify.ledger import about
from app.schedule.readable import DATE, SECONDS, local_time
from app.services import build_services
from app.storage.db import get_engine

COLUMNS = ("ID", "OPENED", "STATUS", "SEVERITY", "FROM", "SUMMARY", "ESCALATION")


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
    zone = config.hotline.timezone
    with _session() as session:
        alerts = list_alerts(session, open_only=not show_all, limit=limit)
        rows = [(str(a.id), local_time(a.opened_at, zone, DATE), a.status, a.severity, a.origin,
                 a.summary[:50], escalation_text(a, config)) for a in alerts]
    if not rows:
        click.echo("No alerts." if show_all else "No open alerts (--all shows resolved ones).")
        return
    widths = [max(len(r[i]) for r in [COLUMNS, *rows]) for i in range(len(COLUMNS))]
    for row in [COLUMNS, *rows]:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


@alerts_group.command("ack")
@click.argument("alert_id", type=int)
@click.option("--as", "person", required=True, metavar="PERSON",
              help="Who acknowledges: a person id of the configuration.")
@config_option
def ack_command(alert_id: int, person: str, config_path: Path | None) -> None:
    """Acknowledge alert ALERT_ID as PERSON: its escalation stops."""
    config = load_or_exit(config_path)
    if person not in config.people:
        raise click.BadParameter(f"no person {person!r} in the configuration; one of "
                                 f"{', '.join(sorted(config.people))}", param_hint="--as")
    with _session() as session, session.begin():
        if not acknowledge(session, alert_id, person, via="cli", now=datetime.now(UTC)):
            alert = get_alert(session, alert_id)
            raise click.ClickException(f"no alert {alert_id}" if alert is None
                                       else f"alert {alert_id} is {alert.status} already")
    click.echo(f"alert {alert_id} acknowledged by {config.people[person].name}")
    _hang_up(alert_id, config)


@alerts_group.command("show")
@click.argument("alert_id", type=int)
@config_option
def show_command(alert_id: int, config_path: Path | None) -> None:
    """One alert: its members, its log and every page sent for it."""
    config = load_or_exit(config_path)
    with _session() as session:
        alert = get_alert(session, alert_id)
        if alert is None:
            raise click.ClickException(f"no alert {alert_id}")
        click.echo(f"alert {alert.id}: [{alert.severity}] {alert.origin}: {alert.summary}")
        click.echo(f"  status {alert.status}: {escalation_text(alert, config)}")
        click.echo(f"  chain {' -> '.join(alert.chain) or '(empty)'}")
        for member in alert.members:
            click.echo(f"  alert {member.fingerprint} {member.status} {member.labels}")
        for entry in alert.log:
            who = f" {entry.person}" if entry.person else ""
            click.echo(f"  {_when(entry.at, config)} {entry.kind}{who}: {entry.detail}")
        for page in about(session, f"alert:{alert.id}:"):
            outcome = f" ({page.provider_status})" if page.provider_status else ""
            what = page.subject.rpartition(":")[2]  # r0s1, or a notice: resolved, exhausted
            label = f"page {what}" if page.kind == PAGE else what
            click.echo(f"  {label} {page.recipient} by "
                       f"{page.channel}: {page.status}{outcome} {page.error or ''}".rstrip())


def _when(moment: datetime, config: HotlineConfig) -> str:
    return local_time(moment, config.hotline.timezone, SECONDS)


def _hang_up(alert_id: int, config: HotlineConfig) -> None:
    """End the alert's calls that may still ring, from here: no worker or Redis needed."""
    try:
        ended = end_calls(build_services(config=config), alert_id)
    except DeliveryError as error:
        click.echo(f"calls still ringing for alert {alert_id} were not ended: {error.message}",
                   err=True)
        return
    if ended:
        click.echo(f"{len(ended)} call(s) still ringing ended")
