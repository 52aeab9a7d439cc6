"""What one call carries from step to step inside the URLs we hand Twilio, sealed by our own MAC."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache

from app.calls.params import is_number
from app.calls.seal import derive_key, is_sealed, sealed

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$")
MAX_CHAIN = 12
MAX_PASSES = 5
FIELDS = ("c", "ch", "s", "v", "l")  # every field the seal covers, in this order
# Sealed after FIELDS when any is present: a state written before they existed keeps its seal.
EXTRA = ("g", "p", "w")


def state_key(secret: str) -> bytes:
    """The key of the call state's seal, derived from SECRET_KEY."""
    return derive_key(secret, "call-state")


@dataclass(frozen=True)
class CallState:
    contract: str = ""
    chain: tuple[str, ...] = ()
    step: int = 0
    version: str = ""
    line: str = ""
    language: str = ""  # the caller's choice by key; "" when they made none
    passes: int = 1  # how often the chain is run through
    since: int = 0  # when the chain began (Unix seconds), kept for a policy's wait limit

    def to_query(self, key: bytes) -> dict[str, str]:
        """The query parameters, the seal ``m`` last (see docs/decisions/0001)."""
        return dict(_sealed_query(self, key))

    def at_step(self, step: int) -> CallState:
        return replace(self, step=step)

    @property
    def person(self) -> str | None:
        """Who step ``step`` rings: the chain again on each pass, nobody after the last."""
        if not self.chain or not 0 <= self.step < len(self.chain) * self.passes:
            return None
        return self.chain[self.step % len(self.chain)]

    @property
    def pass_number(self) -> int:
        """1 on the chain's first run through, 2 on its second, ..."""
        return self.step // len(self.chain) + 1 if self.chain else 1

    @property
    def starts_pass(self) -> bool:
        """Whether this step rings the chain's first person again, on a later pass."""
        return bool(self.chain) and self.step > 0 and self.step % len(self.chain) == 0

    @classmethod
    def from_query(cls, args: Mapping[str, str], key: bytes) -> CallState | None:
        """None unless our seal matches every field; then parse leniently: anything malformed
        becomes an empty value, never an exception."""
        if not is_sealed(key, args, sealed_names(args)):
            return None
        contract = args.get("c", "")
        line = args.get("l", "")
        chain = tuple(p for p in args.get("ch", "").split(".") if _ID.match(p))[:MAX_CHAIN]
        language = args.get("g", "")
        return cls(
            contract=contract if _ID.match(contract) else "",
            chain=chain,
            step=_number(args.get("s", "0"), 2),
            version=args.get("v", "")[:32],
            line=line if _ID.match(line) else "",
            language=language if _TAG.match(language) else "",
            passes=min(max(_number(args.get("p", "1"), 1), 1), MAX_PASSES),
            since=_number(args.get("w", "0"), 12),
        )


def _number(text: str, digits: int) -> int:
    return int(text) if is_number(text, limit=digits + 1) else 0


def sealed_names(args: Mapping[str, str]) -> tuple[str, ...]:
    return FIELDS + EXTRA if any(name in args for name in EXTRA) else FIELDS


@lru_cache(maxsize=4096)
def _sealed_query(state: CallState, key: bytes) -> dict[str, str]:
    """Calls share states (the same chain at the same step): each is sealed once (an HMAC is
    some 3 µs, the lookup a tenth of that)."""
    query = {"c": state.contract, "ch": ".".join(state.chain), "s": str(state.step),
             "v": state.version}
    if state.line:
        query["l"] = state.line
    extra = {"g": state.language, "p": str(state.passes) if state.passes > 1 else "",
             "w": str(state.since) if state.since else ""}
    if any(extra.values()):
        query.update((name, value) for name, value in extra.items() if value)
    return sealed(key, query, sealed_names(query))
