"""A local stand-in for Twilio's REST API (Messages and Calls) on 127.0.0.1, for tests.

``with FakeTwilioApi(ACCOUNT_SID, TOKEN) as api:`` serves it from a thread; point the client
at it with ``make_client(ACCOUNT_SID, TOKEN, api.url)``. It answers as the API does: HTTP basic
auth, form-encoded parameters, ``201`` with the Message or Call resource's JSON, and errors as
``{code, message, more_info, status}``. ``api.fail(number, 21211)`` makes the next request for
that number fail that way (21211 invalid number, 21610 unsubscribed, 429, 500; ``times=``
how often, ``None`` for always). ``api.messages`` and ``api.calls`` hold what was created.

A call can be ended as the API ends one (``POST .../Calls/CA....json`` with ``Status``):
``canceled`` ends a call still ``queued`` or ``ringing`` and leaves one ``in-progress`` alone,
``completed`` ends it in either state; a call already over stays as it was (200 either way);
an unknown call is a 404. ``api.progress(sid, status)`` moves a call on as the phone network
would (``ringing``, ``in-progress``, ``completed``, ``busy`` ...); ``api.updates`` lists the
updates asked for.
"""

from __future__ import annotations

import base64
import json
import random
import re
import threading
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

API_VERSION = "2010-04-01"
PATH = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-f]{32})/(Messages|Calls)\.json$")
CALL = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-f]{32})/Calls/(CA[0-9a-f]{32})\.json$")
ENDED_BY = {"canceled": {"queued": "canceled", "ringing": "canceled"},
            "completed": {"queued": "canceled", "ringing": "canceled",
                          "in-progress": "completed"}}
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# Twilio's code, HTTP status and message for the errors the tests provoke.
ERRORS: dict[int, tuple[int, int, str]] = {
    21211: (21211, 400, "The 'To' number {to} is not a valid phone number."),
    21610: (21610, 400, "Attempt to send to unsubscribed recipient"),
    429: (20429, 429, "Too Many Requests"),
    500: (20500, 500, "Internal Server Error"),
    20003: (20003, 401, "Authenticate"),
    20404: (20404, 404, "The requested resource {path} was not found"),
    21604: (21604, 400, "A 'To' phone number is required."),
    21205: (21205, 400, "Url is not a valid URL: {url}"),
    21218: (21218, 400, "Invalid Status: {status}"),
}


class FakeTwilioApi:
    def __init__(self, account_sid: str, auth_token: str, seed: int = 1) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.messages: list[dict[str, Any]] = []
        self.calls: list[dict[str, Any]] = []
        self.requests: list[tuple[str, dict[str, list[str]], int]] = []  # path, form, status
        self.updates: list[tuple[str, str]] = []  # (call sid, Status asked for)
        self._failures: dict[str, list[list[Any]]] = {}  # number -> [[error, times left]]
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeTwilioApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail(self, number: str, error: int, times: int | None = 1) -> None:
        """Answer requests for ``number`` with ``error`` (a key of ERRORS), ``times`` times."""
        with self._lock:
            self._failures.setdefault(number, []).append([error, times])

    def calls_to(self, number: str) -> list[dict[str, Any]]:
        return [c for c in self.calls if c["to"] == number]

    def messages_to(self, number: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["to"] == number]

    def progress(self, sid: str, status: str) -> None:
        """The call ``sid`` moves on as the network reports it (ringing, in-progress, busy ...)."""
        with self._lock:
            self._call(sid)["status"] = status

    def _call(self, sid: str) -> dict[str, Any]:
        return next(c for c in self.calls if c["sid"] == sid)

    # -- the server side ------------------------------------------------------------------
    def answer(self, path: str, auth: str | None, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        one_call = CALL.match(path)
        if one_call is not None:
            if not self._authorised(auth, one_call.group(1)):
                return self._error(20003)
            return self._update(one_call.group(2), {k: v[-1] for k, v in form.items()})
        match = PATH.match(path)
        if not self._authorised(auth, match.group(1) if match else None):
            return self._error(20003)
        if match is None:
            return self._error(20404, path=path)
        params = {k: v[-1] for k, v in form.items()}
        to = params.get("To", "")
        if not to:
            return self._error(21604)
        planned = self._planned_failure(to)
        if planned is not None:
            return self._error(planned, to=to)
        if not E164.match(to):
            return self._error(21211, to=to)
        if match.group(2) == "Messages":
            return 201, self._created(self.messages, "SM", "Messages", params, {
                "body": params.get("Body", ""), "num_segments": "1", "num_media": "0",
                "messaging_service_sid": None, "error_code": None, "error_message": None,
                "date_sent": None})
        if not params.get("Url", "").startswith(("http://", "https://")):
            return self._error(21205, url=params.get("Url", ""))
        return 201, self._created(self.calls, "CA", "Calls", params, {
            "answered_by": None, "caller_name": None, "duration": None, "end_time": None,
            "start_time": None, "parent_call_sid": None, "queue_time": "0",
            "to_formatted": to, "from_formatted": params.get("From"),
            "url": params["Url"], "status_callback": params.get("StatusCallback"),
            "status_callback_event": form.get("StatusCallbackEvent", []),
            "timeout": params.get("Timeout")})

    def _update(self, sid: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """End a call (``Status``), as the API's Call instance update does."""
        with self._lock:
            call = next((c for c in self.calls if c["sid"] == sid), None)
        if call is None:
            return self._error(20404, path=f"/Calls/{sid}.json")
        planned = self._planned_failure(call["to"])
        if planned is not None:
            return self._error(planned, to=call["to"])
        wanted = params.get("Status", "")
        if wanted not in ENDED_BY:
            return self._error(21218, status=wanted)
        with self._lock:
            self.updates.append((sid, wanted))
            call["status"] = ENDED_BY[wanted].get(call["status"], call["status"])
            call["date_updated"] = formatdate(usegmt=True).replace("GMT", "+0000")
            return 200, dict(call)

    def _created(self, into: list[dict[str, Any]], prefix: str, kind: str,
                 params: dict[str, str], fields: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            sid = prefix + f"{self._random.getrandbits(128):032x}"
        now = formatdate(usegmt=True).replace("GMT", "+0000")
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/{kind}/{sid}.json"
        resource = {
            "sid": sid, "account_sid": self.account_sid, "api_version": API_VERSION,
            "to": params["To"], "from": params.get("From"), "status": "queued",
            "direction": "outbound-api", "date_created": now, "date_updated": now,
            "price": None, "price_unit": "USD", "uri": uri, "subresource_uris": {}, **fields,
        }
        with self._lock:
            into.append(resource)
        return resource

    def _planned_failure(self, to: str) -> int | None:
        with self._lock:
            plan = self._failures.get(to)
            if not plan:
                return None
            entry = plan[0]
            if entry[1] is not None:
                entry[1] -= 1
                if entry[1] <= 0:
                    plan.pop(0)
            return int(entry[0])

    def _authorised(self, header: str | None, account: str | None) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return header == f"Basic {expected}" and account in (None, self.account_sid)

    def _error(self, error: int, **facts: str) -> tuple[int, dict[str, Any]]:
        code, status, message = ERRORS[error]
        return status, {"code": code, "message": message.format(**facts), "status": status,
                        "more_info": f"https://www.twilio.com/docs/errors/{code}"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                size = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(size).decode(), keep_blank_values=True)
                status, body = api.answer(self.path, self.headers.get("Authorization"), form)
                with api._lock:
                    api.requests.append((self.path, form, status))
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        return Handler
