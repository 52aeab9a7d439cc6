"""What the alert endpoints accept, read into one shape (pure; no I/O).

Prometheus Alertmanager's webhook, payload version 4 (``POST /alerts/alertmanager``): one request
per alert group, ``groupKey`` names the group, ``status`` is ``resolved`` once every alert in it
has resolved, each alert carries its ``fingerprint``.

The generic endpoint (``POST /alerts/generic``, JSON, same bearer token) for anything else::

    {"key": "backup-db1",                 required: the same key is the same alert
     "summary": "Nightly backup failed",  required while firing; what the call says
     "status": "firing",                  "firing" (default) or "resolved"
     "severity": "critical",              optional: a severity of the [alerts] policy
     "source": "backup cron",             optional: spoken as "Alert from backup cron"
     "labels": {"host": "db1"}}           optional: strings, kept with the alert
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

ALERTMANAGER = "alertmanager"
GENERIC = "generic"
STATUSES = ("firing", "resolved")
SEVERITY_RANK = {"critical": 0, "error": 1, "warning": 2, "info": 3}
MAX_ALERTS = 1000
SUMMARY_CHARS = 300


class PayloadError(ValueError):
    """The body is not what the endpoint accepts; the message says what is wrong."""


@dataclass(frozen=True)
class Member:
    """One alert of a group, as its sender identifies it (Alertmanager's fingerprint)."""

    fingerprint: str
    status: str
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    starts_at: str | None = None
    ends_at: str | None = None


@dataclass(frozen=True)
class Incoming:
    """One notification about an alert group, from either endpoint."""

    integration: str
    group_key: str
    status: str
    summary: str
    origin: str
    severity: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    members: tuple[Member, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Incoming:
        members = tuple(Member(**m) for m in data.get("members") or ())
        return cls(**{**data, "members": members})


def parse_alertmanager(body: Any) -> Incoming:
    """Alertmanager's webhook body (version 4) as an :class:`Incoming`."""
    data = _object(body, "the body")
    if str(data.get("version")) != "4":
        raise PayloadError(f"unsupported payload version {data.get('version')!r}; expected \"4\"")
    alerts = data.get("alerts")
    if not isinstance(alerts, list) or len(alerts) > MAX_ALERTS:
        raise PayloadError(f"'alerts' must be a list of at most {MAX_ALERTS} alerts")
    members = tuple(_member(a, i) for i, a in enumerate(alerts))
    common = _strings(data.get("commonLabels"), "commonLabels")
    notes = _strings(data.get("commonAnnotations"), "commonAnnotations")
    firing = [m for m in members if m.status == "firing"] or list(members)
    return Incoming(
        integration=ALERTMANAGER,
        group_key=_text(data.get("groupKey"), "groupKey", 4000),
        status=_status(data.get("status")),
        summary=_summary(notes, firing),
        origin=_speakable(common.get("service") or common.get("job") or "Alertmanager", 64),
        severity=common.get("severity") or _worst([m.labels.get("severity") for m in members]),
        labels=common,
        members=members,
    )


def parse_generic(body: Any) -> Incoming:
    """The generic endpoint's body (see the module's docstring) as an :class:`Incoming`."""
    data = _object(body, "the body")
    key = _text(data.get("key"), "key", 200)
    status = _status(data.get("status", "firing"))
    summary = data.get("summary")
    if status == "firing" or summary is not None:
        summary = _text(summary, "summary", 2000)
    labels = _strings(data.get("labels"), "labels")
    severity = data.get("severity")
    if severity is not None:
        severity = _text(severity, "severity", 32)
    source = _text(data.get("source", "monitoring"), "source", 64)
    member = Member(key, status, labels, {"summary": summary} if summary else {})
    return Incoming(GENERIC, key, status, _speakable(summary or key, SUMMARY_CHARS),
                    _speakable(source, 64), severity, labels, (member,))


def _member(raw: Any, index: int) -> Member:
    alert = _object(raw, f"alerts[{index}]")
    labels = _strings(alert.get("labels"), f"alerts[{index}].labels")
    fingerprint = alert.get("fingerprint") or _fingerprint(labels)
    return Member(
        fingerprint=_text(fingerprint, f"alerts[{index}].fingerprint", 64),
        status=_status(alert.get("status")),
        labels=labels,
        annotations=_strings(alert.get("annotations"), f"alerts[{index}].annotations"),
        starts_at=_optional_text(alert.get("startsAt"), 40),
        ends_at=_optional_text(alert.get("endsAt"), 40),
    )


def _summary(notes: Mapping[str, str], alerts: list[Member]) -> str:
    first = alerts[0] if alerts else None
    text = notes.get("summary") or (first and (
        first.annotations.get("summary") or first.annotations.get("description")
        or first.labels.get("alertname"))) or "an alert"
    if len(alerts) > 1:
        text = f"{text} ({len(alerts)} alerts)"
    return _speakable(text, SUMMARY_CHARS)


def _worst(severities: list[str | None]) -> str | None:
    known = [s for s in severities if s]
    return min(known, key=lambda s: SEVERITY_RANK.get(s.lower(), 99)) if known else None


def _fingerprint(labels: Mapping[str, str]) -> str:
    flat = "\x00".join(f"{k}\x00{v}" for k, v in sorted(labels.items()))
    return hashlib.sha256(flat.encode()).hexdigest()[:16]


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PayloadError(f"{name} must be a JSON object")
    return value


def _text(value: Any, name: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise PayloadError(f"'{name}' must be a non-empty string of at most {limit} characters")
    return value.strip()


def _optional_text(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def _status(value: Any) -> str:
    if value not in STATUSES:
        raise PayloadError(f"status must be 'firing' or 'resolved', not {value!r}")
    return str(value)


def _strings(value: Any, name: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise PayloadError(f"'{name}' must be an object of strings")
    return {k[:100]: v[:2000] for k, v in list(value.items())[:100]}


def _speakable(text: str, limit: int) -> str:
    """One line, no control characters, at most ``limit`` characters: it is read out."""
    flat = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
