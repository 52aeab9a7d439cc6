"""The validated configuration as frozen domain objects, read by every webhook from memory."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from app.allowances import AllowancePolicy
from app.config.alerts import AlertsSection
from app.config.callbacks import CallbacksSection
from app.config.notifications import NotificationsSection
from app.contracts import Contract, ContractDirectory
from app.escalation import Person, Policy
from app.prompts import Prompts, Speech, language_code
from app.schedule import BusinessHours, Rotation


@dataclass(frozen=True)
class HotlineSettings:
    name: str
    numbers: tuple[str, ...]
    default_region: str
    timezone: str
    language: str
    voice: str | None
    ring_seconds: int
    voicemail_max_seconds: int
    pin_tries: int
    unidentified: Literal["voicemail", "chain", "hangup"]
    policy: str
    business_hours: str | None = None
    languages: tuple[str, ...] = ()
    language_choice: bool = False


@dataclass(frozen=True)
class Security:
    blocklist: tuple[str, ...] = ()          # E.164 numbers or prefixes ("+1900")
    max_call_minutes: int = 120
    pin_failures_per_caller: int = 6         # per hour and caller number
    pin_failures_global: int = 60            # per 10 minutes, all callers
    busy_engineers_skipped: bool = True

    def blocks(self, e164: str | None) -> bool:
        return bool(e164) and e164.startswith(tuple(self.blocklist))  # type: ignore[union-attr]


@dataclass(frozen=True)
class OfficeHours:
    """Business hours a business-hours contract is served in, and what happens outside them."""

    id: str
    hours: BusinessHours
    emergency_option: bool = True


@dataclass(frozen=True)
class Line:
    """A hotline number (or several) with its own name, policy and prompts; id "" is the default."""

    id: str
    numbers: tuple[str, ...]
    name: str
    policy: str
    speech: Mapping[str, Speech]  # by language tag and by code, every language it may speak
    business_hours: str | None = None
    language: str = "en-US"  # its callers' unless their contract names one
    languages: tuple[str, ...] = ()  # offered by key (1, 2, ...) to unidentified callers
    language_choice: bool = False

    @property
    def prompts(self) -> Prompts:
        return self.speech[self.language].prompts

    def speaking(self, tag: str | None) -> Speech:
        """The prompts, <Say> language and voice for ``tag``; the line's own for None or a
        language it was not built with."""
        if tag:
            found = self.speech.get(tag) or self.speech.get(language_code(tag))
            if found is not None:
                return found
        return self.speech[self.language]

    @property
    def offers_choice(self) -> bool:
        return self.language_choice and len(self.languages) > 1


@dataclass(frozen=True)
class HotlineConfig:
    hotline: HotlineSettings
    people: Mapping[str, Person]
    rotations: Mapping[str, Rotation]
    policies: Mapping[str, Policy]
    contracts: Mapping[str, Contract]
    speech: Mapping[str, Speech]  # the default line's (see Line.speech)
    version: str
    source: str = ""
    lines: Mapping[str, Line] = field(default_factory=dict)
    business_hours: Mapping[str, OfficeHours] = field(default_factory=dict)
    security: Security = field(default_factory=Security)
    notifications: NotificationsSection = field(default_factory=NotificationsSection)
    alerts: AlertsSection = field(default_factory=AlertsSection)
    callbacks: CallbacksSection = field(default_factory=CallbacksSection)
    allowances: AllowancePolicy | None = None
    directory: ContractDirectory = field(init=False, compare=False, repr=False)
    _line_by_number: dict[str, Line] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "directory", ContractDirectory(self.contracts.values()))
        by_number = {n: line for line in self.lines.values() for n in line.numbers}
        object.__setattr__(self, "_line_by_number", by_number)

    @property
    def prompts(self) -> Prompts:
        """The hotline's own language's prompts (the default line's)."""
        return self.speech[self.hotline.language].prompts

    @property
    def policy(self) -> Policy:
        return self.policies[self.hotline.policy]

    @cached_property
    def default_line(self) -> Line:
        return Line("", self.hotline.numbers, self.hotline.name, self.hotline.policy,
                    self.speech, self.hotline.business_hours, self.hotline.language,
                    self.hotline.languages, self.hotline.language_choice)

    def line_for(self, number: str | None) -> Line:
        """The line a customer dialled (by the ``To`` number), else the default line."""
        return self._line_by_number.get(number or "") or self.default_line

    def line(self, line_id: str) -> Line:
        return self.lines.get(line_id) or self.default_line

    def office_hours(self, contract_hours: str | None, line: Line) -> OfficeHours | None:
        key = contract_hours or line.business_hours or self.hotline.business_hours
        return self.business_hours.get(key) if key else None
