"""The call flow as pure functions: Twilio's parameters and the configuration in, a reply out.

Each handler returns a :class:`Reply`: which TwiML template to render with what, and the log
events the step produced. Nothing here touches Flask, Redis or the database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from app.callparams import (
    FINISHED,
    Params,
    call_sid,
    clip,
    dial_outcome,
    digits_of,
    reported_time,
    to_int,
)
from app.calls import events as ev
from app.callstate import CallState
from app.config import HotlineConfig
from app.config.model import Line
from app.contracts import Contract, Tier, normalise_number
from app.escalation import ChainFor, build_chain
from app.guard import Guard, LocalGuard
from app.prompts import Prompts, fill
from app.routing import route, spoken_time

UrlFor = Callable[[str, Mapping[str, str]], str]
TIER_WORDS = {Tier.ALWAYS: "24/7", Tier.BUSINESS_HOURS: "business hours"}
ANONYMOUS = Contract("", "an unidentified caller", "", (), Tier.ALWAYS)


class DialStep(NamedTuple):
    """One person rung with screening: what the <Dial> and its <Number> say."""

    number: str
    caller_id: str
    ring_seconds: int
    time_limit: int
    action_url: str
    screen_url: str
    status_url: str


@dataclass
class Reply:
    template: str
    context: dict[str, Any]
    events: list[ev.Event] = field(default_factory=list)
    language: str | None = None


@dataclass
class CallFlow:
    config: HotlineConfig
    url_for: UrlFor
    now: datetime
    chain: ChainFor = build_chain
    guard: Guard = field(default_factory=LocalGuard)
    _stamp: str = field(init=False, repr=False, compare=False)

    # -- the customer's leg -------------------------------------------------------------
    def incoming(self, params: Params) -> Reply:
        sid = call_sid(params)
        region = self.config.hotline.default_region
        caller = normalise_number(params.get("From"), region)
        line = self.config.line_for(normalise_number(params.get("To"), region))
        started = self._event(ev.CALL_STARTED, sid, "started", {
            "from": clip(params.get("From")), "to": clip(params.get("To")), "caller": caller,
            "line": line.id,
        })
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
            reply = self._ask_pin(line, 1, retry=False)
            reply.events.append(self._event(ev.CALL_UNIDENTIFIED, sid, "unidentified", {
                "reason": reason, "action": "pin",
            }))
        reply.events.insert(0, started)
        return reply

    def pin_entered(self, params: Params, attempt: int, state: CallState) -> Reply:
        sid = call_sid(params)
        line = self.config.line(state.line)
        digits = digits_of(params.get("Digits"))
        contract = self.config.directory.by_pin(digits)
        logged = self._event(ev.PIN_ATTEMPT, sid, f"pin:{attempt}", {
            "attempt": attempt, "ok": contract is not None, "digits_len": len(digits),
        })
        caller = normalise_number(params.get("From"), self.config.hotline.default_region)
        if contract is None:
            self.guard.pin_failed(caller)
        if contract is not None:
            reply = self._identified(sid, params, contract, line, "pin")
        elif attempt < self.config.hotline.pin_tries and self.guard.pin_allowed(caller):
            reply = self._ask_pin(line, attempt + 1, retry=True)
        else:
            reply = self._unidentified(sid, params, line)
        reply.events.insert(0, logged)
        return reply

    def emergency(self, params: Params, state: CallState) -> Reply:
        """Outside business hours the caller pressed a key at "press 1 if production is down"."""
        sid = call_sid(params)
        line = self.config.line(state.line)
        contract = self.config.directory.get(state.contract) or ANONYMOUS
        if digits_of(params.get("Digits"), 1) != "1":
            return self._voicemail(sid, state, "closed")
        reply = self._connect(sid, params, contract, line)
        reply.events.insert(0, self._event(ev.ROUTE_EMERGENCY, sid, "emergency", {"digits": "1"}))
        return reply

    def dial_result(self, params: Params, state: CallState) -> Reply:
        sid = call_sid(params)
        status = params.get("DialCallStatus", "")
        bridged = params.get("DialBridged", "").lower() == "true"
        outcome = dial_outcome(status, bridged)
        result = self._event(ev.DIAL_RESULT, sid, f"dial:{state.step}:result", {
            "step": state.step, "person": state.person, "leg_sid": clip(params.get("DialCallSid")),
            "dial_status": clip(status), "bridged": bridged,
            "talk_seconds": to_int(params.get("DialCallDuration")) if bridged else 0,
            "outcome": outcome,
        })
        if outcome == ev.CONNECTED or params.get("CallStatus") in FINISHED:
            self.guard.released(sid)
            reply = self._reply("goodbye", message="")
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

    # -- the engineer's leg -------------------------------------------------------------
    def screen(self, params: Params, state: CallState) -> Reply:
        contract = self.config.directory.get(state.contract)
        line = self.config.line(state.line)
        prompt = fill(
            line.prompts.screen,
            customer=contract.name if contract else ANONYMOUS.name,
            tier=TIER_WORDS[contract.tier] if contract else "no",
            hotline=line.name,
        )
        action = self.url_for("voice.screen_result", state.to_query())
        return self._reply("screen", prompt=prompt, action_url=action,
                           no_input=line.prompts.screen_no_input)

    def screen_result(self, params: Params, state: CallState) -> Reply:
        prompts = self._prompts(state.line)
        digits = clip(params.get("Digits"), 8)
        accepted = digits == "1"
        parent = params.get("ParentCallSid") or call_sid(params)
        leg = call_sid(params)
        logged = self._event(ev.SCREEN_RESULT, clip(parent), f"screen:{state.step}:{leg}", {
            "step": state.step, "person": state.person, "leg_sid": leg,
            "digits": digits, "accepted": accepted,
        })
        if accepted and state.person:
            self.guard.engaged(state.person, clip(parent))
        if accepted:
            message = prompts.screen_accepted
        else:
            message = prompts.screen_declined if digits else prompts.screen_no_input
        return self._reply("screen_result", [logged], message=message, accepted=accepted)

    # -- callbacks that only feed the log -----------------------------------------------
    def leg_status(self, params: Params, state: CallState) -> list[ev.Event]:
        parent = clip(params.get("ParentCallSid")) or call_sid(params)
        leg = call_sid(params)
        status = clip(params.get("CallStatus"), 20)
        if status in FINISHED:  # the engineer's leg is over, whatever became of the caller's
            self.guard.released(parent)
        return [ev.make_event(ev.LEG_STATUS, parent, f"leg:{leg}:{status}", {
            "step": state.step, "person": state.person, "leg_sid": leg, "status": status,
            "sequence": to_int(params.get("SequenceNumber")),
            "duration": to_int(params.get("CallDuration")),
        }, at=reported_time(params.get("Timestamp"), self.now))]

    def call_status(self, params: Params) -> list[ev.Event]:
        status = clip(params.get("CallStatus"), 20)
        if status not in FINISHED:
            return []
        self.guard.released(call_sid(params))
        return [self._event(ev.CALL_ENDED, call_sid(params), "ended", {
            "call_status": status, "duration": to_int(params.get("CallDuration")),
        })]

    def recording_status(self, params: Params) -> list[ev.Event]:
        rec = clip(params.get("RecordingSid"))
        status = clip(params.get("RecordingStatus"), 20)
        return [self._event(ev.RECORDING_STATUS, call_sid(params), f"recording:{rec}:{status}", {
            "recording_sid": rec, "recording_url": clip(params.get("RecordingUrl"), 300),
            "status": status, "duration": to_int(params.get("RecordingDuration")),
        })]

    def transcription(self, params: Params) -> list[ev.Event]:
        rec = clip(params.get("RecordingSid"))
        status = clip(params.get("TranscriptionStatus"), 20)
        text = clip(params.get("TranscriptionText"), 4000) if status == "completed" else ""
        return [self._event(ev.VOICEMAIL_TRANSCRIBED, call_sid(params), f"transcription:{rec}", {
            "recording_sid": rec, "status": status, "transcription_text": text,
        })]

    # -- steps ----------------------------------------------------------------------------
    def _identified(self, sid: str, params: Params, contract: Contract, line: Line,
                    method: str) -> Reply:
        identified = self._event(ev.CALL_IDENTIFIED, sid, "identified", {
            "contract": contract.id, "contract_name": contract.name, "tier": contract.tier.value,
            "method": method,
        })
        decision = route(self.config, contract, line, self.now)
        if decision.served:
            reply = self._connect(sid, params, contract, line)
        else:
            reply = self._closed(sid, contract, line, decision.opens_at, decision.emergency_option)
        reply.events.insert(0, identified)
        return reply

    def _connect(self, sid: str, params: Params, contract: Contract, line: Line) -> Reply:
        plan = self.chain(self.config.policies[line.policy], self.config.rotations, self.now)
        state = CallState(contract.id, plan.people, 0, self.config.version, line.id)
        chosen = self._event(ev.CHAIN_CHOSEN, sid, "chain", {
            "policy": line.policy, "chain": list(plan.people), "skipped": list(plan.skipped),
        })
        greeting = fill(line.prompts.greeting, customer=contract.name,
                        tier=TIER_WORDS[contract.tier], hotline=line.name)
        reply = self._dial(sid, params, state, announce=False)
        if reply.template == "dial":
            reply.template = "greeting"
            reply.context["greeting"] = greeting
        reply.events.insert(0, chosen)
        return reply

    def _closed(self, sid: str, contract: Contract, line: Line, opens_at: datetime | None,
                emergency: bool) -> Reply:
        state = CallState(contract.id, (), 0, self.config.version, line.id)
        closed = fill(line.prompts.closed, customer=contract.name, hotline=line.name,
                      opens=spoken_time(opens_at, self.now))
        reply = self._voicemail(sid, state, "closed")
        reply.template = "closed"
        reply.context["closed"] = closed
        reply.context["offer"] = line.prompts.emergency_offer if emergency else ""
        reply.context["emergency_url"] = (
            self.url_for("voice.emergency", state.to_query()) if emergency else "")
        reply.events.insert(0, self._event(ev.ROUTE_CLOSED, sid, "closed", {
            "opens_at": opens_at.isoformat() if opens_at else None, "emergency_option": emergency,
        }))
        return reply

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
        query = state.to_query()
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

    def _ask_pin(self, line: Line, attempt: int, retry: bool) -> Reply:
        prompt = line.prompts.pin_retry if retry else fill(line.prompts.pin_request,
                                                          hotline=line.name)
        query = {"t": str(attempt), **({"l": line.id} if line.id else {})}
        return self._reply("pin", prompt=prompt, action_url=self.url_for("voice.pin", query))

    def _unidentified(self, sid: str, params: Params, line: Line) -> Reply:
        action = self.config.hotline.unidentified
        logged = self._event(ev.CALL_UNIDENTIFIED, sid, "unidentified:final", {
            "reason": "pin not recognised", "action": action,
        })
        if action == "chain":
            reply = self._connect(sid, params, ANONYMOUS, line)
        elif action == "hangup":
            reply = self._reply("goodbye", message=line.prompts.pin_failed)
        else:
            state = CallState(version=self.config.version, line=line.id)
            reply = self._voicemail(sid, state, "pin not recognised", lead=line.prompts.pin_failed)
        reply.events.insert(0, logged)
        return reply

    def _voicemail(self, sid: str, state: CallState, reason: str, lead: str = "") -> Reply:
        prompts = self._prompts(state.line)
        query = state.to_query()
        started = self._event(ev.VOICEMAIL_STARTED, sid, "voicemail", {"reason": reason})
        return self._reply(
            "voicemail", [started],
            prompt=f"{lead} {prompts.voicemail}".strip(),
            action_url=self.url_for("voice.voicemail_done", query),
            status_url=self.url_for("voice.recording_status", query),
            transcribe_url=self.url_for("voice.transcription", query),
            max_seconds=self.config.hotline.voicemail_max_seconds,
            empty=prompts.voicemail_empty,
            language=self._language(state),
        )

    # -- helpers --------------------------------------------------------------------------
    def _unavailable(self, person: str) -> str:
        """Why ``person`` is not rung now ("" if they are): gone from the file, or busy."""
        if person not in self.config.people:
            return f"{person} is no longer configured"
        if self.config.security.busy_engineers_skipped and self.guard.busy(person):
            return f"{person} is on another hotline call"
        return ""

    def _prompts(self, line_id: str) -> Prompts:
        return self.config.line(line_id).prompts

    def _language(self, state: CallState) -> str:
        contract = self.config.directory.get(state.contract)
        return (contract.language if contract else None) or self.config.hotline.language

    def _reply(self, template: str, events: list[ev.Event] | None = None,
               language: str | None = None, **context: Any) -> Reply:
        return Reply(template, context, list(events or []), language)

    def _event(self, type_: str, sid: str, suffix: str, data: dict[str, Any]) -> ev.Event:
        return ev.make_event(type_, sid, suffix, data, stamp=self._stamp)

    def __post_init__(self) -> None:
        self._stamp = self.now.isoformat()  # a webhook's events share its instant
