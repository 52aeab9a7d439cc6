"""Routing by contract tier, local time, holidays and hotline number, through whole calls."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from app.calls import events as ev
from app.calls.routing import spoken_time
from app.devtools.simulator import Answer, CallerScript
from tests.support.constants import ACME, BOB, CAROL, DANA, ERIN

BERLIN = ZoneInfo("Europe/Berlin")
GLOBEX = "+12125550147"
HOTLINE = "+49305550100"
PREMIUM = "+49305550200"


def at(clock, *args: int) -> None:  # type: ignore[no-untyped-def]
    clock[0] = datetime(*args, tzinfo=BERLIN)


@pytest.mark.parametrize(("minute", "served"), [((17, 59), True), ((18, 1), False)])
def test_business_hours_contract_at_1759_and_1801(sim, sink, clock, minute, served) -> None:  # type: ignore[no-untyped-def]
    at(clock, 2026, 12, 2, *minute)  # a Wednesday
    result = sim.place_call(GLOBEX, HOTLINE, CallerScript(digits=[None]), {DANA: Answer(press="1")})
    assert result.errors == []
    if served:
        assert result.connected_to == DANA
        assert sink.of_type(ev.ROUTE_CLOSED) == []
    else:
        assert result.dialed == []
        assert result.caller_heard[:2] == [
            "Hello Globex. Support for your contract opens again tomorrow at 09:00.",
            "If your production system is down, press 1 now to reach the engineer on call. "
            "Otherwise, stay on the line to leave a message.",
        ]
        assert result.recorded
        closed = sink.of_type(ev.ROUTE_CLOSED)[0]["data"]
        assert closed["opens_at"] == "2026-12-03T09:00:00+01:00"


def test_outside_hours_press_1_reaches_the_chain(sim, sink, clock) -> None:  # type: ignore[no-untyped-def]
    at(clock, 2026, 12, 5, 3, 0)  # Saturday 03:00
    result = sim.place_call(GLOBEX, HOTLINE, CallerScript(digits=["1"]), {DANA: Answer(press="1")})
    assert "opens again on Monday at 09:00" in result.caller_heard[0]
    assert result.caller_heard[2] == "Hello Globex. Connecting you to our on-call engineer."
    assert result.connected_to == DANA
    assert len(sink.of_type(ev.ROUTE_EMERGENCY)) == 1


def test_public_holiday_on_a_monday_counts(sim, sink, clock) -> None:  # type: ignore[no-untyped-def]
    at(clock, 2027, 3, 28, 11, 0)  # Easter Sunday; Easter Monday is a public holiday in Berlin
    sim.place_call(GLOBEX, HOTLINE, CallerScript(digits=[None]))
    assert sink.of_type(ev.ROUTE_CLOSED)[0]["data"]["opens_at"] == "2027-03-30T09:00:00+02:00"


def test_company_closing_days_and_christmas(sim, sink, clock) -> None:  # type: ignore[no-untyped-def]
    at(clock, 2026, 12, 23, 19, 0)  # 24th is a company day off, 25th/26th public holidays
    result = sim.place_call(GLOBEX, HOTLINE, CallerScript(digits=[None]))
    assert "opens again on Monday at 09:00" in result.caller_heard[0]
    assert sink.of_type(ev.ROUTE_CLOSED)[0]["data"]["opens_at"] == "2026-12-28T09:00:00+01:00"


def test_a_24_7_contract_is_always_served(sim, clock) -> None:  # type: ignore[no-untyped-def]
    at(clock, 2026, 12, 25, 3, 0)
    result = sim.place_call(ACME, HOTLINE, phones={DANA: Answer(press="1")})
    assert result.connected_to == DANA


def test_each_hotline_number_has_its_own_policy_and_prompts(sim, sink, clock) -> None:  # type: ignore[no-untyped-def]
    at(clock, 2026, 12, 2, 20, 0)  # bob covers the night rotation from 18:00
    result = sim.place_call(ACME, PREMIUM, phones={CAROL: Answer(press="1")})
    assert result.caller_heard[0] == "Premium support for ACME. Connecting you now."
    assert result.dialed == [DANA, BOB, ERIN, CAROL]
    dial = result.requests[0].body
    assert 'timeout="15"' in dial and f'callerId="{PREMIUM}"' in dial
    assert sink.of_type(ev.CHAIN_CHOSEN)[0]["data"]["policy"] == "premium"


def test_a_rotation_with_nobody_on_call_is_skipped_and_logged(sim, sink, clock) -> None:  # type: ignore[no-untyped-def]
    at(clock, 2026, 12, 2, 13, 0)  # the night rotation has nobody at midday
    result = sim.place_call(ACME, PREMIUM, phones={ERIN: Answer(press="1")})
    assert result.dialed == [DANA, ERIN]
    chosen = sink.of_type(ev.CHAIN_CHOSEN)[0]["data"]
    assert chosen["chain"] == ["dana", "erin", "carol"]
    assert chosen["skipped"] == ["rotation night: nobody on call"]


@pytest.mark.parametrize(
    ("now", "opens", "spoken"),
    [
        ((2026, 12, 2, 7, 0), (2026, 12, 2, 9, 0), "today at 09:00"),
        ((2026, 12, 2, 19, 0), (2026, 12, 3, 9, 0), "tomorrow at 09:00"),
        ((2026, 12, 4, 19, 0), (2026, 12, 7, 9, 0), "on Monday at 09:00"),
        ((2026, 12, 20, 19, 0), (2027, 1, 4, 9, 0), "on Monday 4 January at 09:00"),
    ],
)
def test_spoken_opening_times(now, opens, spoken) -> None:  # type: ignore[no-untyped-def]
    assert spoken_time(datetime(*opens, tzinfo=BERLIN), datetime(*now, tzinfo=BERLIN)) == spoken
