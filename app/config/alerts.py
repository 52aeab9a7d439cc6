"""The ``[alerts]`` section: how an alert reaches people, by severity and time of day."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.config.notifications import phone_number

Channel = Literal["call", "sms", "email", "none"]
WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SeverityRule(_Strict):
    """The channel in the day and at night; ``escalate``: unacknowledged pages move on."""

    day: Channel = "call"
    night: Channel = "call"
    escalate: bool = True


DEFAULT_SEVERITIES: dict[str, SeverityRule] = {
    "critical": SeverityRule(),
    "warning": SeverityRule(day="sms", night="call"),
    "info": SeverityRule(day="sms", night="none", escalate=False),
}


class AlertsSection(_Strict):
    """Every key has a default, so a file without the section pages with these."""

    token_env: str = Field(default="ALERTMANAGER_TOKEN", pattern=r"^[A-Z_][A-Z0-9_]{0,63}$")
    policy: str | None = None  # the escalation policy; default: the hotline's
    timezone: str | None = None  # for "day"; default: the hotline's
    day: str = "08:00-20:00"  # a local window "HH:MM-HH:MM", or a [business_hours] id
    step_delay_minutes: int = Field(default=5, ge=1, le=240)
    repeats: int = Field(default=1, ge=0, le=10)  # runs of the whole chain after the first
    ring_seconds: int = Field(default=30, ge=10, le=120)
    caller_id: str | None = None  # the number alert calls come from; default: the hotline's
    default_severity: str = "critical"  # for alerts without a known severity
    severities: dict[str, SeverityRule] = Field(default_factory=lambda: dict(DEFAULT_SEVERITIES))

    @field_validator("caller_id")
    @classmethod
    def _number(cls, value: str | None) -> str | None:
        return phone_number(value) if value is not None else None

    @field_validator("severities")
    @classmethod
    def _merge_defaults(cls, given: dict[str, SeverityRule]) -> dict[str, SeverityRule]:
        return {**DEFAULT_SEVERITIES, **given}

    def rule(self, severity: str) -> SeverityRule:
        return self.severities.get(severity) or self.severities.get(
            self.default_severity, DEFAULT_SEVERITIES["critical"])


def parse_alerts(section: Mapping[str, Any] | AlertsSection | None) -> AlertsSection:
    """The section from the parsed file's table (``None``: all defaults)."""
    if isinstance(section, AlertsSection):
        return section
    return AlertsSection.model_validate(dict(section or {}))


def alerts_of(config: object) -> AlertsSection:
    """The section a loaded configuration carries (``HotlineConfig.alerts``), or defaults."""
    return parse_alerts(getattr(config, "alerts", None))


def check_alerts(section: AlertsSection, config: Any) -> list[tuple[str, str]]:
    """Cross-checks against the rest of the file, as ``(key, problem)`` pairs."""
    problems = []
    if section.policy is not None and section.policy not in config.policies:
        problems.append(("alerts.policy", f"no policy {section.policy!r}"))
    if not WINDOW.match(section.day) and section.day not in config.business_hours:
        problems.append(("alerts.day", "write a local window like '08:00-20:00' or the id of "
                                       "a [business_hours] table"))
    if section.default_severity not in section.severities:
        problems.append(("alerts.default_severity",
                         f"not one of the severities {', '.join(section.severities)}"))
    return problems
