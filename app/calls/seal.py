"""Our own MAC over the values we put in the URLs Twilio requests (a call's state, an alert page).

Twilio's signature covers the URL followed by each form parameter's name and value with no
separator, so characters can move between the end of our query string and the first parameter's
name under the same signature: it does not bind our values. A seal does: a truncated HMAC-SHA256,
with a key derived from SECRET_KEY for one purpose, over an unambiguous encoding of every field.
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Mapping, Sequence

SEAL = "m"  # the query parameter that carries it; written after every sealed field
SEAL_BYTES = 12  # 96 bits of the HMAC: 16 characters in the URL
SEAL_LENGTH = 16


def derive_key(secret: str, purpose: str) -> bytes:
    """The key for one purpose: a seal made for one thing never passes for another."""
    return hmac.digest(secret.encode("utf-8", "surrogatepass"),
                       b"hotline url seal\x00" + purpose.encode("utf-8"), "sha256")


def canonical(values: Sequence[str | None]) -> bytes:
    """Each value as its byte length, ``:`` and its UTF-8 bytes; an absent one as ``-``."""
    parts = []
    for value in values:
        if value is None:
            parts.append(b"-")
        else:
            raw = value.encode("utf-8", "surrogatepass")
            parts.append(b"%d:%s" % (len(raw), raw))
    return b"".join(parts)


def seal(key: bytes, values: Sequence[str | None]) -> str:
    digest = hmac.digest(key, canonical(values), "sha256")[:SEAL_BYTES]
    return base64.urlsafe_b64encode(digest).decode("ascii")


def sealed(key: bytes, query: Mapping[str, str], names: Sequence[str]) -> dict[str, str]:
    """``query`` with its seal over ``names`` added last (a name ``query`` lacks is absent)."""
    fields = {name: value for name, value in query.items() if name != SEAL}
    return {**fields, SEAL: seal(key, [fields.get(name) for name in names])}


def is_sealed(key: bytes, args: Mapping[str, str], names: Sequence[str]) -> bool:
    """Whether ``args`` carries our seal over exactly these values of ``names``."""
    mark = args.get(SEAL, "")
    if len(mark) != SEAL_LENGTH or not mark.isascii():
        return False
    expected = seal(key, [args.get(name) for name in names])
    return hmac.compare_digest(expected.encode("ascii"), mark.encode("ascii"))
