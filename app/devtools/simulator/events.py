"""The typed steps a simulated call is made of (who did what, at which virtual second)."""

from __future__ import annotations

from dataclasses import dataclass

CALLER = "caller"
SYSTEM = "system"

HEARS = "hears"
PRESSES = "presses"
SILENT = "silent"
RINGS = "rings"
ANSWERS = "answers"
LEG_RESULT = "leg_result"
CONNECTED = "connected"
DIAL_RESULT = "dial_result"
RECORDS = "records"
HANGS_UP = "hangs_up"
REJECTED = "rejected"
ERROR = "error"
ENDED = "ended"


@dataclass(frozen=True)
class Event:
    """One step: ``who`` (``caller``, a dialled number or ``system``) did ``kind`` at ``at`` s."""

    at: float
    who: str
    kind: str
    text: str = ""
    language: str | None = None
