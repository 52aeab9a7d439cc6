"""``hotline override add|list|delete``: shift swaps, stored in the database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy.orm import Session

from app.cli.common import load_or_exit
from app.cli.who import parse_when
from app.schedule.readable import DATE, local_time
from app.storage.db import get_engine
from app.storage.overrides import add_override, delete_override, list_overrides


@click.group("override")
def override_group() -> None:
    """Shift swaps: somebody covers a rotation for a while. Effective on the next call."""


@override_group.command("add")
@click.option("--person", required=True, help="Person id who covers.")
@click.option("--rotation", default=None, help="Rotation id (default: every rotation).")
@click.option("--from", "start", required=True, help="Start, ISO time (hotline time zone if naive).")
@click.option("--until", "end", required=True, help="End, ISO time (hotline time zone if naive).")
@click.option("--note", default=None)
@click.option("--by", "created_by", default=None, help="Who asked for it.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path))
def add_command(person: str, rotation: str | None, start: str, end: str, note: str | None,
                created_by: str | None, config_path: Path | None) -> None:
    config = load_or_exit(config_path)
    if person not in config.people:
        raise click.BadParameter(f"no person {person!r}; known: {', '.join(config.people)}")
    if rotation is not None and rotation not in config.rotations:
        raise click.BadParameter(f"no rotation {rotation!r}; known: {', '.join(config.rotations)}")
    zone = config.hotline.timezone
    begins, ends = parse_when(start, zone), parse_when(end, zone)
    if ends <= begins:
        raise click.BadParameter("--until must be after --from")
    with Session(get_engine()) as session, session.begin():
        row = add_override(session, rotation, person, begins, ends, created_by, note)
        click.echo(f"override {row.id}: {config.people[person].name} covers "
                   f"{rotation or 'every rotation'} from {_local(begins, zone)} until {_local(ends, zone)}")


@override_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Also past overrides.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path))
def list_command(show_all: bool, config_path: Path | None) -> None:
    config = load_or_exit(config_path)
    zone = config.hotline.timezone
    with Session(get_engine()) as session:
        rows = list_overrides(session, None if show_all else datetime.now(UTC))
        if not rows:
            click.echo("no overrides")
        for row in rows:
            name = config.people[row.person].name if row.person in config.people else row.person
            click.echo(f"{row.id:>5}  {row.rotation_id or '*':<12} {name:<20} "
                       f"{_local(row.start_at, zone)} -> {_local(row.end_at, zone)}  {row.note or ''}")


@override_group.command("delete")
@click.argument("override_id", type=int)
def delete_command(override_id: int) -> None:
    with Session(get_engine()) as session, session.begin():
        if not delete_override(session, override_id):
            raise click.ClickException(f"no override {override_id}")
    click.echo(f"override {override_id} deleted")


def _local(moment: datetime, zone: str) -> str:
    return local_time(moment, zone, DATE)
