"""The simulated Twilio: places one inbound call against the app and reports what happened."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from app.devtools.simulator.caller import CallerLeg
from app.devtools.simulator.checks import DocumentChecker
from app.devtools.simulator.clock import Clock, HungUp, Ids
from app.devtools.simulator.context import API_VERSION, CallContext, LoopLimit, Settings
from app.devtools.simulator.events import CALLER, ENDED, HANGS_UP, SYSTEM
from app.devtools.simulator.legs import REJECT
from app.devtools.simulator.outbound import outbound_params, unanswered
from app.devtools.simulator.outcomes import CallerScript, NoAnswer, PhoneScript
from app.devtools.simulator.pacing import Pace, VirtualTime
from app.devtools.simulator.result import CallResult
from app.devtools.simulator.transport import Transport
from app.devtools.simulator.webhooks import Webhooks

UNANSWERED = frozenset({"busy", "no-answer", "canceled", "failed"})


class Simulator:
    """Drives whole calls through an app the way Twilio would, on a virtual clock.

    ``Simulator(FlaskClientTransport(app.test_client()), token, voice_url=...)``, then
    ``place_call("+4930123", "+4940999", CallerScript(digits=["1"]), {"+4916222":
    Answer(press="1")})`` returns a :class:`CallResult`; ``.transcript()`` tells the story.

    Options where Twilio's behaviour is undocumented: ``screened_out_status`` (DialCallStatus
    when a screening document hangs up), ``dial_action_after_caller_hangup`` (request the Dial
    action when the caller hangs up during a Dial), ``late_leg_callbacks`` (send a Dial's leg
    status callbacks after its action request), ``duplicate_callbacks`` (send every callback
    twice with the same idempotency token).

    ``document_checker(url, body)`` sees every 2xx body the app answers (TwiML documents and
    callback answers) and returns problems, which the result lists as errors (code 12200);
    :func:`app.devtools.simulator.checking_documents` adds a checker to every simulator at once.

    ``pace`` decides when requests go out: :class:`VirtualTime` (default) at once, which an
    in-process app can use as its clock; :class:`RealTime` when the call's moment comes, for a
    running server that stamps its log with the wall clock.
    """

    def __init__(
        self,
        transport: Transport,
        auth_token: str,
        *,
        voice_url: str,
        account_sid: str | None = None,
        status_callback_url: str | None = None,
        fallback_url: str | None = None,
        clock_start: datetime | None = None,
        screened_out_status: str = "no-answer",
        dial_action_after_caller_hangup: bool = False,
        late_leg_callbacks: bool = False,
        duplicate_callbacks: bool = False,
        max_documents: int = 100,
        max_call_seconds: float = 4 * 3600.0,
        play_seconds: float = 5.0,
        default_phone: PhoneScript | None = None,
        extra_params: Mapping[str, str] | None = None,
        seed: int | None = None,
        document_checker: DocumentChecker | None = None,
        pace: Pace | None = None,
    ) -> None:
        self.transport = transport
        self.auth_token = auth_token
        self.voice_url = voice_url
        self.ids = Ids(seed)
        self.clock_start = clock_start or datetime.now(UTC).replace(microsecond=0)
        self.extra_params = dict(extra_params or {})
        self.document_checker = document_checker
        self.pace = pace or VirtualTime()
        self.settings = Settings(
            account_sid=account_sid or self.ids.sid("AC"),
            fallback_url=fallback_url,
            status_callback_url=status_callback_url,
            screened_out_status=screened_out_status,
            dial_action_after_caller_hangup=dial_action_after_caller_hangup,
            late_leg_callbacks=late_leg_callbacks,
            duplicate_callbacks=duplicate_callbacks,
            max_documents=max_documents,
            max_call_seconds=max_call_seconds,
            play_seconds=play_seconds,
            default_phone=default_phone or NoAnswer(),
        )

    @property
    def account_sid(self) -> str:
        return self.settings.account_sid

    def place_call(
        self,
        from_: str,
        to: str,
        caller: CallerScript | None = None,
        phones: Mapping[str, PhoneScript] | None = None,
        names: Mapping[str, str] | None = None,
    ) -> CallResult:
        """Call ``to`` from ``from_``; ``phones`` scripts each dialled number (E.164 keys)."""
        script = caller or CallerScript()
        limit = self.settings.max_call_seconds
        leaves = script.hangup_after_seconds
        clock = Clock(self.pace.begin(self.clock_start), 0.0,
                      limit if leaves is None else min(leaves, limit))
        result = CallResult(self.ids.sid("CA"), clock.start, names=dict(names or {}))
        webhooks = Webhooks(self.transport, self.auth_token, self.ids, result,
                            self.document_checker, lambda at: self.pace.wait(clock.wall(at)))
        call = CallContext(self.settings, webhooks, result, self.ids, script, dict(phones or {}))
        leg = CallerLeg(call, clock, CALLER, self._params(result.call_sid, from_, to),
                        list(script.digits))
        self._end(leg, self._run(leg))
        return result

    def send_late_callbacks(self, result: CallResult) -> int:
        """Send what Twilio sends minutes after ``result``'s call (transcriptions); how many."""
        late, result.late_callbacks = result.late_callbacks, []
        webhooks = Webhooks(self.transport, self.auth_token, self.ids, result,
                            self.document_checker)
        for url, params in late:
            webhooks.callback(url, params, result.duration, self.settings.duplicate_callbacks)
        return len(late)

    def unanswered_call(self, from_: str, to: str, status: str, call_sid: str | None = None,
                        ring_seconds: float = 30.0) -> CallResult:
        """An outbound call (REST ``Calls.create``, ``call_sid``) that ends ``status`` unanswered
        (``no-answer``, ``busy``, ``failed``, ``canceled``): only its status callbacks."""
        clock = Clock(self.pace.begin(self.clock_start))
        result = CallResult(call_sid or self.ids.sid("CA"), clock.start)
        webhooks = Webhooks(self.transport, self.auth_token, self.ids, result,
                            self.document_checker, lambda at: self.pace.wait(clock.wall(at)))
        params = outbound_params(self.settings.account_sid, result.call_sid, from_, to)
        unanswered(self.settings, webhooks, result, clock, params, status, ring_seconds)
        return result

    def _params(self, call_sid: str, from_: str, to: str) -> dict[str, str]:
        return {
            **self.extra_params,
            "CallSid": call_sid, "AccountSid": self.settings.account_sid,
            "From": from_, "To": to, "Caller": from_, "Called": to,
            "CallStatus": "ringing", "ApiVersion": API_VERSION, "Direction": "inbound",
        }

    def _run(self, leg: CallerLeg) -> str:
        """Run the call; return its final CallStatus."""
        try:
            ending = leg.run(self.voice_url)
        except HungUp as gone:
            leaves = leg.call.caller.hangup_after_seconds
            limit = self.settings.max_call_seconds
            if gone.at >= limit and (leaves is None or leaves > limit):
                leg.call.result.error(gone.at, f"call reached the {limit:.0f} s time limit")
            else:
                leg.call.result.add(gone.at, CALLER, HANGS_UP)
            return "completed"
        except LoopLimit:
            return "completed"
        return "busy" if ending == REJECT else "completed"

    def _end(self, leg: CallerLeg, status: str) -> None:
        """Close the call: pending callbacks, the ``ended`` event, the call's status callback."""
        call, now = leg.call, leg.clock.now
        call.flush_deferred()
        call.result.end_status = status
        call.result.duration = now
        call.result.add(now, SYSTEM, ENDED, status)
        url = self.settings.status_callback_url
        if url:
            params = {
                **leg.params,
                "CallStatus": status,
                "CallDuration": "0" if status in UNANSWERED else str(int(round(now))),
                "Timestamp": leg.clock.rfc2822(now),
                "CallbackSource": "call-progress-events",
                "SequenceNumber": "0",
            }
            call.webhooks.callback(url, params, now, self.settings.duplicate_callbacks)
        call.result.finish()
