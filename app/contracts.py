"""Contracts and the caller directory: who is calling, by caller ID or by contract PIN."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers


class Tier(StrEnum):
    """What a contract buys: round-the-clock support or support in business hours."""

    ALWAYS = "24/7"
    BUSINESS_HOURS = "business-hours"


class Counted(StrEnum):
    """Which calls an answer target is measured over."""

    ALL = "all"
    IN_HOURS = "in-hours"  # only calls that came in during the contract's business hours


@dataclass(frozen=True)
class AnswerTarget:
    """The SLA: ``percent`` of the counted calls answered by an engineer within ``seconds``."""

    seconds: int
    percent: float
    counts: Counted


DEFAULT_TARGETS = {
    Tier.ALWAYS: AnswerTarget(60, 90.0, Counted.ALL),
    Tier.BUSINESS_HOURS: AnswerTarget(120, 80.0, Counted.IN_HOURS),
}


@dataclass(frozen=True)
class Contract:
    id: str
    name: str
    pin: str
    numbers: tuple[str, ...]
    tier: Tier = Tier.ALWAYS
    language: str | None = None
    business_hours: str | None = None
    sla: AnswerTarget | None = None  # None: the tier's default

    @property
    def answer_target(self) -> AnswerTarget:
        return self.sla or DEFAULT_TARGETS[self.tier]


E164_SHAPE = re.compile(r"^\+[1-9][0-9]{7,14}$")
WITHHELD_MARKERS = ("anonymous", "unknown", "restricted", "private", "unavailable", "blocked")


def normalise_number(raw: str | None, default_region: str) -> str | None:
    """Return ``raw`` as E.164, or None when it is withheld, a client/SIP address or not a number."""
    text = (raw or "").strip()
    if not text or ":" in text or "@" in text or len(text) > 40:
        return None
    if E164_SHAPE.match(text):
        return text  # what Twilio sends for a network caller ID: already E.164
    if text.lower().lstrip("+") in WITHHELD_MARKERS:
        return None
    try:
        parsed = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


class ContractDirectory:
    """Finds a contract by caller number (E.164) or by PIN in constant time."""

    def __init__(self, contracts: Iterable[Contract]) -> None:
        self._by_id: dict[str, Contract] = {}
        self._by_number: dict[str, Contract] = {}
        self._by_pin: dict[str, Contract] = {}
        for contract in contracts:
            self._by_id[contract.id] = contract
            self._by_pin[contract.pin] = contract
            for number in contract.numbers:
                self._by_number[number] = contract

    @property
    def by_id(self) -> Mapping[str, Contract]:
        return self._by_id

    def by_caller(self, e164: str | None) -> Contract | None:
        return self._by_number.get(e164) if e164 else None

    def by_pin(self, digits: str | None) -> Contract | None:
        return self._by_pin.get(digits.strip()) if digits else None

    def get(self, contract_id: str | None) -> Contract | None:
        return self._by_id.get(contract_id) if contract_id else None
