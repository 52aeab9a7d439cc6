"""Twilio's request signature (X-Twilio-Signature), computed exactly as Twilio computes it."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import urldefrag

SIGNATURE_HEADER = "X-Twilio-Signature"
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"


def compute_signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """Return base64(HMAC-SHA1(token, url + name1 + value1 + name2 + value2 ...)).

    Parameters are concatenated in order of their names; ``url`` is used exactly as given
    (scheme, host, optional port, path and query string).
    """
    payload = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(auth_token.encode("utf-8"), payload.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def request_url(url: str) -> str:
    """The URL Twilio requests and signs: connection-override fragments (``#rc=...``) dropped."""
    return urldefrag(url).url
