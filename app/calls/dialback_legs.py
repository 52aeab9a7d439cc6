"""Calling a customer back: the hotline rings the engineer, who presses 1, then it dials the
customer with the hotline's number as caller ID (the engineer's own number is never shown).

Both legs' webhooks carry a :class:`CallbackState` sealed with its own key; every event is
logged on the original call, so the callback is part of that call's timeline and log.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass

from app.calls import events as ev
from app.calls.dialback import OK, refusal, spoken_digits
from app.calls.params import FINISHED, Params, clip, dial_outcome, digits_of, to_int
from app.calls.seal import is_sealed, sealed
from app.calls.state import CallState
from app.calls.steps import ANONYMOUS, FlowSteps, Reply
from app.contracts import E164_SHAPE
from app.prompts import fill

FIELDS = ("o", "n", "c", "p", "l", "a")  # call, number, contract, person, line, attempt
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_SID = re.compile(r"^[A-Za-z0-9]{1,64}$")
RING_SECONDS = 30


@dataclass(frozen=True)
class CallbackState:
    call: str
    number: str
    contract: str
    person: str
    line: str
    attempt: str

    def to_query(self, key: bytes) -> dict[str, str]:
        values = dict(zip(FIELDS, (self.call, self.number, self.contract, self.person,
                                   self.line, self.attempt), strict=True))
        return sealed(legs_key(key), values, FIELDS)

    @classmethod
    def from_query(cls, args: Mapping[str, str], key: bytes) -> CallbackState | None:
        """None unless our seal matches and every field is what we write."""
        if not is_sealed(legs_key(key), args, FIELDS):
            return None
        found = cls(*(args.get(name, "") for name in FIELDS))
        ids_ok = all(_ID.match(v) or not v for v in (found.contract, found.line))
        if (_SID.match(found.call) and E164_SHAPE.match(found.number) and ids_ok
                and _ID.match(found.person) and _SID.match(found.attempt)):
            return found
        return None


def legs_key(state_key: bytes) -> bytes:
    """The callback legs' own key, from the call state's: one seal never passes for the other."""
    return hmac.digest(state_key, b"hotline callback legs", "sha256")


class DialbackLegs(FlowSteps):
    """The engineer's leg (answer, press 1) and the customer's (dialled, result)."""

    def callback_answered(self, params: Params, cb: CallbackState | None) -> Reply:
        """The engineer picked up the hotline's call: who is to be called back, press 1."""
        if cb is None:
            return self._reply("goodbye", message="")
        line = self.config.line(cb.line)
        contract = self.config.directory.get(cb.contract)
        prompt = fill(line.prompts.callback_screen, number=spoken_digits(cb.number),
                      customer=contract.name if contract else ANONYMOUS.name, hotline=line.name)
        return self._reply("screen", [self._leg(cb, "engineer", "answered")], prompt=prompt,
                           action_url=self.url_for("voice.callback_accept", cb.to_query(
                               self.state_key)), no_input=line.prompts.screen_no_input)

    def callback_accept(self, params: Params, cb: CallbackState | None) -> Reply:
        """1: dial the customer (checked again: the file may have changed since the request)."""
        if cb is None:
            return self._reply("goodbye", message="")
        line = self.config.line(cb.line)
        accepted = digits_of(params.get("Digits"), 1) == "1"
        reason = refusal(cb.number, self.config) if accepted else "declined"
        logged = self._leg(cb, "engineer", "accepted" if reason == OK else "declined",
                           reason=reason if reason != OK else None)
        if reason != OK:
            return self._reply("goodbye", [logged], message=line.prompts.screen_declined)
        contract = self.config.directory.get(cb.contract)
        return self._reply(
            "callback_dial", [logged],
            message=fill(line.prompts.callback_connecting,
                         customer=contract.name if contract else cb.number),
            number=cb.number, caller_id=line.numbers[0], ring_seconds=RING_SECONDS,
            time_limit=self.config.security.max_call_minutes * 60,
            action_url=self.url_for("voice.callback_result", cb.to_query(self.state_key)),
            greet_url=self.url_for("voice.callback_greet", cb.to_query(self.state_key)))

    def callback_greet(self, params: Params, cb: CallbackState | None) -> Reply:
        """The customer picked up: they hear who calls back before the engineer is put through."""
        state = CallState(contract=cb.contract, line=cb.line) if cb else CallState()
        message = fill(self._said(state).callback_greeting,
                       hotline=self.config.line(state.line).name)
        return self._reply("screen_result", language=self._language(state), message=message,
                           accepted=True)

    def callback_result(self, params: Params, cb: CallbackState | None) -> Reply:
        """The customer's leg ended: its outcome goes on the original call's log."""
        if cb is None:
            return self._reply("goodbye", message="")
        bridged = params.get("DialBridged", "").lower() == "true"
        status = clip(params.get("DialCallStatus"), 20)
        outcome = dial_outcome(status, bridged or status == "completed")
        result = ev.make_event(ev.CALLBACK_RESULT, cb.call, f"callback:{cb.attempt}:result", {
            "attempt": cb.attempt, "person": cb.person, "number": cb.number,
            "dial_status": status, "outcome": outcome,
            "talk_seconds": to_int(params.get("DialCallDuration")) if outcome == ev.CONNECTED
            else 0}, stamp=self._stamp)
        return self._reply("goodbye", [result], message="")

    def callback_status(self, params: Params, cb: CallbackState | None) -> list[ev.Event]:
        """The engineer's leg ended (not answered, busy, over): logged, nothing to answer."""
        status = clip(params.get("CallStatus"), 20)
        if cb is None or status not in FINISHED:
            return []
        return [self._leg(cb, "engineer", status, duration=to_int(params.get("CallDuration")))]

    def _leg(self, cb: CallbackState, leg: str, status: str, **data: object) -> ev.Event:
        return ev.make_event(ev.CALLBACK_LEG, cb.call, f"callback:{cb.attempt}:{leg}:{status}", {
            "attempt": cb.attempt, "leg": leg, "person": cb.person, "number": cb.number,
            "status": status, **data}, stamp=self._stamp)
