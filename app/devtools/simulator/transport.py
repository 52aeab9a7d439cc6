"""How the simulator delivers its form-encoded POSTs: to a Flask test client or over real HTTP."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Response:
    """What the web app answered."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """A header value, looked up case-insensitively."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None


class TransportError(Exception):
    """The request could not be delivered (connection refused, timeout, ...)."""


class Transport(Protocol):
    """Delivers one signed POST; the simulator never sends anything else."""

    def post(self, url: str, params: dict[str, str], headers: dict[str, str]) -> Response: ...


class FlaskClientTransport:
    """Posts to a Flask/Werkzeug test client, so the app sees the absolute URL's host and scheme."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def post(self, url: str, params: dict[str, str], headers: dict[str, str]) -> Response:
        parts = urlsplit(url)
        answer = self._client.post(
            parts.path or "/",
            base_url=f"{parts.scheme}://{parts.netloc}/",
            query_string=parts.query,
            data=urlencode(params),
            content_type=FORM_CONTENT_TYPE,
            headers=headers,
        )
        try:
            return Response(answer.status_code, dict(answer.headers), answer.get_data())
        finally:
            answer.close()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Twilio treats a redirect as a failed fetch; never follow one (nor turn POST into GET)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class HttpTransport:
    """Posts over real HTTP with urllib, with short timeouts like Twilio's."""

    def __init__(self, timeout: float = 5.0) -> None:
        self._timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirects())

    def post(self, url: str, params: dict[str, str], headers: dict[str, str]) -> Response:
        request = urllib.request.Request(
            url,
            data=urlencode(params).encode("ascii"),
            headers={**headers, "Content-Type": FORM_CONTENT_TYPE},
            method="POST",
        )
        try:
            with self._opener.open(request, timeout=self._timeout) as answer:
                return Response(answer.status, dict(answer.headers.items()), answer.read())
        except urllib.error.HTTPError as error:
            with error:
                return Response(error.code, dict(error.headers.items()), error.read())
        except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
            raise TransportError(f"POST {url}: {error}") from error
