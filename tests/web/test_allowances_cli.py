"""``hotline report allowances`` through click's runner, on a week of calls placed through the
simulator (November 2026 of tests/data/hotline.toml; the figures are worked out in
tests/web/test_admin_allowances.py)."""

from __future__ import annotations

import csv
import io
import re
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import tomli_w
from click.testing import CliRunner, Result
from flask import Flask
from sqlalchemy.orm import Session

from app.cli import main
from app.storage import get_engine
from app.storage.overrides import add_override
from tests.support.constants import TEST_CONFIG

BERLIN = ZoneInfo("Europe/Berlin")


def report(admin_db_url: str, *args: str, config: Path = TEST_CONFIG) -> Result:
    return CliRunner().invoke(main, ["report", "allowances", *args, "--config", str(config),
                                     "--database-url", admin_db_url])


def cells(output: str, first: str) -> list[str]:
    line = next(x for x in output.splitlines() if x.strip().startswith(first))
    return line.split()


def test_per_person_table(seeded: Flask, admin_db_url: str) -> None:
    done = report(admin_db_url, "--period", "2026-11")
    assert done.exit_code == 0, done.output
    assert done.output.startswith("On-call allowances 2026-11 (Sun 01 Nov 2026 to Mon 30 Nov 2026)")
    assert "call-out 25.00 outside business hours" in done.output
    people = done.output.split("per person", 1)[1]
    # name, weekday h, weekend h, holiday h, call-outs, amount
    assert cells(people, "Alice") == ["Alice", "129.00", "72.00", "0.00", "0", "474.00"]
    assert cells(people, "Bob") == ["Bob", "534.00", "222.00", "0.00", "0", "1734.00"]
    assert cells(people, "Dana") == ["Dana", "135.00", "48.00", "0.00", "1", "439.00"]
    assert cells(people, "total") == ["total", "2647.00"]
    night = done.output.split("rotation night (Europe/Berlin)", 1)[1]
    assert cells(night, "Bob") == ["Bob", "294.00", "126.00", "0.00", "966.00"]


def test_one_persons_segments_line_by_line(seeded: Flask, admin_db_url: str) -> None:
    done = report(admin_db_url, "--period", "2026-11", "--person", "dana", "--detail")
    assert done.exit_code == 0, done.output
    assert "Dana: 439.00 EUR" in done.output and "Bob" not in done.output
    lines = [x.split() for x in done.output.splitlines() if x.startswith("  primary")]
    assert len(lines) == 9
    assert lines[0] == ["primary", "Mon", "2026-11-09", "09:00", "CET", "Tue", "2026-11-10",
                        "00:00", "CET", "weekday", "15.00", "30.00"]
    assert lines[-1][-3:] == ["weekday", "15.00", "30.00"]
    call = cells(done.output, "hotline call")
    assert call[3:6] == ["2026-11-29", "15:00", "CET"] and call[-2:] == ["call-out", "25.00"]
    assert re.fullmatch(r"CA[0-9a-f]{32}", call[6])


def test_csv_for_payroll_and_in_detail(seeded: Flask, admin_db_url: str) -> None:
    done = report(admin_db_url, "--period", "2026-11", "--csv")
    found = list(csv.DictReader(io.StringIO(done.output)))
    assert [(r["rotation"], r["person"], r["amount"]) for r in found] == [
        ("primary", "alice", "474.00"), ("primary", "bob", "768.00"), ("primary", "dana", "414.00"),
        ("night", "bob", "966.00"), ("all", "alice", "474.00"), ("all", "bob", "1734.00"),
        ("all", "dana", "439.00")]
    detail = report(admin_db_url, "--period", "2026-11", "--person", "alice", "--detail", "--csv")
    rows = list(csv.DictReader(io.StringIO(detail.output)))
    assert sum(float(r["hours"]) for r in rows) == 129 + 72
    assert rows[0]["start"] == "2026-11-01T00:00+01:00" and rows[0]["day_type"] == "weekend"


def test_an_override_pays_whoever_took_over(admin_db_url: str) -> None:
    # Erin takes over Sunday 6 Dec 2026 10:00-16:00 from dana (primary): 6 weekend hours.
    with Session(get_engine(admin_db_url)) as session:
        add_override(session, "primary", "erin", datetime(2026, 12, 6, 10, tzinfo=BERLIN),
                     datetime(2026, 12, 6, 16, tzinfo=BERLIN))
        session.commit()
    done = report(admin_db_url, "--period", "2026-12")
    people = done.output.split("per person", 1)[1]
    assert cells(people, "Erin") == ["Erin", "0.00", "6.00", "0.00", "0", "18.00"]
    assert cells(people, "Dana") == ["Dana", "177.00", "66.00", "72.00", "0", "912.00"]  # 930 - 18


def test_a_week_period_and_the_current_one(admin_db_url: str) -> None:
    week = report(admin_db_url, "--period", "2026-W49", "--person", "alice")
    # Mon 30 Nov - Sun 6 Dec: alice's shift begins on Mon 7 Dec.
    assert week.exit_code == 0 and "Mon 30 Nov 2026 to Sun 06 Dec 2026" in week.output
    assert "Alice" not in week.output.split("per person", 1)[1]
    today = datetime.now(UTC).astimezone(BERLIN).date()
    current = report(admin_db_url)
    assert current.exit_code == 0 and f"On-call allowances {today:%Y-%m} (" in current.output


def test_mistakes_are_named(admin_db_url: str, tmp_path: Path) -> None:
    bad = report(admin_db_url, "--period", "2026-13")
    assert bad.exit_code == 2 and "write a month (2026-12)" in bad.output
    nobody = report(admin_db_url, "--person", "zoe")
    assert nobody.exit_code == 2 and "no person 'zoe'" in nobody.output
    data = tomllib.loads(TEST_CONFIG.read_text())
    del data["allowances"]
    plain = tmp_path / "plain.toml"
    plain.write_text(tomli_w.dumps(data))
    missing = report(admin_db_url, config=plain)
    assert missing.exit_code == 1 and "no [allowances] section" in missing.output
    empty = report(f"sqlite:///{tmp_path / 'empty.db'}", "--period", "2026-11")
    assert empty.exit_code == 1 and "hotline migrate" in empty.output
