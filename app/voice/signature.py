"""X-Twilio-Signature: rebuild the URL Twilio signed and check it against one or two tokens."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import quote, urlparse

from twilio.request_validator import RequestValidator, add_port, compare, remove_port
from werkzeug.wrappers import Request


def signed_url(request: Request, public_base_url: str | None) -> str:
    """The URL as Twilio requested it.

    With PUBLIC_BASE_URL (the public address of this app's root, e.g. behind a proxy that
    terminates TLS or strips a path prefix) it is that base plus the path within the app;
    otherwise the request's own URL (made proxy-aware by TRUSTED_PROXY_COUNT).
    """
    base = public_base_url or (request.host_url.rstrip("/") + request.script_root)
    query = request.query_string.decode("latin-1")  # raw, exactly as Twilio sent it
    path = quote(request.path, safe="/:@!$&'()*+,;=-._~")
    return f"{base}{path}?{query}" if query else f"{base}{path}"


def is_genuine(
    url: str, params: Mapping[str, str], signature: str | None, tokens: Iterable[str]
) -> bool:
    """True when ``signature`` matches for any token (a second token allows rotation)."""
    if not signature:
        return False
    parsed = urlparse(url)
    # The URL as requested first: that is the one Twilio signed unless a port was added or
    # dropped on the way, which RequestValidator.validate always computes as well.
    candidates = dict.fromkeys((url, remove_port(parsed), add_port(parsed)))
    for token in tokens:
        validator = RequestValidator(token)
        if any(compare(validator.compute_signature(candidate, params), signature)
               for candidate in candidates):
            return True
    return False
