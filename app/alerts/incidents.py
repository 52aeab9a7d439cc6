"""Incident messages from alerts: a firing alert carrying ``hotline_message`` sets one, its
resolution clears it.

Optional annotations beside it: ``hotline_contracts`` and ``hotline_lines`` (comma-separated
ids; none: every caller), ``hotline_press_through`` (``false``: callers stay on the line for
the chain instead of pressing 1) and ``hotline_expires_minutes`` (default 240).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.payloads import Incoming, Member
from app.storage.incidents import IncidentRow, clear_incident, set_incident

log = logging.getLogger(__name__)
ANNOTATION = "hotline_message"
DEFAULT_MINUTES = 240


def apply_alert(session: Session, incoming: Incoming, now: datetime) -> tuple[int, int]:
    """Set and clear the incidents ``incoming``'s alerts call for: (set, cleared)."""
    added = cleared = 0
    for member in incoming.members:
        key = f"{incoming.integration}:{member.fingerprint}"[:200]
        if member.status == "resolved":
            cleared += clear_incident(session, now, alert_key=key)
        elif member.annotations.get(ANNOTATION) and not _open(session, key, now):
            added += _set(session, member, key, now)
    return added, cleared


def _set(session: Session, member: Member, key: str, now: datetime) -> int:
    notes = member.annotations
    minutes = notes.get("hotline_expires_minutes", "")
    expires = now + timedelta(minutes=int(minutes) if minutes.isdigit() and 0 < int(minutes)
                              <= 10080 else DEFAULT_MINUTES)
    try:
        set_incident(session, notes[ANNOTATION], expires, now, "alertmanager",
                     _ids(notes.get("hotline_contracts")), _ids(notes.get("hotline_lines")),
                     notes.get("hotline_press_through", "true").strip().lower() != "false",
                     alert_key=key)
    except ValueError as error:
        log.warning("alert %s: no incident message: %s", key, error)
        return 0
    return 1


def _open(session: Session, key: str, now: datetime) -> bool:
    return session.scalar(select(IncidentRow.id).where(
        IncidentRow.alert_key == key, IncidentRow.cleared_at.is_(None),
        IncidentRow.expires_at > now)) is not None


def _ids(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())[:50]
