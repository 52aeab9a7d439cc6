"""Incident messages in the database, and the in-memory copy the call path reads.

Like the overrides (:mod:`app.storage.overrides`): a background thread refreshes
:class:`IncidentCache` every few seconds in each web process, and a call only reads memory. A
new or cleared incident therefore reaches every process within ``refresh_seconds``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Boolean, Engine, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.calls import events as ev
from app.calls.incident import Incident, message_problem
from app.storage.models import Base, EventRecord, Json, UTCDateTime
from app.storage.refreshing import BackgroundRefresh


class IncidentRow(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message: Mapped[str] = mapped_column(Text)
    contracts: Mapped[Any] = mapped_column(Json, default=list)
    lines: Mapped[Any] = mapped_column(Json, default=list)
    press_through: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(String(80))  # a user, "cli", "api" or "alertmanager"
    # The alert that set it (Alertmanager's fingerprint): its resolution clears it.
    alert_key: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)


def set_incident(session: Session, message: str, expires_at: datetime, now: datetime,
                 created_by: str, contracts: tuple[str, ...] = (), lines: tuple[str, ...] = (),
                 press_through: bool = True, alert_key: str | None = None) -> IncidentRow:
    """Store a new incident message (ValueError when it cannot be said or has expired)."""
    problem = message_problem(message) or ("it expires before it starts" if expires_at <= now
                                           else "")
    if problem:
        raise ValueError(problem)
    row = IncidentRow(message=" ".join(message.split()), contracts=list(contracts),
                      lines=list(lines), press_through=press_through, created_at=now,
                      expires_at=expires_at, created_by=created_by[:80], alert_key=alert_key)
    session.add(row)
    session.flush()
    return row


def clear_incident(session: Session, now: datetime, incident_id: int | None = None,
                   alert_key: str | None = None) -> int:
    """Clear one incident (by id or by the alert that set it); how many were active."""
    query = update(IncidentRow).where(IncidentRow.cleared_at.is_(None))
    if incident_id is not None:
        query = query.where(IncidentRow.id == incident_id)
    elif alert_key is not None:
        query = query.where(IncidentRow.alert_key == alert_key)
    else:
        return 0
    return int(session.execute(query.values(cleared_at=now)).rowcount)  # type: ignore[attr-defined]


def list_incidents(session: Session, limit: int = 50) -> list[IncidentRow]:
    return list(session.scalars(select(IncidentRow).order_by(IncidentRow.id.desc()).limit(limit)))


def active(session: Session, since: datetime) -> list[Incident]:
    """The incidents not cleared that run until after ``since``; the call path checks the
    expiry against its own clock."""
    rows = session.scalars(select(IncidentRow).where(IncidentRow.cleared_at.is_(None),
                                                     IncidentRow.expires_at > since))
    return [as_domain(row) for row in rows]


def as_domain(row: IncidentRow) -> Incident:
    return Incident(row.id, row.message, row.expires_at, tuple(row.contracts or ()),
                    tuple(row.lines or ()), bool(row.press_through))


class IncidentCache(BackgroundRefresh):
    """The active incidents, refreshed in the background; the last known ones on failure."""

    thread_name = "incident-cache"
    what = "incidents"

    def __init__(self, engine: Engine | None, refresh_seconds: float = 5.0) -> None:
        super().__init__(engine, refresh_seconds)
        self.incidents: tuple[Incident, ...] = ()

    def load(self, engine: Engine) -> None:
        with Session(engine) as session:
            self.incidents = tuple(active(session, datetime.now(UTC) - timedelta(days=1)))


def heard_counts(session: Session, rows: list[IncidentRow]) -> dict[int, tuple[int, int]]:
    """Per incident: how many callers heard it, and how many of them still pressed 1."""
    if not rows:
        return {}
    since = min(row.created_at for row in rows)
    found = session.execute(select(EventRecord.type, EventRecord.data).where(
        EventRecord.type.in_((ev.INCIDENT_HEARD, ev.INCIDENT_PRESSED)),
        EventRecord.at >= since))
    counts = {row.id: [0, 0] for row in rows}
    for type_, data in found:
        found_id = (data or {}).get("incident")
        entry = counts.get(found_id) if isinstance(found_id, int) else None
        if entry is not None:
            entry[type_ == ev.INCIDENT_PRESSED] += 1
    return {key: (heard, pressed) for key, (heard, pressed) in counts.items()}
