"""What one call carries from step to step inside the URLs we hand Twilio, sealed by our own MAC."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from app.calls.params import is_number
from app.calls.seal import derive_key, is_sealed, sealed

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
MAX_CHAIN = 12
FIELDS = ("c", "ch", "s", "v", "l")  # every field the seal covers, in this order


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

    def to_query(self, key: bytes) -> dict[str, str]:
        """The query parameters, the seal ``m`` last (see docs/decisions/0001)."""
        return dict(_sealed_query(self, key))

    def at_step(self, step: int) -> CallState:
        return CallState(self.contract, self.chain, step, self.version, self.line)

    @property
    def person(self) -> str | None:
        return self.chain[self.step] if 0 <= self.step < len(self.chain) else None

    @classmethod
    def from_query(cls, args: Mapping[str, str], key: bytes) -> CallState | None:
        """None unless our seal matches every field; then parse leniently: anything malformed
        becomes an empty value, never an exception."""
        if not is_sealed(key, args, FIELDS):
            return None
        contract = args.get("c", "")
        line = args.get("l", "")
        chain = tuple(p for p in args.get("ch", "").split(".") if _ID.match(p))[:MAX_CHAIN]
        step_text = args.get("s", "0")
        step = int(step_text) if is_number(step_text, limit=3) else 0
        return cls(
            contract=contract if _ID.match(contract) else "",
            chain=chain,
            step=step,
            version=args.get("v", "")[:32],
            line=line if _ID.match(line) else "",
        )


@lru_cache(maxsize=4096)
def _sealed_query(state: CallState, key: bytes) -> dict[str, str]:
    """Calls share states (the same chain at the same step): each is sealed once (an HMAC is
    some 3 µs, the lookup a tenth of that)."""
    query = {"c": state.contract, "ch": ".".join(state.chain), "s": str(state.step),
             "v": state.version}
    if state.line:
        query["l"] = state.line
    return sealed(key, query, FIELDS)
