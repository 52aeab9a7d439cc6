"""The caller's side of a callback: every engineer busy, "press 2 to be called back", the number.

The number is the caller ID when the caller confirms it, else what they type; either must pass
:func:`app.calls.dialback.refusal` (toll fraud) and the guard's hourly limits before a request
is logged. A refused or limited caller may still leave a voicemail.
"""

from __future__ import annotations

from app.calls import events as ev
from app.calls.dialback import OK, refusal, spoken_digits, typed_number
from app.calls.params import Params, call_sid, clip, digits_of
from app.calls.state import CallState
from app.calls.steps import FlowSteps, Reply
from app.contracts import normalise_number
from app.prompts import fill

CALLBACK_KEY = "2"


class DialbackSteps(FlowSteps):
    """Offering a callback, and taking the caller's request."""

    def _everyone_busy(self, state: CallState) -> bool:
        """Every person of the chain is on another hotline call (and callbacks are offered)."""
        people = [p for p in state.chain if p in self.config.people]
        return (self.config.callbacks.enabled and self.config.security.busy_engineers_skipped
                and bool(people) and all(self.guard.busy(p) for p in people))

    def _all_busy(self, sid: str, state: CallState, round_: int) -> Reply:
        """Tell the caller; a key asks for a callback, silence waits and tries the chain again."""
        query = self._query(state.at_step(0))
        offered = self._event(ev.CALLBACK_OFFERED, sid, f"callback:offered:{round_}", {
            "round": round_, "chain": list(state.chain)})
        return self._reply(
            "busy", [offered], language=self._language(state),
            prompt=self._said(state).all_busy,
            key_url=self.url_for("voice.callback_key", {"r": str(round_), **query}),
            retry_url=self.url_for("voice.busy_retry", {"r": str(round_ + 1), **query}),
            wait=self.config.callbacks.retry_seconds, lead="",
        )

    def _offered_voicemail(self, sid: str, state: CallState, reason: str) -> Reply:
        """The voicemail, its prompt offering a callback instead."""
        reply = self._voicemail(sid, state, reason)
        if self.config.callbacks.enabled:
            offer = self._said(state).callback_offer
            reply.context["prompt"] = f"{reply.context['prompt']} {offer}"
            reply.context["callback_url"] = self.url_for("voice.callback_key", self._query(state))
        return reply

    def _callback_number_prompt(self, params: Params, state: CallState) -> Reply:
        """Confirm the caller ID when it may be called back, else ask for a number."""
        prompts = self._said(state)
        caller = normalise_number(params.get("From"), self.config.hotline.default_region)
        known = caller is not None and refusal(caller, self.config) == OK
        prompt = (fill(prompts.callback_confirm, number=spoken_digits((caller or "")[-4:]))
                  if known else prompts.callback_ask_number)
        return self._reply("callback_number", language=self._language(state), prompt=prompt,
                           action_url=self.url_for("voice.callback_number", self._query(state)),
                           no_input=prompts.goodbye)

    def callback_number(self, params: Params, state: CallState) -> Reply:
        """The caller confirmed their number (1) or typed one: log the request, or refuse."""
        sid = call_sid(params)
        region = self.config.hotline.default_region
        caller = normalise_number(params.get("From"), region)
        digits = digits_of(params.get("Digits"), 20)
        number: str | None
        if digits == "1" and caller is not None:
            number, source = caller, "caller_id"
        else:
            number, source = typed_number(digits, self.config), "typed"
        reason = refusal(number, self.config)
        if reason == OK and number and not self.guard.callback_reserve(
                caller or f"to:{number}", self.config.callbacks.per_caller_per_hour,
                self.config.callbacks.overall_per_hour):
            reason = "too many requests"
        if reason != OK or not number:
            return self._callback_refused(sid, state, reason, len(digits))
        prompts = self._said(state)
        requested = self._event(ev.CALLBACK_REQUESTED, sid, "callback:requested", {
            "number": number, "source": source, "contract": state.contract or None,
            "line": state.line, "chain": list(state.chain)})
        message = fill(prompts.callback_booked, number=spoken_digits(number))
        return self._reply("goodbye", [requested], language=self._language(state),
                           message=message)

    def _callback_refused(self, sid: str, state: CallState, reason: str, typed: int) -> Reply:
        refused = self._event(ev.CALLBACK_REFUSED, sid, f"callback:refused:{clip(reason, 32)}", {
            "reason": reason, "digits_len": typed})
        reply = self._voicemail(sid, state, "callback refused",
                                lead=self._said(state).callback_refused)
        reply.events.insert(0, refused)
        return reply
