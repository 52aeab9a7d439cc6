"""The ``[notifications]`` section: who hears about voicemails, missed calls and shifts, and how."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SENDER_ID = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")  # at least one letter
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
Role = Literal["on-call", "backup", "cio"]  # a person's role in a call's chain
# now: at once; rang: at once if their phone rang for the call, else like escalation;
# escalation: when a follow-up nobody handled moves up the chain to them; never.
When = Literal["now", "rang", "escalation", "never"]


class RoleRule(BaseModel):
    """When a person in one role of a call's chain hears about its voicemail or missed call."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    voicemail: When = "now"
    missed: When = "now"


DEFAULT_ROLES: dict[Role, RoleRule] = {
    "on-call": RoleRule(),
    "backup": RoleRule(voicemail="rang", missed="rang"),
    "cio": RoleRule(voicemail="rang", missed="rang"),
}


class NotificationsSection(BaseModel):
    """Every key has a default, so a file without the section notifies with these."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sms_from: str | None = None  # a Twilio number or sender id; default: the first hotline number
    email_from: str | None = None  # default: $SMTP_FROM, else hotline@<PUBLIC_BASE_URL's host>
    voicemail: bool = True  # the chain hears about every voicemail
    missed_calls: bool = True  # ... and about calls nobody accepted
    missed_ring: bool = True  # an engineer who let a call ring out is told by SMS
    shift_reminder_minutes: int = Field(default=60, ge=0, le=1440)  # 0: no reminders
    transcription_wait_seconds: int = Field(default=60, ge=0, le=600)
    escalate_after_minutes: int = Field(default=30, ge=0, le=1440)  # 0: a follow-up stays put
    # A business-hours contract's voicemail left while closed: told at the next opening, or now.
    after_hours_voicemail: Literal["opening", "now"] = "opening"
    roles: dict[Role, RoleRule] = Field(default_factory=lambda: dict(DEFAULT_ROLES))
    # Person ids told by SMS and e-mail whenever an engineer takes over a shift in the console.
    admins: tuple[str, ...] = ()

    @field_validator("sms_from")
    @classmethod
    def _sender(cls, value: str | None) -> str | None:
        return value if value is None or SENDER_ID.match(value) else phone_number(value)

    @field_validator("roles")
    @classmethod
    def _merge_defaults(cls, given: dict[Role, RoleRule]) -> dict[Role, RoleRule]:
        return {**DEFAULT_ROLES, **given}

    def when(self, role: str, kind: str) -> When:
        """When ``role`` hears about a follow-up of ``kind`` ("voicemail" or "missed")."""
        rule = self.roles.get(role, DEFAULT_ROLES["backup"])  # type: ignore[call-overload]
        return rule.voicemail if kind == "voicemail" else rule.missed


def phone_number(value: str) -> str:
    """``+49 30 555-0199`` -> ``+49305550199``; anything but an E.164 number is refused."""
    number = "".join(ch for ch in value if ch not in " -()/")
    if not E164.match(number):
        raise ValueError(f"{value!r} is not an international number like +4930555019")
    return number


def parse_notifications(section: Mapping[str, Any] | NotificationsSection | None) -> NotificationsSection:
    """The section from the parsed file's table (``None``: all defaults)."""
    if isinstance(section, NotificationsSection):
        return section
    return NotificationsSection.model_validate(dict(section or {}))


def notifications_of(config: object) -> NotificationsSection:
    """The section a loaded configuration carries (``HotlineConfig.notifications``), or defaults."""
    return parse_notifications(getattr(config, "notifications", None))
