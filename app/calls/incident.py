"""Incident messages: what callers hear right after the greeting while an outage is known (pure).

An incident is for every caller, or only for given contracts or lines, until it expires or is
cleared. ``press_through`` decides what a caller does after it: press 1 to reach the engineer
(silence leads to the voicemail), or, without it, stay on the line while the chain is rung.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.config import HotlineConfig
from app.prompts import spoken_seconds

# With the greeting and the offer to press 1, a caller hears at most about 12 s before the
# first ring: the message itself gets at most 5.5 s of speech (about 14 words).
MAX_SPOKEN_SECONDS = 5.5
MAX_CHARS = 240
_DURATION = re.compile(r"^([0-9]{1,5})\s*([mhd])$")


@dataclass(frozen=True)
class Incident:
    id: int
    message: str
    expires_at: datetime
    contracts: tuple[str, ...] = ()
    lines: tuple[str, ...] = ()
    press_through: bool = True

    def applies(self, contract: str, line: str, now: datetime) -> bool:
        if now >= self.expires_at:
            return False
        if not self.contracts and not self.lines:
            return True
        return contract in self.contracts or line in self.lines


def current_incident(incidents: Iterable[Incident], contract: str, line: str,
                     now: datetime) -> Incident | None:
    """The newest incident that applies to this caller now."""
    found = [i for i in incidents if i.applies(contract, line, now)]
    return max(found, key=lambda i: i.id) if found else None


def message_problem(message: str) -> str:
    """Why ``message`` cannot be an incident message ("" when it can)."""
    text = " ".join(message.split())
    if not text:
        return "the message is empty"
    if len(text) > MAX_CHARS or spoken_seconds(text) > MAX_SPOKEN_SECONDS:
        return (f"the message is too long to say in {MAX_SPOKEN_SECONDS:g} s "
                f"(about {int(MAX_SPOKEN_SECONDS * 2.6)} words)")
    return ""


def scope_problem(config: HotlineConfig, contracts: Iterable[str], lines: Iterable[str]) -> str:
    """A contract or line id the configuration does not know ("" when all are known)."""
    unknown = [f"contract {c!r}" for c in contracts if c not in config.contracts]
    unknown += [f"line {ln!r}" for ln in lines if ln not in config.lines]
    return f"no {', '.join(unknown)} in the configuration" if unknown else ""


def parse_duration(text: str) -> timedelta | None:
    """``90m``, ``4h`` or ``2d`` (at most a week); None when it is none of these."""
    match = _DURATION.match(text.strip().lower())
    if not match:
        return None
    amount = int(match.group(1)) * {"m": 1, "h": 60, "d": 1440}[match.group(2)]
    return timedelta(minutes=amount) if 0 < amount <= 10080 else None
