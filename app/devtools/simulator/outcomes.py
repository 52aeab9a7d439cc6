"""Scripts for the people on a simulated call: what the caller does, how each phone reacts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class CallerScript:
    """The caller: one entry of ``digits`` per ``<Gather>`` (``None`` stays silent for it).

    ``hangup_after_seconds`` ends the call when the virtual clock passes it. For ``<Record>`` the
    caller speaks ``record_seconds`` and then presses ``record_key`` (or hangs up: ``"hangup"``);
    ``says`` is what a transcription of it reads (nothing said: the transcription fails).
    """

    digits: Sequence[str | None] = ()
    hangup_after_seconds: float | None = None
    record_seconds: float = 12.0
    record_key: str = "hangup"
    says: str = ""


@dataclass(frozen=True)
class NoAnswer:
    """The phone rings until the ``<Dial>`` timeout."""


@dataclass(frozen=True)
class Busy:
    """The line is busy."""


@dataclass(frozen=True)
class Failed:
    """The number cannot be reached."""


@dataclass(frozen=True)
class Answer:
    """Picked up after ``after_seconds`` of ringing.

    ``press`` is what the person keys in at the screening ``<Gather>``: ``None`` answers and
    stays silent (a voicemail box); a sequence gives one entry per ``<Gather>``. Once bridged,
    the engineer talks ``talk_seconds`` and hangs up.
    """

    press: str | Sequence[str | None] | None = None
    talk_seconds: float = 60.0
    after_seconds: float = 5.0

    def presses(self) -> list[str | None]:
        """One entry per screening ``<Gather>``, in order."""
        if self.press is None or isinstance(self.press, str):
            return [self.press]
        return list(self.press)


PhoneScript = NoAnswer | Busy | Failed | Answer
