"""``hotline check`` (validate the file, show the chain a call gets now) and ``hotline migrate``."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import click

from app.cli.common import config_option, load_or_exit
from app.escalation import build_chain
from app.settings import is_demo, public_url_warning
from app.storage import default_database_url, upgrade


@click.command("check")
@config_option
def check_command(config_path: Path | None) -> None:
    """Validate the configuration file and show who a call would reach now."""
    config = load_or_exit(config_path)
    plan = build_chain(config.policy, config.rotations, datetime.now(UTC))
    click.echo(
        f"{config.source}: OK ({len(config.people)} people, {len(config.rotations)} rotations, "
        f"{len(config.policies)} policies, {len(config.contracts)} contracts)"
    )
    click.echo("a call now rings: " + " -> ".join(
        f"{config.people[s.person].name} ({s.role})" for s in plan.steps))
    for note in plan.skipped:
        click.echo(f"  skipped: {note}")
    if warning := public_url_warning(os.environ.get("PUBLIC_BASE_URL", "").rstrip("/"),
                                     is_demo(os.environ)):
        click.echo(f"warning: {warning}", err=True)


@click.command("migrate")
def migrate_command() -> None:
    """Create or upgrade the database schema ($DATABASE_URL, default SQLite under var/)."""
    url = default_database_url()
    upgrade(url)
    click.echo(f"database schema is up to date: {url.split('@')[-1]}")
