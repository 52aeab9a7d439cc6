"""The ``hotline`` command, one click group: run, worker, migrate, check, who, schedule, feeds,
override, simulate, calls, fallback-twiml, admin, alerts, report, worker-alive."""

from __future__ import annotations

import click

from app.cli.admin import admin_group
from app.cli.alerts import alerts_group
from app.cli.alive import worker_alive_command
from app.cli.calls import calls_command
from app.cli.check import check_command, migrate_command
from app.cli.fallback import fallback_command
from app.cli.incidents import incident_group
from app.cli.overrides import override_group
from app.cli.report import report_group
from app.cli.run import run_command
from app.cli.schedule import feeds_command, schedule_command
from app.cli.simulate import simulate_command
from app.cli.who import who_command
from app.cli.worker import worker_command


@click.group()
def main() -> None:
    """A self-hosted 24/7 support hotline."""


for command in (run_command, worker_command, migrate_command, check_command, calls_command,
                simulate_command, who_command, override_group, fallback_command,
                schedule_command, feeds_command, admin_group, alerts_group, report_group,
                worker_alive_command, incident_group):
    main.add_command(command)


if __name__ == "__main__":
    main()
