"""The call flow as pure functions: Twilio's parameters and the configuration in, a reply out.

Each handler returns a :class:`Reply`: which TwiML template to render with what, and the log
events the step produced. Nothing here touches Flask, Redis or the database. This module holds
the caller's first steps (identify, route, PIN, emergency); the chain's steps are in
``app.calls.chain`` and the callbacks that only log in ``app.calls.callbacks``.
"""

from __future__ import annotations

from datetime import datetime

from app.calls import events as ev
from app.calls.callbacks import LogCallbacks
from app.calls.chain import ChainSteps
from app.calls.dialback_legs import DialbackLegs
from app.calls.incident_steps import IncidentSteps
from app.calls.params import Params, call_sid, digits_of
from app.calls.routing import route
from app.calls.state import CallState
from app.calls.steps import ANONYMOUS, DialStep, Reply, UrlFor
from app.calls.triage import TriageSteps
from app.config.model import Line
from app.contracts import Contract, Tier, normalise_number
from app.prompts import fill, opening_words, tier_words

__all__ = ["CallFlow", "DialStep", "Reply", "UrlFor"]


class CallFlow(ChainSteps, LogCallbacks, DialbackLegs, IncidentSteps, TriageSteps):
    """Every webhook of a hotline call, one method each."""

    def incoming(self, params: Params) -> Reply:
        sid = call_sid(params)
        caller, line = self._called(params)
        started = self._started(sid, params, caller, line)
        contract = self.config.directory.by_caller(caller)
        if self.config.security.blocks(caller):
            reply = self._reply("reject", [self._event(ev.CALL_REJECTED, sid, "rejected", {
                "reason": "blocklist"})])
        elif contract is not None:
            reply = self._identified(sid, params, contract, line, "caller_id")
        elif not self.guard.pin_allowed(caller):
            reply = self._voicemail(sid, CallState(version=self.config.version, line=line.id),
                                    "too many wrong PINs")
            reply.events.insert(0, self._event(ev.CALL_UNIDENTIFIED, sid, "unidentified", {
                "reason": "too many wrong PINs", "action": "voicemail"}))
        else:
            reason = "withheld" if caller is None else "unknown number"
            reply = self._ask_language(line) if line.offers_choice else self._ask_pin(line, 1, retry=False)
            reply.events.append(self._event(ev.CALL_UNIDENTIFIED, sid, "unidentified", {
                "reason": reason, "action": "pin",
            }))
        reply.events.insert(0, started)
        return reply

    def language_chosen(self, params: Params, state: CallState) -> Reply:
        """The key an unidentified caller pressed at the language choice; no key or another
        key keeps the line's own language."""
        line = self.config.line(state.line)
        key = digits_of(params.get("Digits"), 1)
        index = int(key) - 1 if key else -1
        chosen = line.languages[index] if 0 <= index < len(line.languages) else line.language
        reply = self._ask_pin(line, 1, retry=False, language=chosen)
        reply.events.append(self._event(ev.LANGUAGE_CHOSEN, call_sid(params), "language", {
            "key": key, "language": chosen}))
        return reply

    def pin_entered(self, params: Params, attempt: int, state: CallState) -> Reply:
        sid = call_sid(params)
        line = self.config.line(state.line)
        digits = digits_of(params.get("Digits"))
        caller = normalise_number(params.get("From"), self.config.hotline.default_region)
        ticket = self.guard.pin_reserve(caller)  # counted first: simultaneous calls share the limit
        if ticket is None:
            return self._pin_limited(sid, line, attempt, len(digits), state.language)
        contract = self.config.directory.by_pin(digits)
        logged = self._event(ev.PIN_ATTEMPT, sid, f"pin:{attempt}", {
            "attempt": attempt, "ok": contract is not None, "digits_len": len(digits),
        })
        if contract is not None:
            self.guard.pin_returned(caller, ticket)
            reply = self._identified(sid, params, contract, line, "pin", state.language)
        elif attempt < self.config.hotline.pin_tries and self.guard.pin_allowed(caller):
            reply = self._ask_pin(line, attempt + 1, retry=True, language=state.language)
        else:
            reply = self._unidentified(sid, params, line, state.language)
        reply.events.insert(0, logged)
        return reply

    def _pin_limited(self, sid: str, line: Line, attempt: int, digits_len: int,
                     language: str) -> Reply:
        """Over a limit: the PIN is not even checked; the caller may leave a voicemail."""
        reason = "too many wrong PINs"
        state = CallState(version=self.config.version, line=line.id, language=language)
        reply = self._voicemail(sid, state, reason, lead=self._said(state).pin_failed)
        reply.events[:0] = [
            self._event(ev.PIN_ATTEMPT, sid, f"pin:{attempt}", {
                "attempt": attempt, "ok": None, "digits_len": digits_len, "limited": True}),
            self._event(ev.CALL_UNIDENTIFIED, sid, "unidentified:final", {
                "reason": reason, "action": "voicemail"}),
        ]
        return reply

    def emergency(self, params: Params, state: CallState) -> Reply:
        """Outside business hours the caller pressed a key at "press 1 if production is down"."""
        sid = call_sid(params)
        line = self.config.line(state.line)
        contract = self.config.directory.get(state.contract) or ANONYMOUS
        if digits_of(params.get("Digits"), 1) != "1":
            return self._voicemail(sid, state, "closed")
        reply = self._connect(sid, params, contract, line, state.language)
        reply.events.insert(0, self._event(ev.ROUTE_EMERGENCY, sid, "emergency", {"digits": "1"}))
        return reply

    def _identified(self, sid: str, params: Params, contract: Contract, line: Line,
                    method: str, language: str = "") -> Reply:
        identified = self._event(ev.CALL_IDENTIFIED, sid, "identified", {
            "contract": contract.id, "contract_name": contract.name, "tier": contract.tier.value,
            "method": method,
        })
        decision = route(self.config, contract, line, self.now)
        if decision.served and self._triaged(contract):
            reply = self._triage_menu(contract, line, language)
        elif decision.served:
            reply = self._connect(sid, params, contract, line, language)
        else:
            reply = self._closed(sid, contract, line, decision.opens_at, decision.emergency_option,
                                 language)
        reply.events.insert(0, identified)
        return reply

    def _connect(self, sid: str, params: Params, contract: Contract, line: Line,
                 language: str = "", skip_incident: bool = False) -> Reply:
        policy = self.config.policies[line.policy]
        plan = self.chain(policy, self.config.rotations, self.now)
        since = int(self.now.timestamp()) if policy.max_wait_seconds else 0
        state = CallState(contract.id, plan.people, 0, self.config.version, line.id, language,
                          policy.passes, since)
        chosen = self._event(ev.CHAIN_CHOSEN, sid, "chain", {
            "policy": line.policy, "chain": list(plan.people), "skipped": list(plan.skipped),
            "roles": [step.role for step in plan.steps],
        })
        prompts = self._said(state)
        greeting = fill(prompts.greeting, customer=contract.name or prompts.unidentified_caller,
                        tier=tier_words(prompts, contract.tier is Tier.ALWAYS), hotline=line.name)
        incident = None if skip_incident else self._incident_for(contract, line)
        if incident is not None and incident.press_through:
            reply = self._incident_offer(sid, state, greeting, incident)
            reply.events.insert(0, chosen)
            return reply
        reply = self._dial(sid, params, state, announce=False)
        if reply.template == "dial":
            reply.template = "greeting"
            reply.context["greeting"] = greeting
            reply.context["incident"] = incident.message if incident else ""
            if incident:
                reply.events.append(self._heard(sid, incident))
        elif reply.template == "busy":  # every engineer on another call: greeted all the same
            reply.context["lead"] = greeting
        reply.events.insert(0, chosen)
        return reply

    def _closed(self, sid: str, contract: Contract, line: Line, opens_at: datetime | None,
                emergency: bool, language: str = "") -> Reply:
        state = CallState(contract.id, (), 0, self.config.version, line.id, language)
        prompts = self._said(state)
        closed = fill(prompts.closed, customer=contract.name, hotline=line.name,
                      opens=opening_words(prompts, opens_at, self.now))
        reply = self._voicemail(sid, state, "closed")
        reply.template = "closed"
        reply.context["closed"] = closed
        reply.context["offer"] = prompts.emergency_offer if emergency else ""
        reply.context["emergency_url"] = (
            self.url_for("voice.emergency", self._query(state)) if emergency else "")
        reply.events.insert(0, self._event(ev.ROUTE_CLOSED, sid, "closed", {
            "opens_at": opens_at.isoformat() if opens_at else None, "emergency_option": emergency,
        }))
        return reply

    def _ask_pin(self, line: Line, attempt: int, retry: bool, language: str = "") -> Reply:
        state = CallState(version=self.config.version, line=line.id, language=language)
        prompts = self._said(state)
        prompt = prompts.pin_retry if retry else fill(prompts.pin_request, hotline=line.name)
        query = {"t": str(attempt), **self._query(state)}
        return self._reply("pin", language=self._language(state), prompt=prompt,
                           action_url=self.url_for("voice.pin", query))

    def _ask_language(self, line: Line) -> Reply:
        """One key per language, each offered in its own language."""
        choices = tuple(
            (fill(speech.prompts.language_choice, key=str(key)), speech.language, speech.voice)
            for key, speech in enumerate(map(line.speaking, line.languages), 1))
        state = CallState(version=self.config.version, line=line.id)
        return self._reply("language", choices=choices,
                           action_url=self.url_for("voice.language", self._query(state)))

    def _unidentified(self, sid: str, params: Params, line: Line, language: str = "") -> Reply:
        action = self.config.hotline.unidentified
        logged = self._event(ev.CALL_UNIDENTIFIED, sid, "unidentified:final", {
            "reason": "pin not recognised", "action": action,
        })
        state = CallState(version=self.config.version, line=line.id, language=language)
        if action == "chain":
            reply = self._connect(sid, params, ANONYMOUS, line, language)
        elif action == "hangup":
            reply = self._reply("goodbye", language=self._language(state),
                                message=self._said(state).pin_failed)
        else:
            reply = self._voicemail(sid, state, "pin not recognised",
                                    lead=self._said(state).pin_failed)
        reply.events.insert(0, logged)
        return reply
