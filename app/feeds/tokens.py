"""Feed tokens: an HMAC of the feed's kind and id under the secret key, and the feed URLs."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Literal

from app.config import HotlineConfig
from app.settings import Settings

FeedKind = Literal["person", "rotation"]
TOKEN_BYTES = 18  # 144 bits, and a multiple of 3 so the base64 form has no padding


def feed_token(secret_key: str, kind: FeedKind, ident: str) -> str:
    """The URL-safe token that opens the ``kind`` feed of ``ident``."""
    message = f"feed:{kind}:{ident}".encode()
    digest = hmac.new(secret_key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:TOKEN_BYTES]).decode("ascii")


def token_matches(secret_key: str, kind: FeedKind, ident: str, token: str | None) -> bool:
    """Whether ``token`` opens that feed, compared in constant time."""
    expected = feed_token(secret_key, kind, ident).encode("ascii")
    given = (token or "").encode("utf-8", "replace")
    return hmac.compare_digest(expected, given)


def feed_path(kind: FeedKind, ident: str) -> str:
    """The path the feed is served under (see app.web.feeds)."""
    return f"/calendar/{kind}/{ident}.ics"


def feed_urls(settings: Settings, config: HotlineConfig, base_url: str) -> dict[str, dict[str, str]]:
    """Every feed's URL with its token: ``{"person": {id: url}, "rotation": {id: url}}``."""
    base = base_url.rstrip("/")

    def url(kind: FeedKind, ident: str) -> str:
        return f"{base}{feed_path(kind, ident)}?token={feed_token(settings.secret_key, kind, ident)}"

    return {
        "person": {pid: url("person", pid) for pid in config.people},
        "rotation": {rid: url("rotation", rid) for rid in config.rotations},
    }
