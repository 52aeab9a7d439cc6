"""Shift-start reminders: the next handoff of each rotation and who to remind (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from app.escalation import OnCall
from app.notify import messages as text
from app.notify.delivery import EMAIL, SMS, Outgoing
from app.schedule import Rotation, handoff_instant, on_call, shift_index
from app.schedule.readable import local_time

SHIFT = "shift"
BEFORE = timedelta(seconds=1)


@dataclass(frozen=True)
class Handoff:
    rotation: str
    at: datetime  # when the next shift starts (UTC)

    @property
    def key(self) -> str:
        """Names the handoff in job ids (letters, digits, - and _) and notification subjects."""
        return f"{self.rotation}-{self.at.astimezone(UTC):%Y%m%dT%H%MZ}"


def next_handoffs(rotations: Mapping[str, Rotation], now: datetime) -> list[Handoff]:
    """The first handoff after ``now`` of every rotation that has participants."""
    found = []
    for rotation in rotations.values():
        if not rotation.participants:
            continue
        k = max(shift_index(rotation, now) + 1, 0)
        while handoff_instant(rotation, k) <= now:  # an empty shift (a skipped hour)
            k += 1
        found.append(Handoff(rotation.id, handoff_instant(rotation, k)))
    return found


def plan_reminder(config: Any, handoff: Handoff, who: OnCall = on_call) -> list[Outgoing]:
    """SMS (and e-mail) to whoever takes over at ``handoff``, unless they already hold it."""
    rotation = config.rotations.get(handoff.rotation)
    if rotation is None:
        return []
    person_id = who(rotation, handoff.at)
    before = who(rotation, handoff.at - BEFORE)
    person = config.people.get(person_id or "")
    if person is None or person_id == before:
        return []
    after = config.people[before].name if before in config.people else None
    starts = local_time(handoff.at, config.hotline.timezone)
    sms, subject = text.shift_reminder(config.hotline.name, rotation.id, starts, after)
    key = f"shift:{handoff.key}"
    out = [Outgoing(key, SHIFT, person.id, SMS, person.phone, sms)]
    if person.email:
        out.append(Outgoing(key, SHIFT, person.id, EMAIL, person.email, sms + "\n",
                            {"subject": subject}))
    return out
