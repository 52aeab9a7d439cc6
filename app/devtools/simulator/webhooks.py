"""Signs, sends and logs every request of a simulated call, and judges the answers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

from app.devtools.simulator.checks import DocumentChecker, document_problems
from app.devtools.simulator.clock import Ids
from app.devtools.simulator.result import CallResult, RequestLog
from app.devtools.simulator.signing import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    compute_signature,
    request_url,
)
from app.devtools.simulator.transport import Response, Transport, TransportError
from app.devtools.simulator.twiml import (
    HTTP_RETRIEVAL_FAILURE,
    SCHEMA_VALIDATION,
    TwimlError,
    check_callback_response,
    parse_response,
)

USER_AGENT = "TwilioProxy/1.1"


class Webhooks:
    """One call's outgoing requests: signed like Twilio's, retried once when not delivered."""

    def __init__(
        self, transport: Transport, auth_token: str, ids: Ids, result: CallResult,
        checker: DocumentChecker | None = None, pace: Callable[[float], None] | None = None,
    ) -> None:
        self._transport = transport
        self._auth_token = auth_token
        self._ids = ids
        self._result = result
        self._checker = checker
        self._pace = pace or (lambda at: None)

    def post(self, url: str, params: dict[str, str], token: str | None = None) -> Response | None:
        """POST and log; ``None`` when neither attempt was delivered."""
        target = request_url(url)
        headers = {
            SIGNATURE_HEADER: compute_signature(self._auth_token, target, params),
            IDEMPOTENCY_HEADER: token or self._ids.token(),
            "User-Agent": USER_AGENT,
        }
        for _attempt in range(2):
            try:
                response = self._transport.post(target, dict(params), dict(headers))
            except TransportError as error:
                self._result.requests.append(RequestLog(target, dict(params), 0, str(error)))
                continue
            body = response.body.decode("utf-8", errors="replace")
            self._result.requests.append(RequestLog(target, dict(params), response.status, body))
            return response
        return None

    def fetch_twiml(self, url: str, params: dict[str, str], at: float = 0.0) -> ET.Element:
        """POST a TwiML request due ``at`` seconds into the call; the ``<Response>`` element, or
        :class:`TwimlError`."""
        self._pace(at)
        response = self.post(url, params)
        if response is None:
            raise TwimlError(HTTP_RETRIEVAL_FAILURE, "could not connect")
        self.check(url, response, at)
        return parse_response(response)

    def check(self, url: str, response: Response, at: float) -> None:
        """Log what the document checkers find in a delivered 2xx body."""
        if not 200 <= response.status < 300 or not response.body.strip():
            return
        target = request_url(url)
        for problem in document_problems(self._checker, target, response.body):
            self._result.error(at, f"{SCHEMA_VALIDATION} {target}: {problem}")

    def callback(self, url: str, params: dict[str, str], at: float, twice: bool = False) -> None:
        """POST a status/recording callback; a bad answer is logged, never fatal."""
        self._pace(at)
        token = self._ids.token()
        for _copy in range(2 if twice else 1):
            response = self.post(url, params, token)
            try:
                if response is None:
                    raise TwimlError(HTTP_RETRIEVAL_FAILURE, "could not connect")
                self.check(url, response, at)
                check_callback_response(response)
            except TwimlError as error:
                self._result.error(at, f"{error.code} {request_url(url)}: {error.message}")
