"""What one call carries from step to step inside the URLs we hand Twilio (which Twilio signs)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from app.calls.params import is_number

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
MAX_CHAIN = 12


@dataclass(frozen=True)
class CallState:
    contract: str = ""
    chain: tuple[str, ...] = ()
    step: int = 0
    version: str = ""
    line: str = ""

    def to_query(self) -> dict[str, str]:
        query = {"c": self.contract, "ch": ".".join(self.chain), "s": str(self.step),
                 "v": self.version}
        if self.line:
            query["l"] = self.line
        return query

    def at_step(self, step: int) -> CallState:
        return CallState(self.contract, self.chain, step, self.version, self.line)

    @property
    def person(self) -> str | None:
        return self.chain[self.step] if 0 <= self.step < len(self.chain) else None

    @classmethod
    def from_query(cls, args: Mapping[str, str]) -> CallState:
        """Parse leniently: anything malformed becomes an empty value, never an exception."""
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
