"""An incoming SMS as Twilio delivers it: a signed form POST to the messaging webhook, and the
messaging TwiML answer read into the messages Twilio would send back."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.devtools.simulator.checks import DocumentChecker, document_problems
from app.devtools.simulator.clock import Ids
from app.devtools.simulator.signing import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    compute_signature,
    request_url,
)
from app.devtools.simulator.transport import Transport
from app.devtools.simulator.twiml import TwimlError, parse_response, text_of

USER_AGENT = "TwilioProxy/1.1"
MESSAGING_VERBS = frozenset({"Message", "Redirect"})


@dataclass
class SmsReply:
    """What the webhook answered: its status, the texts of its ``<Message>`` verbs, problems."""

    status: int
    messages: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    params: dict[str, str] = field(default_factory=dict)  # what was posted


class Texter:
    """A phone that texts the hotline number; each SMS gets its own MessageSid."""

    def __init__(self, transport: Transport, auth_token: str, url: str, account_sid: str,
                 seed: int | None = None, checker: DocumentChecker | None = None) -> None:
        self._transport, self._token, self._url = transport, auth_token, request_url(url)
        self._account_sid, self._checker = account_sid, checker
        self._ids = Ids(seed)

    def send(self, from_: str, to: str, body: str, signed: bool = True,
             **extra: str) -> SmsReply:
        """Post the SMS ``body`` from ``from_`` to ``to`` (``extra``: more or other parameters)."""
        sid = self._ids.sid("SM")
        params = {"MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid,
                  "AccountSid": self._account_sid, "From": from_, "To": to, "Body": body,
                  "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received",
                  "ApiVersion": "2010-04-01", **extra}
        headers = {IDEMPOTENCY_HEADER: self._ids.token(), "User-Agent": USER_AGENT}
        if signed:
            headers[SIGNATURE_HEADER] = compute_signature(self._token, self._url, params)
        response = self._transport.post(self._url, dict(params), headers)
        reply = SmsReply(response.status, params=params)
        if not 200 <= response.status < 300:
            return reply
        try:
            root = parse_response(response)
        except TwimlError as error:
            reply.problems.append(f"{error.code}: {error.message}")
            return reply
        reply.problems.extend(document_problems(self._checker, self._url, response.body))
        reply.problems.extend(f"<{verb.tag}> is not a messaging verb" for verb in root
                              if verb.tag not in MESSAGING_VERBS)
        reply.messages = [text_of(verb) for verb in root if verb.tag == "Message"]
        return reply
