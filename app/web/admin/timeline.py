"""A call's timeline as lanes of phases (ringing, screening, talk, voicemail), for one picture.

Pure: it reads the stored call, its attempts, voicemails and raw events, and places each phase
in seconds from the start of the call. Drawing it is the template's job.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from app.calls import events as ev

RING, SCREEN, TALK, VOICEMAIL = "ring", "screen", "talk", "voicemail"
PHASE_NAMES = {RING: "ringing", SCREEN: "screening", TALK: "talk", VOICEMAIL: "voicemail"}
_ANSWERED = frozenset({"in-progress", "answered"})
_NICE_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)


class AttemptLike(Protocol):
    step: int
    person: str | None
    status: str
    accept_key: str | None
    leg_sid: str | None
    ring_seconds: float | None
    talk_seconds: int | None
    started_at: datetime | None
    ended_at: datetime | None


class EventLike(Protocol):
    type: str
    at: datetime
    data: dict[str, Any]


@dataclass(frozen=True)
class Segment:
    phase: str
    start: float  # seconds after the call started
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Lane:
    title: str     # "1. Dana Schulz"
    result: str    # "no answer", "accepted, talked 1 min 00 s", ...
    status: str
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Timeline:
    lanes: tuple[Lane, ...]
    total: float
    ticks: tuple[float, ...]

    def pct(self, seconds: float) -> float:
        """Where ``seconds`` falls across the picture, in percent of its width."""
        return round(100.0 * min(max(seconds, 0.0), self.total) / self.total, 3)


RESULTS = {
    ev.CONNECTED: "accepted and connected",
    ev.NO_ANSWER: "no answer",
    ev.BUSY: "busy",
    ev.FAILED: "call failed",
    ev.DECLINED: "declined",
    ev.NOT_ACCEPTED: "picked up without pressing 1 (a voicemail box?)",
    ev.CANCELED: "caller hung up while it rang",
}


def build_timeline(started_at: datetime | None, ended_at: datetime | None,
                   attempts: Sequence[AttemptLike], events: Sequence[EventLike],
                   voicemail_seconds: Sequence[int | None], name: Callable[[str | None], str],
                   ) -> Timeline:
    """The lanes of one call: one per dial attempt, then one for a recorded voicemail."""
    origin = started_at or min((e.at for e in events), default=None)
    if origin is None:
        return Timeline((), 1.0, (0.0,))

    def at(moment: datetime | None) -> float | None:
        return None if moment is None else max(0.0, (moment - origin).total_seconds())

    lanes = [_attempt_lane(a, [e for e in events if _step_of(e, a)], at, name) for a in attempts]
    lanes += _voicemail_lanes(events, voicemail_seconds, at)
    ends = [s.end for lane in lanes for s in lane.segments]
    total = max([1.0, *ends, at(ended_at) or 0.0])
    return Timeline(tuple(lanes), total, ticks(total))


def _step_of(event: EventLike, attempt: AttemptLike) -> bool:
    if event.type not in (ev.DIAL_STARTED, ev.LEG_STATUS, ev.SCREEN_RESULT, ev.DIAL_RESULT):
        return False
    step = event.data.get("step")
    if step is not None:
        return int(step) == attempt.step
    return bool(attempt.leg_sid) and event.data.get("leg_sid") == attempt.leg_sid


def _attempt_lane(attempt: AttemptLike, events: list[EventLike],
                  at: Callable[[datetime | None], float | None],
                  name: Callable[[str | None], str]) -> Lane:
    start = at(attempt.started_at) or 0.0
    answered = _first(events, lambda e: e.type == ev.LEG_STATUS and e.data.get("status") in _ANSWERED)
    screened = _first(events, lambda e: e.type == ev.SCREEN_RESULT)
    answered_s = at(answered) if answered else at(screened)
    accepted_s = at(screened) if screened else answered_s
    end = at(attempt.ended_at)
    if answered_s is None:
        ring_end = end if end is not None else start + (attempt.ring_seconds or 0.0)
        segments = [Segment(RING, start, max(start, ring_end))]
    else:
        segments = [Segment(RING, start, answered_s)]
        talk_from = accepted_s if accepted_s is not None else answered_s
        if attempt.status == ev.CONNECTED:
            segments.append(Segment(SCREEN, answered_s, talk_from))
            talk_end = talk_from + attempt.talk_seconds if attempt.talk_seconds else end
            segments.append(Segment(TALK, talk_from, max(talk_from, talk_end or talk_from)))
        else:
            segments.append(Segment(SCREEN, answered_s, max(answered_s, end or talk_from)))
    return Lane(f"{attempt.step + 1}. {name(attempt.person)}", _result(attempt), attempt.status,
                tuple(s for s in segments if s.end > s.start or s.phase == RING))


def _result(attempt: AttemptLike) -> str:
    text = RESULTS.get(attempt.status, "still ringing")
    if attempt.status == ev.DECLINED and attempt.accept_key:
        text += f" (pressed {attempt.accept_key})"
    if attempt.status == ev.CONNECTED and attempt.talk_seconds:
        minutes, secs = divmod(int(attempt.talk_seconds), 60)
        text += f", talked {minutes} min {secs:02d} s" if minutes else f", talked {secs} s"
    return text


def _voicemail_lanes(events: Sequence[EventLike], durations: Sequence[int | None],
                     at: Callable[[datetime | None], float | None]) -> list[Lane]:
    started = _first(events, lambda e: e.type == ev.VOICEMAIL_STARTED)
    recorded = [e for e in events if e.type == ev.VOICEMAIL_RECORDED]
    if started is None or not recorded:
        return []
    begin = at(started) or 0.0
    seconds = next((d for d in durations if d), None) or _int(recorded[0].data.get("duration"))
    end = begin + seconds if seconds else (at(recorded[0].at) or begin)
    return [Lane("Voicemail", f"recorded {int(end - begin)} s", VOICEMAIL,
                 (Segment(VOICEMAIL, begin, end),))]


def _first(events: Sequence[EventLike], test: Callable[[EventLike], bool]) -> datetime | None:
    return min((e.at for e in events if test(e)), default=None)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


_FLOW = (ev.CALL_STARTED, ev.CALL_REJECTED, ev.PIN_ATTEMPT, ev.CALL_IDENTIFIED,
         ev.CALL_UNIDENTIFIED, ev.ROUTE_CLOSED, ev.ROUTE_EMERGENCY, ev.CHAIN_CHOSEN,
         ev.STEP_SKIPPED, ev.DIAL_STARTED, ev.LEG_STATUS, ev.SCREEN_RESULT, ev.DIAL_RESULT,
         ev.VOICEMAIL_STARTED, ev.VOICEMAIL_RECORDED, ev.RECORDING_STATUS, ev.CALL_ENDED)
_RANK = {t: i for i, t in enumerate(_FLOW)}


E = TypeVar("E", bound=EventLike)


def in_flow_order(events: Sequence[E]) -> list[E]:
    """Events by time; several in one instant in the order a call goes through them."""
    def key(e: E) -> tuple[datetime, int, int, int]:
        rank = _RANK.get(e.type, len(_FLOW))
        step = _int(e.data.get("step"))
        if step is None:
            step = -1 if rank < _RANK[ev.DIAL_STARTED] else 1_000_000
        return e.at, step, rank, _int(e.data.get("sequence")) or 0

    return sorted(events, key=key)


def ticks(total: float, most: int = 6) -> tuple[float, ...]:
    """Round marks along [0, total]: every 1, 2, 5, 10, 15, 30 s ... whichever fits ``most``."""
    step = next((s for s in _NICE_STEPS if total / s <= most), _NICE_STEPS[-1])
    return tuple(float(k * step) for k in range(int(total // step) + 1))


def tick_label(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}" if minutes else f"{secs} s"
