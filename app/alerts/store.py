"""Alerts in SQL: receive a notification once, move the escalation, acknowledge, list.

At most one alert per sender's group is open (``open_key``, set until it resolves): a repeated
notification, Alertmanager's retries and new alerts joining the group all land on it. Every
change of the escalation is a compare-and-set on (round, step), so of two jobs racing to move
it (a timer and a keypad "2", say) exactly one wins.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Engine, Table, select, update
from sqlalchemy.orm import Session, selectinload

from app.alerts.pages import PAGE
from app.alerts.payloads import Incoming
from app.notify.ledger import insert_for
from app.storage.alerts import (
    ACKNOWLEDGED,
    ACTIVE,
    EXHAUSTED,
    FIRING,
    RESOLVED,
    STOPPED,
    Alert,
    AlertLogEntry,
    AlertMember,
)
from app.storage.db import WRITE_LOCK
from app.storage.notifications import SENT, Notification

ALERTS: Table = Alert.__table__  # type: ignore[assignment]
MEMBERS: Table = AlertMember.__table__  # type: ignore[assignment]
LOG: Table = AlertLogEntry.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Opening:
    """What a new alert starts with: decided by the policy at the moment it opens."""

    severity: str
    channel: str
    policy: str
    chain: tuple[str, ...]
    escalation: str


@dataclass(frozen=True)
class Standing:
    """Where an alert stands: enough to tell a late pager what happened, read in one row."""

    status: str
    round: int
    step: int
    acknowledged_by: str | None
    acknowledged_at: datetime | None

    @property
    def over(self) -> bool:
        """Acknowledged or resolved: nobody needs to be paged for it any more."""
        return self.status != FIRING


@dataclass(frozen=True)
class Received:
    alert_id: int | None
    opened: bool = False
    resolved: bool = False


def dedup_key(integration: str, group_key: str) -> str:
    return f"{integration}:{hashlib.sha256(group_key.encode()).hexdigest()[:40]}"


def receive(engine: Engine, incoming: Incoming, opening: Opening, now: datetime) -> Received:
    """Open, update or resolve the alert ``incoming`` is about (idempotent)."""
    key = dedup_key(incoming.integration, incoming.group_key)
    with engine.execution_options(**{WRITE_LOCK: True}).begin() as conn:
        found = conn.execute(select(ALERTS.c.id, ALERTS.c.escalation)
                             .where(ALERTS.c.open_key == key).with_for_update()).first()
        if incoming.status == RESOLVED:
            if found is None:
                return Received(None)
            _members(conn, found.id, incoming, now)
            conn.execute(update(ALERTS).where(ALERTS.c.id == found.id).values(
                status=RESOLVED, open_key=None, resolved_at=now, updated_at=now,
                next_step_at=None,
                escalation=STOPPED if found.escalation == ACTIVE else found.escalation))
            log(conn, found.id, "resolved", None, "the sender says it is resolved", now)
            return Received(found.id, resolved=True)
        if found is not None:
            if _members(conn, found.id, incoming, now):
                log(conn, found.id, "joined", None, "more alerts joined the group", now)
            return Received(found.id)
        alert_id = _open(conn, key, incoming, opening, now)
        _members(conn, alert_id, incoming, now)
        log(conn, alert_id, "opened", None, f"{opening.severity}, by {opening.channel}", now)
        return Received(alert_id, opened=True)


def _open(conn: Connection, key: str, incoming: Incoming, opening: Opening,
          now: datetime) -> int:
    return int(conn.execute(ALERTS.insert().values(
        integration=incoming.integration, dedup_key=key, open_key=key,
        group_key=incoming.group_key, status=FIRING, severity=opening.severity,
        summary=incoming.summary[:400], origin=incoming.origin[:80], labels=incoming.labels,
        channel=opening.channel, policy=opening.policy, chain=list(opening.chain), round=0,
        step=0, escalation=opening.escalation, opened_at=now, updated_at=now,
    ).returning(ALERTS.c.id)).scalar_one())


def _members(conn: Connection, alert_id: int, incoming: Incoming, now: datetime) -> int:
    """Upsert the group's alerts; returns how many were not known before."""
    known = set(conn.scalars(select(MEMBERS.c.fingerprint).where(MEMBERS.c.alert_id == alert_id)))
    rows = [{"alert_id": alert_id, "fingerprint": m.fingerprint, "status": m.status,
             "labels": m.labels, "annotations": m.annotations, "starts_at": m.starts_at,
             "ends_at": m.ends_at, "updated_at": now} for m in incoming.members]
    if rows:
        stmt = insert_for(conn, MEMBERS)
        conn.execute(stmt.on_conflict_do_update(
            index_elements=["alert_id", "fingerprint"],
            set_={c: stmt.excluded[c] for c in ("status", "labels", "annotations", "starts_at",
                                                "ends_at", "updated_at")}), rows)
    return len({r["fingerprint"] for r in rows} - known) if known else 0


def advance(engine: Engine, alert_id: int, at: tuple[int, int], to: tuple[int, int] | None,
            reason: str, now: datetime) -> bool:
    """Move an active escalation from ``at`` to ``to`` (None: it ran out); False if it moved on."""
    values = ({"round": to[0], "step": to[1]} if to else {"escalation": EXHAUSTED})
    with engine.begin() as conn:
        moved = conn.execute(update(ALERTS).where(
            ALERTS.c.id == alert_id, ALERTS.c.round == at[0], ALERTS.c.step == at[1],
            ALERTS.c.escalation == ACTIVE, ALERTS.c.status == FIRING,
        ).values(next_step_at=None, updated_at=now, **values)).rowcount == 1
        if moved:
            detail = f"{reason}; " + ("moves on" if to else "nobody left to page")
            log(conn, alert_id, "escalated" if to else "exhausted", None, detail, now)
    return moved


def next_step_due(engine: Engine, alert_id: int, at: tuple[int, int], due: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(update(ALERTS).where(ALERTS.c.id == alert_id, ALERTS.c.round == at[0],
                                          ALERTS.c.step == at[1]).values(next_step_at=due))


def acknowledge(session: Session, alert_id: int, by: str, via: str = "admin",
                now: datetime | None = None) -> bool:
    """Stop the escalation of a firing alert; False if it is unknown, acknowledged or resolved.

    Runs in the caller's transaction (the admin page's, the CLI's); the caller commits.
    """
    now = now or datetime.now(UTC)
    result = session.execute(update(Alert).where(Alert.id == alert_id, Alert.status == FIRING)
                             .values(status=ACKNOWLEDGED, acknowledged_at=now,
                                     acknowledged_by=by[:80], updated_at=now, next_step_at=None,
                                     escalation=STOPPED))
    changed = cast(CursorResult[Any], result).rowcount == 1
    if changed:
        log(session.connection(), alert_id, "acknowledged", by[:64], f"by {by} ({via})", now)
    return changed


def note(engine: Engine, alert_id: int, kind: str, person: str | None, detail: str,
         now: datetime) -> None:
    """Add a line to the alert's log in a transaction of its own."""
    with engine.begin() as conn:
        log(conn, alert_id, kind, person, detail, now)


def log(conn: Connection, alert_id: int, kind: str, person: str | None, detail: str,
        now: datetime) -> None:
    conn.execute(LOG.insert().values(alert_id=alert_id, at=now, kind=kind, person=person,
                                     detail=detail[:500]))


def standing(engine: Engine, alert_id: int) -> Standing | None:
    """The alert's status and position, or None if there is no such alert."""
    with engine.connect() as conn:
        row = conn.execute(select(ALERTS.c.status, ALERTS.c.round, ALERTS.c.step,
                                  ALERTS.c.acknowledged_by, ALERTS.c.acknowledged_at)
                           .where(ALERTS.c.id == alert_id)).first()
    return Standing(*row) if row is not None else None


def paged_people(session: Session, alert_id: int) -> list[str]:
    """Who a page of the alert reached (sent by SMS, e-mail or a placed call), first paged first."""
    stmt = (select(Notification.recipient)
            .where(Notification.subject.startswith(f"alert:{alert_id}:r", autoescape=True),
                   Notification.kind == PAGE, Notification.status == SENT)
            .order_by(Notification.id))
    return list(dict.fromkeys(session.scalars(stmt)))


def firing_alerts(session: Session, limit: int = 200) -> list[Alert]:
    """The alerts still firing and not acknowledged, oldest first."""
    stmt = select(Alert).where(Alert.status == FIRING).order_by(Alert.id).limit(limit)
    return list(session.scalars(stmt))


def list_alerts(session: Session, open_only: bool = False, limit: int = 50) -> list[Alert]:
    """The latest alerts first (open ones only with ``open_only``)."""
    stmt = select(Alert).order_by(Alert.opened_at.desc(), Alert.id.desc()).limit(limit)
    if open_only:
        stmt = stmt.where(Alert.status != RESOLVED)
    return list(session.scalars(stmt))


def get_alert(session: Session, alert_id: int) -> Alert | None:
    """One alert with its members and log loaded."""
    stmt = (select(Alert).options(selectinload(Alert.members), selectinload(Alert.log))
            .where(Alert.id == alert_id))
    return session.scalars(stmt).one_or_none()
