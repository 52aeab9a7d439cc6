"""``hotline who``: who is on call per rotation, and the chain a call would get."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from sqlalchemy.exc import SQLAlchemyError

from app.calls.routing import route, spoken_time
from app.cli.common import load_or_exit
from app.config import HotlineConfig
from app.config.model import Line
from app.contracts import Contract
from app.escalation import build_chain
from app.schedule import OverrideIndex, Rotation, on_call, on_call_with_overrides
from app.schedule.readable import DATE, local_time
from app.storage.db import get_engine
from app.storage.overrides import load_index


def known_overrides() -> OverrideIndex:
    """The overrides in the database; none (with a warning) if it cannot be read."""
    try:
        return load_index(get_engine())
    except SQLAlchemyError as exc:
        click.echo(f"(overrides not applied: database unavailable: {str(exc).splitlines()[0]})",
                   err=True)
        return OverrideIndex()


def parse_when(text: str | None, zone: str) -> datetime:
    """``None`` means now; a naive ISO time is read in the hotline's time zone."""
    if not text:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise click.BadParameter(f"{text!r} is not an ISO date/time such as 2027-03-28T02:30") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(zone))


@click.command("who")
@click.option("--at", "at_text", default=None, help="ISO time (local to the hotline if naive).")
@click.option("--contract", "contract_id", default=None, help="Contract id: is it served then?")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path))
def who_command(at_text: str | None, contract_id: str | None, config_path: Path | None) -> None:
    """Show who is on call and the escalation chain a call would get, on every line."""
    config = load_or_exit(config_path)
    zone = ZoneInfo(config.hotline.timezone)
    at = parse_when(at_text, config.hotline.timezone)
    click.echo(f"at {local_time(at, zone, DATE)} ({config.hotline.timezone})")
    overrides = known_overrides()

    def who(rotation: Rotation, moment: datetime) -> str | None:
        return on_call_with_overrides(rotation, overrides, moment)

    for rotation in config.rotations.values():
        person = who(rotation, at)
        name = config.people[person].name if person else "nobody"
        swapped = " (override)" if person != on_call(rotation, at) else ""
        click.echo(f"  rotation {rotation.id}: {name}{swapped}")
    contract = None
    if contract_id is not None:
        contract = config.directory.get(contract_id)
        if contract is None:
            raise click.BadParameter(f"no contract {contract_id!r}; known: {', '.join(config.contracts)}")
    for line in (config.default_line, *config.lines.values()):
        if config.lines:
            click.echo(f"line {line.name} ({', '.join(line.numbers)}), policy {line.policy}:")
        if contract is not None:
            served = served_words(config, contract, line, at)
            click.echo(f"  {contract.name} ({contract.tier.value}): {served}")
        _echo_chain(config, line.policy, at, who)


def served_words(config: HotlineConfig, contract: Contract, line: Line, at: datetime) -> str:
    """Whether ``contract`` is served on ``line`` at ``at``, and if not, when again."""
    decision = route(config, contract, line, at)
    if decision.served:
        return "served now"
    option = " (press 1 reaches the chain below)" if decision.emergency_option else ""
    return f"closed, opens again {spoken_time(decision.opens_at, at)}{option}"


def _echo_chain(config: HotlineConfig, policy_id: str, at: datetime,
                who: Callable[[Rotation, datetime], str | None]) -> None:
    policy = config.policies[policy_id]
    plan = build_chain(policy, config.rotations, at, who)
    for i, step in enumerate(plan.steps, 1):
        engineer = config.people[step.person]
        click.echo(f"  {i}. {engineer.name} ({step.role}) {engineer.phone}")
    for note in plan.skipped:
        click.echo(f"  skipped: {note}")
    if policy.passes > 1 or policy.max_wait_seconds:
        limit = f", at most {policy.max_wait_seconds} s of waiting" if policy.max_wait_seconds else ""
        click.echo(f"  the chain {policy.passes} time(s){limit}")
