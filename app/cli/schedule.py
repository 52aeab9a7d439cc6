"""``hotline schedule`` (who is on call when, as a table) and ``hotline feeds`` (calendar URLs)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from app.cli.common import load_or_exit
from app.cli.who import known_overrides
from app.config import HotlineConfig
from app.feeds import feed_urls, parse_bound, whole_shifts
from app.feeds.window import Overrides
from app.schedule import Rotation
from app.schedule.readable import local_time
from app.settings import Settings

COLUMNS = ("PERSON", "START", "END", "KIND")
DEFAULT_DAYS = 28
LOCAL_BASE_URL = "http://127.0.0.1:5000"


def schedule_lines(config: HotlineConfig, rotation: Rotation, start: datetime, end: datetime,
                   overrides: Overrides = ()) -> list[str]:
    """The table of the rotation's shifts overlapping [start, end), in its local time."""
    cells = [
        (_person(config, s.person), _local(s.start, rotation), _local(s.end, rotation),
         s.kind if s.override_id is None else f"{s.kind} {s.override_id}")
        for s in whole_shifts(rotation, start, end, overrides)
    ]
    if not cells:
        return ["nobody on call in this period"]
    rows = [COLUMNS, *cells]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    return ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
            for row in rows]


def _person(config: HotlineConfig, person_id: str) -> str:
    person = config.people.get(person_id)
    return person.name if person is not None else person_id


def _local(at: datetime, rotation: Rotation) -> str:
    return local_time(at, rotation.tz, "%a %Y-%m-%d %H:%M")  # the rotation's own zone


def _bound(text: str | None, zone: ZoneInfo, end: bool) -> datetime | None:
    try:
        return parse_bound(text, zone, end=end) if text else None
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("schedule")
@click.option("--from", "from_text", metavar="DATE", default=None,
              help="First day (ISO date or time, local to the hotline). Default: today.")
@click.option("--to", "to_text", metavar="DATE", default=None,
              help=f"Last day, included (or an ISO time). Default: {DEFAULT_DAYS} days on.")
@click.option("--rotation", "rotation_id", metavar="ID", default=None,
              help="Only this rotation.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path))
def schedule_command(from_text: str | None, to_text: str | None, rotation_id: str | None,
                     config_path: Path | None) -> None:
    """Show who is on call when, in each rotation's local time, stored overrides applied.

    Shifts running at either end of the period are shown whole.
    """
    config = load_or_exit(config_path)
    zone = ZoneInfo(config.hotline.timezone)
    if rotation_id is not None and rotation_id not in config.rotations:
        raise click.BadParameter(f"no rotation {rotation_id!r}; the configuration has: "
                                 f"{', '.join(config.rotations)}", param_hint="--rotation")
    today = datetime.now(UTC).astimezone(zone).date().isoformat()
    start = _bound(from_text, zone, end=False) or parse_bound(today, zone)
    end = _bound(to_text, zone, end=True) or start + timedelta(days=DEFAULT_DAYS)
    if end <= start:
        raise click.BadParameter("--to must come after --from", param_hint="--to")
    overrides = known_overrides()
    for rotation in config.rotations.values():
        if rotation_id in (None, rotation.id):
            click.echo(f"rotation {rotation.id} ({rotation.timezone})")
            for line in schedule_lines(config, rotation, start, end, overrides):
                click.echo(f"  {line}")


@click.command("feeds")
@click.option("--base-url", default=None, metavar="URL",
              help=f"Public URL of the hotline (default: $PUBLIC_BASE_URL, else {LOCAL_BASE_URL}).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path))
def feeds_command(base_url: str | None, config_path: Path | None) -> None:
    """Print every person's and rotation's calendar feed URL (keep them secret).

    The tokens derive from SECRET_KEY: changing it invalidates every URL.
    """
    config = load_or_exit(config_path)
    settings = Settings.from_env()
    urls = feed_urls(settings, config, base_url or settings.public_base_url or LOCAL_BASE_URL)
    click.echo("people:")
    width = max((len(_person(config, pid)) for pid in urls["person"]), default=0)
    for pid, url in urls["person"].items():
        click.echo(f"  {_person(config, pid).ljust(width)}  {url}")
    click.echo("rotations:")
    width = max((len(rid) for rid in urls["rotation"]), default=0)
    for rid, url in urls["rotation"].items():
        click.echo(f"  {rid.ljust(width)}  {url}")
