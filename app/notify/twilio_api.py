"""Twilio's REST API (SMS, calls placed and ended): the only importer of ``twilio.rest``.

``TWILIO_API_BASE_URL`` sends every request to another host instead of Twilio's (an egress
proxy, a staging double, the test suite's local fake), the way Twilio suggests: a custom HTTP
client, so the rest of the library stays as it is.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from app.notify.delivery import PermanentError, TransientError

REQUEST_TIMEOUT = 15.0
CALL_EVENTS = ("initiated", "ringing", "answered", "completed")


class RebasedHttpClient(TwilioHttpClient):
    """Sends requests for ``*.twilio.com`` to ``base_url`` (scheme, host and port), same path."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base = urlsplit(base_url.rstrip("/"))

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        parts = urlsplit(url)
        if (parts.hostname or "").endswith("twilio.com"):
            url = urlunsplit((self.base.scheme, self.base.netloc, self.base.path + parts.path,
                              parts.query, ""))
        return super().request(method, url, *args, **kwargs)


def make_client(account_sid: str, auth_token: str, base_url: str | None = None) -> Client:
    """A REST client with a request timeout; ``base_url`` redirects it (see the module doc)."""
    http: TwilioHttpClient = (RebasedHttpClient(base_url, timeout=REQUEST_TIMEOUT) if base_url
                              else TwilioHttpClient(timeout=REQUEST_TIMEOUT))
    return Client(account_sid, auth_token, http_client=http)


class TwilioApi:
    """Sends SMS, places and ends calls; errors come out as Transient- or PermanentError."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def send_sms(self, to: str, from_: str, body: str) -> str:
        """Queue an SMS; returns the Message SID (SM...)."""
        with _classified():
            return str(self.client.messages.create(to=to, from_=from_, body=body).sid)

    def place_call(self, to: str, from_: str, url: str, status_callback: str,
                   timeout: int, events: Sequence[str] = CALL_EVENTS) -> str:
        """Start a call that runs the TwiML at ``url``; returns the Call SID (CA...)."""
        with _classified():
            call = self.client.calls.create(
                to=to, from_=from_, url=url, method="POST", status_callback=status_callback,
                status_callback_method="POST", status_callback_event=list(events),
                timeout=timeout,
            )
            return str(call.sid)

    def end_call(self, call_sid: str, status: str = "canceled") -> str:
        """Hang up a call we placed; returns its status afterwards.

        ``canceled`` ends a call still queued or ringing and leaves one in progress alone;
        ``completed`` ends it in any state. A call already over stays as it was.
        """
        with _classified():
            return str(self.client.calls(call_sid).update(status=status).status)


@contextmanager
def _classified() -> Iterator[None]:
    """Turns what the library raises into the delivery errors jobs act on."""
    try:
        yield
    except TwilioRestException as error:
        message = f"HTTP {error.status}: {error.msg}"
        if error.status == 429 or error.status >= 500:
            raise TransientError(message, error.code) from error
        raise PermanentError(message, error.code) from error
    except requests.RequestException as error:  # refused, reset, timed out
        raise TransientError(f"{type(error).__name__}: {error}") from error
    except TwilioException as error:
        raise PermanentError(str(error)) from error
