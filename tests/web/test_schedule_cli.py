"""``hotline schedule`` and ``hotline feeds`` through click's runner."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from icalendar import Calendar
from sqlalchemy.orm import Session

from app.cli.schedule import feeds_command, schedule_command, schedule_lines
from app.feeds import feed_token
from app.schedule import Override
from app.storage import dispose_engines, get_engine, upgrade
from app.storage.overrides import add_override
from app.web import feeds
from tests.support.constants import TEST_CONFIG

CONFIG = ["--config", str(TEST_CONFIG)]


@pytest.fixture(autouse=True)
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The database the commands read overrides from (``$DATABASE_URL``), migrated."""
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    upgrade(url)
    yield url
    dispose_engines()


def run(command, *args: str, **env: str | None) -> Result:  # type: ignore[no-untyped-def]
    return CliRunner().invoke(command, [*args, *CONFIG], env={"SECRET_KEY": None,
                                                              "PUBLIC_BASE_URL": None, **env})


def test_schedule_of_one_rotation_in_local_time_across_dst() -> None:
    result = run(schedule_command, "--from", "2026-10-20", "--to", "2026-11-05",
                 "--rotation", "primary")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "rotation primary (Europe/Berlin)",
        "  PERSON  START                      END                       KIND",
        "  Dana    Mon 2026-10-19 09:00 CEST  Mon 2026-10-26 09:00 CET  rotation",
        "  Alice   Mon 2026-10-26 09:00 CET   Mon 2026-11-02 09:00 CET  rotation",
        "  Bob     Mon 2026-11-02 09:00 CET   Mon 2026-11-09 09:00 CET  rotation",
    ]


def test_schedule_lists_every_rotation() -> None:
    result = run(schedule_command, "--from", "2026-12-07", "--to", "2026-12-08")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    night = lines.index("rotation night (Europe/Berlin)")
    assert lines[:night] == [
        "rotation primary (Europe/Berlin)",
        "  PERSON  START                     END                       KIND",
        "  Dana    Mon 2026-11-30 09:00 CET  Mon 2026-12-07 09:00 CET  rotation",
        "  Alice   Mon 2026-12-07 09:00 CET  Mon 2026-12-14 09:00 CET  rotation",
    ]
    # The night of the 6th reaches into the 7th; the night of the 8th begins on the last day.
    assert lines[night + 2:] == [
        f"  Bob     {a} 18:00 CET  {b} 08:00 CET  rotation"
        for a, b in [("Sun 2026-12-06", "Mon 2026-12-07"), ("Mon 2026-12-07", "Tue 2026-12-08"),
                     ("Tue 2026-12-08", "Wed 2026-12-09")]
    ]


def test_schedule_applies_stored_overrides(database: str) -> None:
    with Session(get_engine(database)) as session, session.begin():
        swap_id = add_override(session, "primary", "erin", datetime(2026, 12, 9, 11, tzinfo=UTC),
                               datetime(2026, 12, 10, 11, tzinfo=UTC), note="dentist").id
    result = run(schedule_command, "--from", "2026-12-08", "--to", "2026-12-11",
                 "--rotation", "primary")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1:] == [
        "  PERSON  START                     END                       KIND",
        "  Alice   Mon 2026-12-07 09:00 CET  Wed 2026-12-09 12:00 CET  rotation",
        f"  Erin    Wed 2026-12-09 12:00 CET  Thu 2026-12-10 12:00 CET  override {swap_id}",
        "  Alice   Thu 2026-12-10 12:00 CET  Mon 2026-12-14 09:00 CET  rotation",
    ]


def test_schedule_without_a_readable_database_still_shows_the_rotations(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'never-migrated.db'}")
    result = run(schedule_command, "--from", "2026-12-08", "--to", "2026-12-08",
                 "--rotation", "primary")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("(overrides not applied: database unavailable:")
    assert result.stdout.splitlines()[2] == (
        "  Alice   Mon 2026-12-07 09:00 CET  Mon 2026-12-14 09:00 CET  rotation")


def test_schedule_lines_with_overrides_given(config) -> None:  # type: ignore[no-untyped-def]
    swap = Override("swap-1", None, "erin", datetime(2026, 12, 9, 11, tzinfo=UTC),
                    datetime(2026, 12, 10, 11, tzinfo=UTC))
    lines = schedule_lines(config, config.rotations["night"], datetime(2026, 12, 9, 12, tzinfo=UTC),
                           datetime(2026, 12, 10, 12, tzinfo=UTC), [swap])
    assert lines == [
        "PERSON  START                     END                       KIND",
        "Erin    Wed 2026-12-09 18:00 CET  Thu 2026-12-10 08:00 CET  override swap-1",
    ]


def test_schedule_without_dates_starts_today() -> None:
    result = run(schedule_command, "--rotation", "primary")
    assert result.exit_code == 0, result.output
    rows = result.output.splitlines()[2:]
    assert 4 <= len(rows) <= 5  # 28 days: four or five whole weeks
    first_start = datetime.strptime(rows[0].split()[2], "%Y-%m-%d").date()
    assert 0 <= (datetime.now(UTC).date() - first_start).days <= 7


@pytest.mark.parametrize(("args", "message"), [
    (("--rotation", "nights"), "no rotation 'nights'; the configuration has: primary, night"),
    (("--from", "2026-02-30"), "'2026-02-30' is not an ISO date"),
    (("--from", "2026-06-01", "--to", "2026-05-01"), "--to must come after --from"),
])
def test_schedule_rejects_bad_options(args, message) -> None:  # type: ignore[no-untyped-def]
    result = run(schedule_command, *args)
    assert result.exit_code == 2
    assert message in result.output


def test_schedule_reports_an_invalid_configuration(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[hotline]\n")
    result = CliRunner().invoke(schedule_command, ["--config", str(broken)])
    assert result.exit_code == 1
    assert "invalid configuration" in result.output


@pytest.fixture
def feed_client(app: Flask):  # type: ignore[no-untyped-def]
    if "feeds" not in app.blueprints:
        app.register_blueprint(feeds.bp)
    return app.test_client()


def test_feeds_prints_urls_that_open(feed_client) -> None:  # type: ignore[no-untyped-def]
    result = run(feeds_command, "--base-url", "https://hotline.example.com/",
                 SECRET_KEY="test-secret")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    token = feed_token("test-secret", "person", "alice")
    assert lines[:2] == [
        "people:", f"  Alice  https://hotline.example.com/calendar/person/alice.ics?token={token}"]
    assert lines[6] == "rotations:"
    urls = [line.split()[-1] for line in lines if "://" in line]
    assert len(urls) == 5 + 2
    for url in urls:
        response = feed_client.get(url.removeprefix("https://hotline.example.com"))
        assert response.status_code == 200, url
        found = Calendar.from_ical(response.data).walk("VEVENT")
        assert bool(found) == ("erin" not in url and "carol" not in url)  # not in any rotation


def test_feeds_defaults_to_the_public_base_url_and_a_stable_demo_secret(var_dir: Path) -> None:
    first = run(feeds_command, PUBLIC_BASE_URL="https://support.example.org")
    assert first.exit_code == 0, first.output
    assert "https://support.example.org/calendar/rotation/night.ics?token=" in first.output
    assert run(feeds_command, PUBLIC_BASE_URL="https://support.example.org").output == first.output
    secret = (var_dir / "demo-secret-key").read_text().strip()
    assert f"?token={feed_token(secret, 'rotation', 'night')}" in first.output
    local = run(feeds_command)
    assert "  primary  http://127.0.0.1:5000/calendar/rotation/primary.ics?token=" in local.output


def test_schedule_before_a_rotation_starts_shows_nobody() -> None:
    result = run(schedule_command, "--from", "2025-06-01", "--to", "2025-06-02")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "rotation primary (Europe/Berlin)", "  nobody on call in this period",
        "rotation night (Europe/Berlin)", "  nobody on call in this period",
    ]
