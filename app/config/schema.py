"""The file's shape as pydantic models: types, defaults and unknown-key detection."""

from __future__ import annotations

from datetime import date, time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.config.alerts import AlertsSection
from app.config.allowances import AllowancesSection
from app.config.callbacks import CallbacksSection
from app.config.notifications import NotificationsSection
from app.config.sla import SlaSection, TierName

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"
# Texts of the default language by name, and tables of texts per language code ([prompts.de]).
PromptTables = dict[str, str | dict[str, str]]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HotlineSection(Strict):
    name: str = "support hotline"
    numbers: list[str] = Field(min_length=1)
    default_region: str = Field(default="US", pattern=r"^[A-Z]{2}$")
    timezone: str = "UTC"
    language: str = "en-US"
    voice: str | None = None
    voices: dict[str, str] = {}
    languages: list[str] = []
    language_choice: bool = False
    ring_seconds: int = Field(default=20, ge=5, le=600)
    voicemail_max_seconds: int = Field(default=120, ge=10, le=3600)
    pin_tries: int = Field(default=3, ge=1, le=10)
    unidentified: Literal["voicemail", "chain", "hangup"] = "voicemail"
    policy: str = "default"
    business_hours: str | None = None


class BusinessHoursSection(Strict):
    timezone: str
    days: dict[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], str]
    holidays: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    subdivision: str | None = None
    closed_on: list[date] = []
    emergency_option: bool = True


class LineSection(Strict):
    numbers: list[str] = Field(min_length=1)
    name: str | None = None
    policy: str | None = None
    business_hours: str | None = None
    language: str | None = None
    languages: list[str] | None = None
    language_choice: bool | None = None
    prompts: PromptTables = {}


class SecuritySection(Strict):
    blocklist: list[str] = []
    max_call_minutes: int = Field(default=120, ge=5, le=240)
    pin_failures_per_caller: int = Field(default=6, ge=1, le=1000)
    pin_failures_global: int = Field(default=60, ge=1, le=100000)
    busy_engineers_skipped: bool = True


class PersonSection(Strict):
    name: str
    phone: str
    email: str | None = None
    language: str | None = None


class RotationSection(Strict):
    participants: list[str]
    timezone: str
    start: date
    handoff_time: time = time(9, 0)
    shift: str = "1w"
    active: tuple[time, time] | None = None


class PolicySection(Strict):
    rotation: str
    backups: list[str] = []
    cio: str | None = None
    ring_seconds: int | None = Field(default=None, ge=5, le=600)
    passes: int = Field(default=1, ge=1, le=5)
    max_wait_seconds: int | None = Field(default=None, ge=30, le=3600)
    caller_id: Literal["hotline", "customer"] = "hotline"


class ContractSection(Strict):
    name: str
    pin: str = Field(pattern=r"^[0-9]{4,12}$")
    numbers: list[str] = []
    tier: Literal["24/7", "business-hours"] = "24/7"
    language: str | None = None
    business_hours: str | None = None
    sla: SlaSection | None = None


class ConfigFile(Strict):
    hotline: HotlineSection
    people: dict[str, PersonSection]
    rotations: dict[str, RotationSection]
    policies: dict[str, PolicySection]
    contracts: dict[str, ContractSection] = {}
    business_hours: dict[str, BusinessHoursSection] = {}
    lines: dict[str, LineSection] = {}
    security: SecuritySection = SecuritySection()
    notifications: NotificationsSection = NotificationsSection()
    alerts: AlertsSection = AlertsSection()
    callbacks: CallbacksSection = CallbacksSection()
    allowances: AllowancesSection | None = None
    sla: dict[TierName, SlaSection] = {}
    prompts: PromptTables = {}
