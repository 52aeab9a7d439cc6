"""The validated configuration as frozen domain objects, read by every webhook from memory."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from app.contracts import Contract, ContractDirectory
from app.escalation import Person, Policy
from app.prompts import Prompts
from app.schedule import Rotation


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


@dataclass(frozen=True)
class HotlineConfig:
    hotline: HotlineSettings
    people: Mapping[str, Person]
    rotations: Mapping[str, Rotation]
    policies: Mapping[str, Policy]
    contracts: Mapping[str, Contract]
    prompts: Prompts
    version: str
    source: str = ""
    directory: ContractDirectory = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "directory", ContractDirectory(self.contracts.values()))

    @property
    def policy(self) -> Policy:
        return self.policies[self.hotline.policy]
