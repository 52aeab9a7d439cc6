"""Renders a simulated call as a human-readable, step-by-step transcript."""

from __future__ import annotations

from collections.abc import Sequence

from app.devtools.simulator.events import (
    ANSWERS,
    CALLER,
    CONNECTED,
    DIAL_RESULT,
    ENDED,
    ERROR,
    HANGS_UP,
    HEARS,
    LEG_RESULT,
    PRESSES,
    RECORDS,
    REJECTED,
    RINGS,
    SILENT,
    Event,
)

DEFAULT_LANGUAGE = "en-US"


def render(events: Sequence[Event], names: dict[str, str]) -> str:
    """One line per step, ``mm:ss who did what``; an answer and what follows it share a line."""
    lines: list[str] = []
    index = 0
    while index < len(events):
        event = events[index]
        following = events[index + 1] if index + 1 < len(events) else None
        if event.kind == ANSWERS and _heard_right_after(event, following):
            assert following is not None
            lines.append(f"{stamp(event.at)} {label(event.who, names)} answers and "
                         f"{_hears(following)}")
            index += 2
            continue
        lines.append(f"{stamp(event.at)} {describe(event, names)}")
        index += 1
    return "\n".join(lines)


def describe(event: Event, names: dict[str, str]) -> str:
    """The words for one event, without its time."""
    who = label(event.who, names)
    phrases = {
        HEARS: f"{who} {_hears(event)}",
        PRESSES: f"{who} presses {event.text}",
        SILENT: f"{who} stays silent",
        RINGS: f"rings {who}",
        ANSWERS: f"{who} answers",
        LEG_RESULT: f"{who} {event.text}",
        CONNECTED: f"connected to {who}; talk {event.text} s",
        DIAL_RESULT: f"dial result: {event.text}",
        RECORDS: f"{who} records {event.text}",
        HANGS_UP: f"{who} hangs up",
        REJECTED: f"call rejected ({event.text})",
        ERROR: f"error {event.text}",
        ENDED: f"call ended ({event.text})",
    }
    return phrases.get(event.kind, f"{who} {event.kind} {event.text}".rstrip())


def label(who: str, names: dict[str, str]) -> str:
    """``+4915... (Alice)`` when a name is known; ``caller`` stays ``caller``."""
    if who == CALLER or who not in names:
        return who
    return f"{who} ({names[who]})"


def stamp(seconds: float) -> str:
    """``mm:ss``, or ``h:mm:ss`` past an hour."""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def _hears(event: Event) -> str:
    if event.language and event.language != DEFAULT_LANGUAGE:
        return f"hears ({event.language}): {event.text}"
    return f"hears: {event.text}"


def _heard_right_after(event: Event, following: Event | None) -> bool:
    return (
        following is not None
        and following.kind == HEARS
        and following.who == event.who
        and int(following.at) == int(event.at)
    )
