"""``hotline simulate --at``: the whole call as it would go at another instant, on any line; and
``hotline who --at`` for every line."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result

from app.cli import main
from app.config import load_config
from app.escalation import build_chain
from tests.support.constants import ACCOUNT_SID, ACME, AUTH_TOKEN, TEST_CONFIG

BERLIN = ZoneInfo("Europe/Berlin")
GLOBEX = "+12125550147"
PREMIUM = "+49305550200"


@pytest.fixture(autouse=True)
def twilio_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'hotline.db'}")


def simulate(*args: str) -> Result:
    return CliRunner().invoke(main, ["simulate", "--config", str(TEST_CONFIG), *args])


def first_on_call(at: str) -> str:
    config = load_config(TEST_CONFIG)
    plan = build_chain(config.policy, config.rotations, datetime.fromisoformat(at).replace(tzinfo=BERLIN))
    return config.people[plan.people[0]].name


def test_christmas_eve_at_three_is_closed_for_a_business_hours_contract() -> None:
    run = simulate("--at", "2026-12-24T03:00", "--from", GLOBEX, "--digits", "1",
                   "--outcomes", "accept")
    assert run.exit_code == 0, run.output
    assert "as if at 2026-12-24T03:00:00+01:00 on Test hotline" in run.output
    # closed on the 24th, the 25th and 26th are holidays, the 27th a Sunday
    assert "Support for your contract opens again on Monday at 09:00." in run.output
    assert "If your production system is down, press 1" in run.output
    assert f"({first_on_call('2026-12-24T03:00')}) presses 1" in run.output


def test_the_same_contract_on_a_working_morning_is_put_through() -> None:
    run = simulate("--at", "2026-12-28T10:00", "--from", GLOBEX, "--outcomes", "accept")
    assert run.exit_code == 0, run.output
    assert "Hello Globex. Connecting you to our on-call engineer." in run.output
    assert "opens again" not in run.output


@pytest.mark.parametrize("at", ["2026-12-02T12:00", "2026-12-09T12:00", "2026-12-16T12:00"])
def test_the_rotation_of_that_week_is_rung(at: str) -> None:
    run = simulate("--at", at, "--from", ACME, "--outcomes", "accept")
    assert run.exit_code == 0, run.output
    assert f"({first_on_call(at)}) presses 1" in run.output


def test_any_line_by_the_number_dialled() -> None:
    run = simulate("--at", "2026-12-02T12:00", "--from", ACME, "--to", PREMIUM, "--outcomes", "accept")
    assert run.exit_code == 0, run.output
    assert "on Premium hotline (+49305550200)" in run.output
    assert "Premium support for ACME. Connecting you now." in run.output


def test_a_time_that_is_no_time_is_refused() -> None:
    run = simulate("--at", "Christmas")
    assert run.exit_code == 2
    assert "'Christmas' is not an ISO date/time" in run.output


def test_who_at_covers_every_line(monkeypatch: pytest.MonkeyPatch) -> None:
    run = CliRunner().invoke(main, ["who", "--at", "2026-12-24T03:00", "--contract", "globex",
                                    "--config", str(TEST_CONFIG)])
    assert run.exit_code == 0, run.output
    assert "line Test hotline (+49305550100), policy default:" in run.output
    assert "line Premium hotline (+49305550200), policy premium:" in run.output
    assert run.output.count("Globex (business-hours): closed, opens again on Monday at 09:00") == 2
    premium = run.output.split("line Premium hotline")[1]
    assert "2. Bob (backup)" in premium, "the premium policy's night rotation backs it up"


def test_an_override_in_the_database_is_played_too() -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["migrate"]).exit_code == 0
    added = runner.invoke(main, ["override", "add", "--person", "erin", "--rotation", "primary",
                                 "--from", "2026-12-24T00:00", "--until", "2026-12-24T08:00",
                                 "--config", str(TEST_CONFIG)])
    assert added.exit_code == 0, added.output
    run = simulate("--at", "2026-12-24T03:00", "--from", ACME, "--outcomes", "accept")
    assert run.exit_code == 0, run.output
    assert "(Erin) presses 1" in run.output
    later = simulate("--at", "2026-12-24T09:00", "--from", ACME, "--outcomes", "accept")
    assert f"({first_on_call('2026-12-24T09:00')}) presses 1" in later.output
