"""X-Twilio-Signature: rebuild the URL Twilio signed and check it against one or two tokens."""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Iterator
from functools import lru_cache
from urllib.parse import quote, urlparse

from twilio.request_validator import RequestValidator, add_port, remove_port
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request


def signed_url(request: Request, public_base_url: str | None) -> str:
    """The URL as Twilio requested it.

    With PUBLIC_BASE_URL (the public address of this app's root, e.g. behind a proxy that
    terminates TLS or strips a path prefix) it is that base plus the path within the app;
    otherwise the request's own URL (made proxy-aware by TRUSTED_PROXY_COUNT).
    """
    base = public_base_url or request_host_url(request) + request.script_root
    query = request.query_string.decode("latin-1")  # raw, exactly as Twilio sent it
    path = quoted_path(request.path)
    return f"{base}{path}?{query}" if query else f"{base}{path}"


@lru_cache(maxsize=256)
def quoted_path(path: str) -> str:
    """The path percent-encoded as it travelled (webhooks use a handful of paths)."""
    return quote(path, safe="/:@!$&'()*+,;=-._~")


def request_host_url(request: Request) -> str:
    """Scheme and host as the client sent them, no slash (``host_url`` also decodes them).

    Kept in the WSGI environ: the signature check and every URL of the answer need it.
    """
    url: str | None = request.environ.get("hotline.host_url")
    if url is None:
        url = request.environ["hotline.host_url"] = f"{request.scheme}://{request.host}"
    return url


class FormValues(dict[str, list[str]]):
    """The posted form as RequestValidator reads it fastest: every value list by ``getall``."""

    getall = dict.__getitem__  # called once per parameter: no Python frame for it


def candidate_urls(url: str) -> Iterator[str]:
    """The URL as requested, then (only if needed) with the port dropped or added.

    Twilio signs the URL it requested; a proxy may have added or dropped a default port on
    the way, which is why RequestValidator.validate tries those forms too.
    """
    yield url
    parsed = urlparse(url)
    for variant in (remove_port(parsed), add_port(parsed)):
        if variant != url:
            yield variant


def is_genuine(
    url: str, form: MultiDict[str, str], signature: str | None, tokens: Iterable[str]
) -> bool:
    """True when ``signature`` matches for any token (a second token allows rotation)."""
    if not signature:
        return False
    # A MultiDict keeps each name's values as a list already: hand those over without copying.
    values = FormValues(dict.items(form))  # type: ignore[arg-type]
    expected = signature.encode("utf-8", "replace")
    return any(hmac.compare_digest(validator.compute_signature(candidate, values).encode(), expected)
               for candidate in candidate_urls(url) for validator in validators_for(tuple(tokens)))


@lru_cache(maxsize=8)
def validators_for(tokens: tuple[str, ...]) -> tuple[RequestValidator, ...]:
    return tuple(RequestValidator(token) for token in tokens)
