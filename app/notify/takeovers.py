"""Shift takeovers: whose time an engineer takes over, and the messages that tell them (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.notify import messages as text
from app.notify.delivery import EMAIL, SMS, Outgoing
from app.schedule import Override, Rotation, shifts
from app.schedule.readable import local_time

TAKEOVER, GIVEBACK = "takeover", "giveback"


@dataclass(frozen=True)
class Takeover:
    """Override ``id``, made at ``created``: ``taker`` covers ``rotation`` during [start, end)."""

    id: int
    rotation: str
    taker: str
    start: datetime
    end: datetime
    created: datetime

    @property
    def key(self) -> str:
        """Names it in job ids and the ledger; the time too, since SQLite may reuse a free id."""
        return f"{self.id}-{self.created.astimezone(UTC):%Y%m%dT%H%M%S%f}"

    def as_args(self) -> dict[str, Any]:
        """As a job's argument (JSON): the row is gone by the time a give-back is told."""
        return {"id": self.id, "rotation": self.rotation, "taker": self.taker,
                **{k: getattr(self, k).isoformat() for k in ("start", "end", "created")}}

    @classmethod
    def from_args(cls, args: dict[str, Any]) -> Takeover:
        return cls(int(args["id"]), str(args["rotation"]), str(args["taker"]),
                   *(datetime.fromisoformat(args[k]) for k in ("start", "end", "created")))


def displaced(rotation: Rotation, takeover: Takeover, earlier: Sequence[Override]) -> list[str]:
    """Who would have been on call during the takeover, given the overrides made before it."""
    found: list[str] = []
    for shift in shifts(rotation, takeover.start, takeover.end, earlier):
        if shift.person != takeover.taker and shift.person not in found:
            found.append(shift.person)
    return found


def plan_takeover(config: Any, takeover: Takeover, colleagues: list[str],
                  base_url: str | None, kind: str = TAKEOVER) -> list[Outgoing]:
    """SMS and e-mail to each colleague whose shift it was, and to the admins of the file.

    ``kind`` GIVEBACK: the takeover was undone, and ``colleagues`` are on call again.
    """
    people = config.people
    taker = people[takeover.taker].name if takeover.taker in people else takeover.taker
    tz = config.hotline.timezone
    span = f"{local_time(takeover.start, tz)} to {local_time(takeover.end, tz)}"
    link = f"{base_url}/admin/on-call" if base_url else "hotline override list"
    facts = text.TakeoverFacts(config.hotline.name, taker, takeover.rotation, span, link)
    names = [people[p].name for p in colleagues if p in people]
    to_colleague, to_admin = ((text.takeover_to_colleague, text.takeover_to_admin)
                              if kind == TAKEOVER else
                              (text.giveback_to_colleague, text.giveback_to_admin))
    told = {p: to_colleague(facts) for p in colleagues}
    for pid in config.notifications.admins:
        told.setdefault(pid, to_admin(facts, names))
    subject = f"{kind}:{takeover.key}"
    out: list[Outgoing] = []
    for pid, (body, title) in told.items():
        person = people.get(pid)
        if person is None or pid == takeover.taker:
            continue
        out.append(Outgoing(subject, kind, pid, SMS, person.phone, body))
        if person.email:
            out.append(Outgoing(subject, kind, pid, EMAIL, person.email, body + "\n",
                                {"subject": title}))
    return out
