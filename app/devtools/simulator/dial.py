"""The ``<Dial>`` verb: ring the ``<Number>``s, screen who answers, bridge the first who accepts."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from urllib.parse import urljoin

from app.devtools.simulator.attempts import Attempt, NumberNoun, parse_numbers
from app.devtools.simulator.clock import HungUp
from app.devtools.simulator.context import API_VERSION
from app.devtools.simulator.events import (
    ANSWERS,
    CONNECTED,
    DIAL_RESULT,
    HANGS_UP,
    LEG_RESULT,
    RINGS,
    SYSTEM,
)
from app.devtools.simulator.legcallbacks import LegCallbacks
from app.devtools.simulator.legs import RAN_OUT, Goto, Leg
from app.devtools.simulator.outcomes import Answer, Busy, Failed
from app.devtools.simulator.result import DialResult
from app.devtools.simulator.twiml import int_attr

SETUP_SECONDS = 1.0  # a busy or unroutable number reports back after about a second
LEG_WORDS = {"no-answer": "no answer", "busy": "busy", "failed": "failed", "canceled": "canceled"}


def run_dial(leg: Leg, verb: ET.Element, url: str) -> Goto | None:
    """Execute one ``<Dial>`` on the caller's leg."""
    leg.check_method(verb, url)
    nouns = parse_numbers(leg, verb, url)
    if not nouns:
        leg.schema_error("<Dial> without a <Number> to call", url)
        return None
    return DialRun(leg, verb, url, nouns).run()


class DialRun:
    """One ``<Dial>``: its legs are simulated one after another on their own clocks."""

    def __init__(self, leg: Leg, verb: ET.Element, url: str, nouns: list[NumberNoun]) -> None:
        self.leg, self.verb, self.url = leg, verb, url
        self.call = leg.call
        self.settings = leg.call.settings
        self.t0 = leg.clock.now
        self.deadline = leg.clock.deadline
        self.timeout = int_attr(verb, "timeout", 30, 5, 600)
        self.callbacks = LegCallbacks(self.call, leg.clock)
        caller_id = verb.get("callerId") or leg.params["From"]
        self.attempts = [self._start(noun, caller_id) for noun in nouns]
        self.winner: Attempt | None = None
        self.caller_left = False

    def run(self) -> Goto | None:
        for attempt in sorted(self._answering(), key=lambda a: a.answer_at or 0.0):
            cutoff = self._cutoff()
            if cutoff is None or (attempt.answer_at or 0.0) < cutoff:
                self._screen(attempt)
        end, caller_gone = self._finish()
        self.leg.clock.now = end
        return self._report(end, caller_gone)

    def _start(self, noun: NumberNoun, caller_id: str) -> Attempt:
        script = self.call.phone(noun.number)
        params = {
            "CallSid": self.call.ids.sid("CA"), "ParentCallSid": self.leg.params["CallSid"],
            "AccountSid": self.settings.account_sid, "From": caller_id, "Caller": caller_id,
            "To": noun.number, "Called": noun.number, "Direction": "outbound-dial",
            "ApiVersion": API_VERSION,
        }
        attempt = Attempt(noun, script, params)
        self.call.result.dialed.append(noun.number)
        self.call.result.add(self.t0, noun.number, RINGS)
        self.callbacks.queue(attempt, "initiated", self.t0, "initiated")
        if isinstance(script, Busy | Failed):
            attempt.end(self.t0 + SETUP_SECONDS, "busy" if isinstance(script, Busy) else "failed")
            return attempt
        self.callbacks.queue(attempt, "ringing", self.t0, "ringing")
        if isinstance(script, Answer) and script.after_seconds < self.timeout:
            attempt.answer_at = self.t0 + script.after_seconds
        else:
            attempt.end(self.t0 + self.timeout, "no-answer")
        return attempt

    def _answering(self) -> list[Attempt]:
        return [a for a in self.attempts if a.answer_at is not None]

    def _cutoff(self) -> float | None:
        """When ringing stops for everyone: the first bridge, or the caller hanging up."""
        bridge = self.winner.bridge_at if self.winner else None
        times = [t for t in (bridge, self.deadline) if t is not None]
        return min(times) if times else None

    def _screen(self, attempt: Attempt) -> None:
        assert attempt.answer_at is not None
        number = attempt.noun.number
        self.callbacks.flush(attempt.answer_at)
        self.call.result.add(attempt.answer_at, number, ANSWERS)
        self.callbacks.queue(attempt, "answered", attempt.answer_at, "in-progress")
        self.callbacks.flush(attempt.answer_at)
        if attempt.noun.url is None:
            self._bridged(attempt, attempt.answer_at)
            return
        clock = self.leg.clock.fork(attempt.answer_at, self._cutoff())
        script = attempt.script
        presses = script.presses() if isinstance(script, Answer) else []
        engineer = Leg(self.call, clock, number, {**attempt.params, "CallStatus": "in-progress"},
                       presses)
        try:
            ending = engineer.run(urljoin(self.url, attempt.noun.url))
        except HungUp:
            gone = self.deadline is not None and clock.now >= self.deadline
            self.caller_left = self.caller_left or gone
            why = "the caller is gone" if gone else "another leg was bridged"
            attempt.end(clock.now, "completed", "canceled", f"hangs up: {why}")
            return
        if ending == RAN_OUT:
            self._bridged(attempt, clock.now)
        else:
            attempt.end(clock.now, "completed", self.settings.screened_out_status,
                        "not accepted: the screening hung up")

    def _bridged(self, attempt: Attempt, at: float) -> None:
        attempt.bridge_at = at
        if self.winner is None or at < (self.winner.bridge_at or math.inf):
            self.winner = attempt

    def _finish(self) -> tuple[float, bool]:
        """Settle every leg; return when the Dial ends and whether the caller hung up first."""
        winner, stop = self.winner, self._cutoff()
        if winner is not None and winner.bridge_at is not None:
            talk = winner.script.talk_seconds if isinstance(winner.script, Answer) else 0.0
            natural = winner.bridge_at + talk
        else:
            natural = max(a.end_at for a in self.attempts)
        caller_gone = self.caller_left or (self.deadline is not None and self.deadline < natural)
        for attempt in self.attempts:
            if attempt is not winner and stop is not None and attempt.end_at > stop:
                answered = attempt.answer_at is not None and attempt.answer_at < stop
                attempt.end(stop, "completed" if answered else "canceled", "canceled",
                            "hangs up" if answered else "canceled")
        end = min(natural, self.deadline) if caller_gone and self.deadline is not None else natural
        if winner is not None:
            self._talk(winner, end, caller_gone)
        for attempt in self.attempts:
            if attempt is not winner:
                note = attempt.note or LEG_WORDS.get(attempt.status, attempt.status)
                self.call.result.add(attempt.end_at, attempt.noun.number, LEG_RESULT, note)
            self.callbacks.queue(attempt, "completed", attempt.end_at, attempt.status)
        return end, caller_gone

    def _talk(self, winner: Attempt, end: float, caller_gone: bool) -> None:
        assert winner.bridge_at is not None
        winner.end(end, "completed", "completed")
        winner.bridged = True
        number = winner.noun.number
        talk = int(round(end - winner.bridge_at))
        self.call.result.add(winner.bridge_at, number, CONNECTED, str(talk))
        if self.call.result.connected_to is None:
            self.call.result.connected_to = number
        if not caller_gone:
            self.call.result.add(end, number, HANGS_UP)

    def _report(self, end: float, caller_gone: bool) -> Goto | None:
        """Tell the app how the Dial went: the action request, or the next verb."""
        result, winner = self.call.result, self.winner
        status = "completed" if winner else "canceled" if caller_gone else self._failure_status()
        last = winner or max(reversed(self.attempts), key=lambda a: a.end_at)
        talk = int(round(end - winner.bridge_at)) if winner and winner.bridge_at is not None else 0
        fields = {
            "DialCallStatus": status, "DialCallSid": last.params["CallSid"],
            "DialCallDuration": str(talk), "DialBridged": "true" if winner else "false",
        }
        for attempt in self.attempts:
            result.dial_results.append(
                DialResult(attempt.noun.number, attempt.dial_status, attempt.bridged))
        result.add(end, SYSTEM, DIAL_RESULT,
                   f"{status}, {'bridged' if winner else 'not bridged'}")
        action = self.verb.get("action")
        if self.settings.late_leg_callbacks:
            self.call.deferred.append(self.callbacks.flush)
        else:
            self.callbacks.flush()
        if caller_gone:
            if action and self.settings.dial_action_after_caller_hangup:
                self.leg.params["CallStatus"] = "completed"
                self.leg.fetch(urljoin(self.url, action), fields)
                self.call.flush_deferred()
            raise HungUp(end)
        return Goto(urljoin(self.url, action), fields) if action else None

    def _failure_status(self) -> str:
        statuses = {a.dial_status for a in self.attempts}
        order = (self.settings.screened_out_status, "no-answer", "busy", "failed", "canceled")
        return next((s for s in order if s in statuses), "no-answer")
