"""The safe path: what a caller gets when our own code failed, or a dial result has no state of ours.

It rings the CIO and up to two named backups at once (``safe.xml``), then takes a voicemail
whose action and callbacks are endpoints of the safe path too (``safe_result.xml``): the
recording ends the call, and is logged and notified like any other voicemail. It reads only the
configuration in memory and Twilio's parameters: none of what an ordinary step may have failed in
(the chain, the clock, the guard).
"""

from __future__ import annotations

from app.calls.params import FINISHED, Params, call_sid
from app.calls.state import CallState
from app.calls.steps import FlowSteps, Reply
from app.config import HotlineConfig

SAFE_RECORDING = ("voice.safe_voicemail_done", "voice.safe_recording_status",
                  "voice.safe_transcription")


def safe_numbers(config: HotlineConfig) -> tuple[str, ...]:
    """The CIO and the backups the default policy names in person, at most three."""
    policy = config.policy
    named = (policy.cio, *(b.target for b in policy.backups if b.kind == "person"))
    people = [p for p in named if p and p in config.people]
    return tuple(config.people[p].phone for p in people[:3])


def is_callers_leg(params: Params) -> bool:
    """The customer's own call, not a leg we dialled (an engineer's phone)."""
    return not params.get("ParentCallSid") and params.get("Direction", "inbound") == "inbound"


class SafeSteps(FlowSteps):
    """The safe answer, and the voicemail after it."""

    def safe(self, params: Params) -> Reply:
        """A webhook failed: ring people at once, and log the call's start (the first copy of its
        key is what counts, so a call that started normally keeps its own)."""
        reply = self._safe_dial(params)
        if is_callers_leg(params):
            caller, line = self._called(params)
            reply.events.append(self._started(call_sid(params), params, caller, line))
        return reply

    def safe_result(self, params: Params, state: CallState) -> Reply:
        """The safe <Dial> ended: connected, gone, or a voicemail."""
        if params.get("DialCallStatus") == "completed" or params.get("CallStatus") in FINISHED:
            return self._reply("safe_result", connected=True)
        reply = self._voicemail(call_sid(params), state, "error", endpoints=SAFE_RECORDING)
        reply.template = "safe_result"
        reply.context["connected"] = False
        return reply

    def _safe_dial(self, params: Params) -> Reply:
        _caller, line = self._called(params)
        state = CallState(version=self.config.version, line=line.id)
        return self._reply(
            "safe", apology=self.config.prompts.error_apology,
            numbers=safe_numbers(self.config), ring_seconds=self.config.policy.ring_seconds,
            action_url=self.url_for("voice.safe_result", self._query(state)),
        )
