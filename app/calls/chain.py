"""The chain's steps: ring each person with screening, take the dial result, then the voicemail.

A leg's webhook without a state of ours (no seal, or one that does not match) names no step: its
events say so (``step`` None), and a dial result without one goes to the safe path
(``app.calls.safe``) rather than to a step it cannot know.
"""

from __future__ import annotations

from app.calls import events as ev
from app.calls.params import FINISHED, Params, call_sid, clip, dial_outcome, to_int
from app.calls.safe import SafeSteps
from app.calls.state import CallState
from app.calls.steps import ANONYMOUS, TIER_WORDS, DialStep, Reply
from app.prompts import fill


class ChainSteps(SafeSteps):
    """The customer's leg while the chain rings, and the engineer's leg (screening)."""

    def dial_result(self, params: Params, state: CallState) -> Reply:
        sid = call_sid(params)
        status = params.get("DialCallStatus", "")
        bridged = params.get("DialBridged", "").lower() == "true"
        outcome = dial_outcome(status, bridged)
        step, leg = self._step(state), clip(params.get("DialCallSid"))
        key = f"dial:{step}:result" if step is not None else f"dial:-:{leg}:result"
        result = self._event(ev.DIAL_RESULT, sid, key, {
            "step": step, "person": state.person, "leg_sid": leg,
            "dial_status": clip(status), "bridged": bridged,
            "talk_seconds": to_int(params.get("DialCallDuration")) if bridged else 0,
            "outcome": outcome,
        })
        if outcome == ev.CONNECTED or params.get("CallStatus") in FINISHED:
            self.guard.released(sid)
            reply = self._reply("goodbye", message="")
        elif step is None:  # which step rang is unknown: skip nobody, restart nobody
            reply = self._safe_dial(params)
        else:
            reply = self._dial(sid, params, state.at_step(state.step + 1), announce=True)
        reply.events.insert(0, result)
        return reply

    def voicemail_done(self, params: Params, state: CallState) -> Reply:
        sid = call_sid(params)
        prompts = self._prompts(state.line)
        duration = to_int(params.get("RecordingDuration"))
        url = clip(params.get("RecordingUrl"), 300)
        recorded = bool(url) and duration > 0
        events = [self._event(ev.VOICEMAIL_RECORDED, sid, "voicemail:recorded", {
            "recording_sid": clip(params.get("RecordingSid")), "recording_url": url,
            "duration": duration, "digits": clip(params.get("Digits")),
        })] if recorded else []
        message = prompts.voicemail_thanks if recorded else prompts.voicemail_empty
        return self._reply("goodbye", events, message=message, language=self._language(state))

    def screen(self, params: Params, state: CallState) -> Reply:
        contract = self.config.directory.get(state.contract)
        line = self.config.line(state.line)
        prompt = fill(
            line.prompts.screen,
            customer=contract.name if contract else ANONYMOUS.name,
            tier=TIER_WORDS[contract.tier] if contract else "no",
            hotline=line.name,
        )
        action = self.url_for("voice.screen_result", self._query(state))
        return self._reply("screen", prompt=prompt, action_url=action,
                           no_input=line.prompts.screen_no_input)

    def screen_result(self, params: Params, state: CallState) -> Reply:
        prompts = self._prompts(state.line)
        digits = clip(params.get("Digits"), 8)
        accepted = digits == "1"
        parent = params.get("ParentCallSid") or call_sid(params)
        leg, step = call_sid(params), self._step(state)
        key = f"screen:{'-' if step is None else step}:{leg}"
        logged = self._event(ev.SCREEN_RESULT, clip(parent), key, {
            "step": step, "person": state.person, "leg_sid": leg,
            "digits": digits, "accepted": accepted,
        })
        if accepted and state.person:
            self.guard.engaged(state.person, clip(parent))
        if accepted:
            message = prompts.screen_accepted
        else:
            message = prompts.screen_declined if digits else prompts.screen_no_input
        return self._reply("screen_result", [logged], message=message, accepted=accepted)

    def _dial(self, sid: str, params: Params, state: CallState, announce: bool) -> Reply:
        """Ring the person at ``state.step``; skip people no longer configured; then voicemail."""
        events: list[ev.Event] = []
        while state.person is not None and (reason := self._unavailable(state.person)):
            events.append(self._event(ev.STEP_SKIPPED, sid, f"skip:{state.step}", {
                "step": state.step, "person": state.person, "reason": reason,
            }))
            state = state.at_step(state.step + 1)
        if state.person is None:
            reply = self._voicemail(sid, state, "nobody accepted")
            reply.events[:0] = events
            return reply
        line = self.config.line(state.line)
        person = self.config.people[state.person]
        ring = self.config.policies[line.policy].ring_seconds
        query = self._query(state)
        step = DialStep(
            number=person.phone,
            caller_id=dialled if (dialled := params.get("To")) in line.numbers else line.numbers[0],
            ring_seconds=ring,
            time_limit=self.config.security.max_call_minutes * 60,
            action_url=self.url_for("voice.dial_result", query),
            screen_url=self.url_for("voice.screen", query),
            status_url=self.url_for("voice.leg_status", query),
        )
        events.append(self._event(ev.DIAL_STARTED, sid, f"dial:{state.step}:started", {
            "step": state.step, "person": person.id, "number": person.phone, "ring_seconds": ring,
        }))
        announcement = line.prompts.next_step if announce else ""
        return self._reply("dial", events, step=step, announcement=announcement,
                           language=self._language(state))
