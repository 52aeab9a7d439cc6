"""The soak: many calls with random outcomes, on the test configuration plus a blocklist."""

from __future__ import annotations

import random
from pathlib import Path

from app.devtools.simulator import Answer, Busy, CallerScript, Failed, NoAnswer, PhoneScript
from tests.support.calls import CallPlan
from tests.support.constants import TEST_CONFIG

ACME_NUMBERS = ("+49301234567", "+49307654321")
PEOPLE = tuple(f"+491515550000{n}" for n in (1, 2, 3, 4, 9))  # alice, bob, dana, erin, carol
BLOCKED_PREFIX = "+4915799"
PIN_CALLER = "+4940111222"
PHONES: tuple[tuple[PhoneScript, int], ...] = (
    (NoAnswer(), 30), (Busy(), 8), (Failed(), 4), (Answer(press="1"), 28),
    (Answer(press=None), 15), (Answer(press="2"), 15),
)


def write_soak_config(path: Path) -> Path:
    """The test configuration plus a blocklist (callers from ``BLOCKED_PREFIX`` are rejected)."""
    path.write_text(TEST_CONFIG.read_text() + f'\n[security]\nblocklist = ["{BLOCKED_PREFIX}"]\n')
    return path


def random_plan(rng: random.Random, hangups: bool = True) -> CallPlan:
    """A call with random outcomes: about 5 % blocklisted callers, 10 % identified by PIN,
    15 % hanging up at a random moment (unless not ``hangups``); every phone answers,
    declines, misses or is busy."""
    draw = rng.random()
    if draw < 0.05:
        return CallPlan(f"{BLOCKED_PREFIX}{rng.randrange(10**6):06d}", identified=False, blocked=True)
    scripts, weights = zip(*PHONES, strict=True)
    phones = {number: rng.choices(scripts, weights)[0] for number in PEOPLE}
    hangup = round(rng.uniform(3, 180), 1) if rng.random() < 0.15 and hangups else None
    record = rng.choice([0.0, 6.0, 25.0])
    digits = ["4711#"] if draw < 0.15 else []
    script = CallerScript(digits, hangup, record, rng.choice(["hangup", "#"]))
    caller = PIN_CALLER if digits else rng.choice(ACME_NUMBERS)
    return CallPlan(caller, script, phones, by_pin=bool(digits))
