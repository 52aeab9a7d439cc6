"""The ``hotline`` command: run, worker, migrate, check, who, schedule, feeds, override,
simulate, calls, fallback-twiml."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from app.config import ConfigError, HotlineConfig, load_config
from app.settings import Settings


@click.group()
def main() -> None:
    """A self-hosted 24/7 support hotline."""


def config_option(func):  # type: ignore[no-untyped-def]
    return click.option(
        "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
        default=None, help="Configuration file (default: $HOTLINE_CONFIG or the demo).",
    )(func)


def load_or_exit(config_path: Path | None) -> HotlineConfig:
    path = config_path or Settings.from_env().config_path
    try:
        return load_config(path)
    except ConfigError as exc:
        click.echo(f"invalid configuration:\n{exc}", err=True)
        sys.exit(1)


@main.command()
@config_option
def check(config_path: Path | None) -> None:
    """Validate the configuration file and show who a call would reach now."""
    from app.escalation import build_chain

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


@main.command()
def migrate() -> None:
    """Create or upgrade the database schema ($DATABASE_URL, default SQLite under var/)."""
    from app.storage import default_database_url, upgrade

    url = default_database_url()
    upgrade(url)
    click.echo(f"database schema is up to date: {url.split('@')[-1]}")


def _register() -> None:
    from app.admin import admin_group
    from app.alerts.cli import alerts_group
    from app.commands.fallback import fallback_command
    from app.commands.overrides import override_group
    from app.commands.schedule import feeds_command, schedule_command
    from app.commands.simulate import simulate_command
    from app.commands.who import who_command
    from app.runner import run_command, worker_command
    from app.storage.cli import calls_command

    for command in (run_command, worker_command, calls_command, simulate_command, who_command,
                    override_group, fallback_command, schedule_command, feeds_command,
                    admin_group, alerts_group):
        main.add_command(command)


_register()


if __name__ == "__main__":
    main()
