"""The ``<Number>`` nouns of a ``<Dial>`` and the state of each leg dialled for one."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import urljoin

from app.devtools.simulator.legs import Leg
from app.devtools.simulator.outcomes import PhoneScript
from app.devtools.simulator.twiml import text_of

MAX_NUMBERS = 10


@dataclass(frozen=True)
class NumberNoun:
    """One ``<Number>``: whom to call, the screening document, which progress to report."""

    number: str
    url: str | None = None
    status_callback: str | None = None
    events: frozenset[str] = frozenset({"completed"})


@dataclass
class Attempt:
    """One dialled leg, from ``initiated`` to its final status."""

    noun: NumberNoun
    script: PhoneScript
    params: dict[str, str]
    answer_at: float | None = None
    bridge_at: float | None = None
    end_at: float = math.inf
    status: str = ""
    dial_status: str = ""
    bridged: bool = False
    note: str = ""
    sequence: int = field(default=0)

    def end(self, at: float, status: str, dial_status: str | None = None, note: str = "") -> None:
        """The leg ends at ``at`` with CallStatus ``status``; ``dial_status`` is what it means
        for the ``<Dial>`` (DialCallStatus)."""
        self.end_at = at
        self.status = status
        self.dial_status = dial_status or status
        self.note = note

    def duration(self) -> int:
        """CallDuration of the leg: seconds from answer to hang-up."""
        if self.answer_at is None or self.end_at <= self.answer_at:
            return 0
        return int(round(self.end_at - self.answer_at))


def parse_numbers(leg: Leg, verb: ET.Element, url: str) -> list[NumberNoun]:
    """The numbers a ``<Dial>`` calls (a bare number as its text counts too), at most ten."""
    nouns: list[NumberNoun] = []
    bare = (verb.text or "").strip()
    if bare:
        nouns.append(NumberNoun(bare))
    for child in verb:
        if child.tag != "Number":
            leg.schema_error(f"<{child.tag}> in <Dial> is not simulated", url)
            continue
        for attribute in ("method", "statusCallbackMethod"):
            if child.get(attribute, "POST").upper() != "POST":
                leg.schema_error(f"<Number {attribute}=...>: only POST is simulated", url)
        callback = child.get("statusCallback")
        events = (child.get("statusCallbackEvent") or "completed").replace(",", " ").split()
        nouns.append(NumberNoun(
            number=text_of(child),
            url=urljoin(url, child.get("url", "")) if child.get("url") else None,
            status_callback=urljoin(url, callback) if callback else None,
            events=frozenset(events),
        ))
    if len(nouns) > MAX_NUMBERS:
        leg.schema_error(f"<Dial> with {len(nouns)} numbers; Twilio calls at most 10", url)
    return nouns[:MAX_NUMBERS]
