"""Short SMS about an alert besides its pages: it resolved, or nobody acknowledged it (pure).

Each is one ledger row per (alert, what, person), so a job that runs twice texts nobody twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.notify.delivery import SMS, Outgoing
from app.notify.messages import alert_link
from app.schedule.readable import TIME, local_time

RESOLVED_NOTICE, EXHAUSTED_NOTICE = "alert-resolved", "alert-exhausted"  # notification kinds


def resolved_notices(alert: Any, paged: Iterable[str], config: Any) -> list[Outgoing]:
    """To everyone a page of the alert reached: it is over, nothing left to do."""
    at = local_time(alert.resolved_at, config.hotline.timezone, TIME)
    text = f"RESOLVED {alert.severity} from {alert.origin}: {alert.summary} (alert {alert.id}, {at})."
    return _texts(alert.id, "resolved", RESOLVED_NOTICE, paged, config, text)


def exhausted_notices(alert: Any, config: Any, base_url: str | None) -> list[Outgoing]:
    """To the whole chain: every page went unanswered and nobody is paged any more."""
    last = config.people.get(alert.person or "")
    text = (f"ALERT {alert.severity} from {alert.origin}: {alert.summary}. Nobody acknowledged; "
            f"last paged {last.name if last else alert.person}, paging stopped. "
            f"Acknowledge: {alert_link(base_url, alert.id)}")
    return _texts(alert.id, "exhausted", EXHAUSTED_NOTICE, alert.chain, config, text)


def _texts(alert_id: int, what: str, kind: str, people: Iterable[str], config: Any,
           text: str) -> list[Outgoing]:
    found = [config.people[pid] for pid in dict.fromkeys(people) if pid in config.people]
    return [Outgoing(f"alert:{alert_id}:{what}", kind, person.id, SMS, person.phone, text)
            for person in found]
