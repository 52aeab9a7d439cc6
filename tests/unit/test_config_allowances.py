"""The ``[allowances]`` section: read into a policy, and every mistake named by its key."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import main
from app.config import load_config, parse_config
from tests.support.config_changes import problems_of, with_change
from tests.support.constants import TEST_CONFIG


def allowances(**changes: object) -> bytes:
    return with_change(TEST_CONFIG, lambda d: d["allowances"].update(changes))


def test_the_section_becomes_a_policy() -> None:
    policy = load_config(TEST_CONFIG).allowances
    assert policy is not None
    assert (policy.currency, policy.rates.per, policy.period) == ("EUR", "hour", "month")
    assert (policy.rates.weekday, policy.rates.weekend, policy.rates.holiday, policy.callout) == (
        Decimal("2.00"), Decimal("3.00"), Decimal("5.00"), Decimal("25.00"))
    assert policy.calendar.name(date(2026, 12, 24)) == "extra"
    assert policy.calendar.name(date(2027, 3, 8)) == "Women's Day"  # Berlin's own holiday
    assert policy.business_hours is not None  # the hotline's: call-outs outside them
    assert policy.business_hours.days[0] == (time(9), time(18))
    assert policy.rotations is None


def test_per_day_numbers_and_named_rotations() -> None:
    policy = parse_config(allowances(per="day", weekday=40, weekend=55.5, rotations=["night"],
                                     period="week")).allowances
    assert policy is not None and policy.rates.per == "day" and policy.period == "week"
    assert policy.rates.weekend == Decimal("55.5") and policy.pays("night")
    assert not policy.pays("primary")


def test_without_the_section_nothing_is_paid() -> None:
    raw = with_change(TEST_CONFIG, lambda d: d.pop("allowances"))
    assert parse_config(raw).allowances is None


@pytest.mark.parametrize(("changes", "key", "fragment"), [
    ({"currency": "euro"}, "allowances.currency", "should match pattern"),
    ({"weekday": -1}, "allowances.weekday", "greater than or equal to 0"),
    ({"holiday": "lots"}, "allowances.holiday", "valid decimal"),
    ({"weekend": "1.23456"}, "allowances.weekend", "4 decimal places"),
    ({"per": "week"}, "allowances.per", "'hour' or 'day'"),
    ({"period": "quarter"}, "allowances.period", "'month' or 'week'"),
    ({"rotations": ["primary", "daytime"]}, "allowances.rotations[1]", "no rotation 'daytime'"),
    ({"business_hours": "shop"}, "allowances.business_hours", "no business hours 'shop'"),
    ({"subdivision": "XX"}, "allowances.holidays", "unknown holiday calendar"),
    ({"holidays": "Germany"}, "allowances.holidays", "should match pattern"),
    ({"bonus": 1}, "allowances.bonus", "unknown key"),
])
def test_mistakes_name_their_key(changes: dict[str, object], key: str, fragment: str) -> None:
    found = problems_of(allowances(**changes))
    assert key in found and fragment in found[key], found


def test_a_missing_rate_is_named() -> None:
    raw = with_change(TEST_CONFIG, lambda d: d["allowances"].pop("holiday"))
    assert problems_of(raw) == {"allowances.holiday": "required key is missing"}


def test_hotline_check_reports_it(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_bytes(allowances(rotations=["daytime"]))
    done = CliRunner().invoke(main, ["check", "--config", str(bad)])
    assert done.exit_code == 1
    assert "allowances.rotations[0]: no rotation 'daytime'" in done.output
