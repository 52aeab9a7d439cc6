"""The chain's steps: ring each person with screening, take the dial result, then the voicemail.

A leg's webhook without a state of ours (no seal, or one that does not match) names no step: its
events say so (``step`` None), and a dial result without one goes to the safe path
(``app.calls.safe``) rather than to a step it cannot know.
"""

from __future__ import annotations

from app.calls import events as ev
from app.calls.dialback_steps import CALLBACK_KEY, DialbackSteps
from app.calls.params import FINISHED, Params, call_sid, clip, dial_outcome, digits_of, to_int
from app.calls.safe import SafeSteps
from app.calls.state import CallState
from app.calls.steps import DialStep, Reply
from app.config.model import Line
from app.contracts import Tier, normalise_number
from app.escalation import Policy
from app.prompts import Speech, fill, tier_words


class ChainSteps(SafeSteps, DialbackSteps):
    """The customer's leg while the chain rings, and the engineer's leg (screening)."""

    def dial_result(self, params: Params, state: CallState, round_: int = 0) -> Reply:
        """A step's <Dial> ended; ``round_``: which wait for busy engineers it rang after."""
        sid = call_sid(params)
        status = params.get("DialCallStatus", "")
        bridged = params.get("DialBridged", "").lower() == "true"
        outcome = dial_outcome(status, bridged)
        step, leg = self._step(state), clip(params.get("DialCallSid"))
        key = f"dial:{step_key(step, round_)}:result" if step is not None \
            else f"dial:-:{leg}:result"
        result = self._event(ev.DIAL_RESULT, sid, key, {
            "step": step, "person": state.person, "leg_sid": leg,
            "dial_status": clip(status), "bridged": bridged,
            "talk_seconds": to_int(params.get("DialCallDuration")) if bridged else 0,
            "outcome": outcome, **round_data(round_),
        })
        if outcome == ev.CONNECTED or params.get("CallStatus") in FINISHED:
            self.guard.released(sid)
            reply = self._reply("goodbye", message="")
        elif step is None:  # which step rang is unknown: skip nobody, restart nobody
            reply = self._safe_dial(params)
        else:
            reply = self._dial(sid, params, state.at_step(state.step + 1), announce=True,
                               round_=round_)
        reply.events.insert(0, result)
        return reply

    def voicemail_done(self, params: Params, state: CallState) -> Reply:
        sid = call_sid(params)
        prompts = self._said(state)
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
        """The engineer hears who calls, in the engineer's language, whichever number shows."""
        contract = self.config.directory.get(state.contract)
        line = self.config.line(state.line)
        speech = self._engineer_speech(state)
        prompts = speech.prompts
        prompt = fill(
            prompts.screen,
            customer=contract.name if contract else prompts.unidentified_caller,
            tier=tier_words(prompts, contract is None or contract.tier is Tier.ALWAYS),
            hotline=line.name,
        )
        action = self.url_for("voice.screen_result", self._query(state))
        return self._reply("screen", language=speech.language, prompt=prompt, action_url=action,
                           no_input=prompts.screen_no_input)

    def screen_result(self, params: Params, state: CallState) -> Reply:
        speech = self._engineer_speech(state)
        prompts = speech.prompts
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
        return self._reply("screen_result", [logged], language=speech.language, message=message,
                           accepted=accepted)

    def _engineer_speech(self, state: CallState) -> Speech:
        """The language the person a leg rings has named, else the hotline's."""
        person = self.config.people.get(state.person or "")
        tag = person.language if person and person.language else self.config.hotline.language
        return self.config.line(state.line).speaking(tag)

    def busy_retry(self, params: Params, state: CallState, round_: int) -> Reply:
        """Every engineer was busy and the caller waited: the chain again from its start."""
        return self._dial(call_sid(params), params, state.at_step(0), announce=False,
                          round_=round_)

    def callback_key(self, params: Params, state: CallState, round_: int | None) -> Reply:
        """A key at "press 2 to be called back": while all were busy (``round_``) or at the
        voicemail prompt; another key goes on as silence would."""
        if digits_of(params.get("Digits"), 1) == CALLBACK_KEY:
            return self._callback_number_prompt(params, state)
        if round_ is not None:
            return self.busy_retry(params, state, round_ + 1)
        return self._voicemail(call_sid(params), state, "nobody accepted")

    def _dial(self, sid: str, params: Params, state: CallState, announce: bool,
              round_: int = 0) -> Reply:
        """Ring the person at ``state.step``; skip people no longer configured or busy; when
        none is left, offer a callback (all busy) or the voicemail."""
        events: list[ev.Event] = []
        previous_pass = state.at_step(state.step - 1).pass_number
        while state.person is not None and (reason := self._unavailable(state.person)):
            events.append(self._event(ev.STEP_SKIPPED, sid, f"skip:{step_key(state.step, round_)}",
                                      {"step": state.step, "person": state.person,
                                       "reason": reason, **round_data(round_)}))
            state = state.at_step(state.step + 1)
        if state.person is not None and self._waited_out(state):
            reply = self._offered_voicemail(sid, state, "wait limit reached")
            reply.events[:0] = events
            return reply
        if state.person is None:
            everyone_busy = self._everyone_busy(state)
            if everyone_busy and round_ < self.config.callbacks.retries:
                reply = self._all_busy(sid, state, round_)
            else:
                reason = "everyone on another call" if everyone_busy else "nobody accepted"
                reply = self._offered_voicemail(sid, state, reason)
            reply.events[:0] = events
            return reply
        line = self.config.line(state.line)
        person = self.config.people[state.person]
        policy = self.config.policies[line.policy]
        ring = self._ring_seconds(state, policy)
        query = self._query(state)
        step = DialStep(
            number=person.phone,
            caller_id=self._shown_number(params, line, policy),
            ring_seconds=ring,
            time_limit=self.config.security.max_call_minutes * 60,
            action_url=self.url_for("voice.dial_result", {**query, **round_query(round_)}),
            screen_url=self.url_for("voice.screen", query),
            status_url=self.url_for("voice.leg_status", query),
        )
        events.append(self._event(ev.DIAL_STARTED, sid, f"dial:{step_key(state.step, round_)}:started", {
            "step": state.step, "person": person.id, "number": person.phone, "ring_seconds": ring,
            "pass": state.pass_number, "caller_id": step.caller_id, **round_data(round_),
        }))
        prompts = self._said(state)
        again = state.pass_number > previous_pass
        announcement = (prompts.next_pass if again else prompts.next_step) if announce else ""
        return self._reply("dial", events, step=step, announcement=announcement,
                           language=self._language(state))

    def _waited_out(self, state: CallState) -> bool:
        """Whether the caller has waited as long as the line's policy allows."""
        limit = self.config.policies[self.config.line(state.line).policy].max_wait_seconds
        return bool(limit and state.since) and self.now.timestamp() - state.since >= (limit or 0)

    def _ring_seconds(self, state: CallState, policy: Policy) -> int:
        """The policy's ring time, cut to what is left of the wait limit (Twilio's minimum 5 s)."""
        if not (policy.max_wait_seconds and state.since):
            return policy.ring_seconds
        left = state.since + policy.max_wait_seconds - self.now.timestamp()
        return max(5, min(policy.ring_seconds, int(left)))

    def _shown_number(self, params: Params, line: Line, policy: Policy) -> str:
        """What the engineer's phone shows: the number the customer dialled (one of the line's),
        or with ``caller_id = "customer"`` the customer's own number when it is known."""
        if policy.caller_id == "customer":
            customer = normalise_number(params.get("From"), self.config.hotline.default_region)
            if customer is not None and not self.config.security.blocks(customer):
                return customer
        dialled = params.get("To")
        return dialled if dialled in line.numbers else line.numbers[0]


def step_key(step: int | None, round_: int) -> str:
    """A step in its events' keys: the step, and after a wait for busy engineers that rang the
    chain again, the round too (``3:r1``); the first round keeps the keys logs always had."""
    return f"{step}:r{round_}" if round_ else str(step)


def round_data(round_: int) -> dict[str, int]:
    """``round`` in a step's event data, after a wait for busy engineers only."""
    return {"round": round_} if round_ else {}


def round_query(round_: int) -> dict[str, str]:
    """The round in a dial's action URL (``r``), after a wait for busy engineers only."""
    return {"r": str(round_)} if round_ else {}
