"""One alert's page, where the link in its SMS and e-mail leads: what fired, who was paged when,
by what channel and with what outcome, where it stands, and the Acknowledge button."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask import abort, render_template

from app.alerts.pages import PAGE, escalation_text
from app.alerts.store import get_alert
from app.notify.ledger import about
from app.storage.alerts import Alert
from app.storage.notifications import DROPPED, FAILED, PENDING, SENT, SKIPPED, Notification
from app.web.admin.auth import engineers_may_open
from app.web.admin.web import bp, db, runtime


@dataclass(frozen=True)
class Moment:
    """One line of an alert's timeline."""

    at: datetime
    what: str
    who: str | None
    channel: str
    outcome: str
    order: tuple[int, int]  # log lines before pages of the same instant, each in its own order


@bp.get("/alerts/<int:alert_id>")
@engineers_may_open
def alert_page(alert_id: int) -> str:
    alert = get_alert(db(), alert_id)
    if alert is None:
        abort(404)
    config = runtime().config
    names = [config.people[p].name if p in config.people else p for p in alert.chain]
    return render_template("admin/alert.html", alert=alert, chain=names,
                           state=escalation_text(alert, config),
                           timeline=timeline(alert, about(db(), f"alert:{alert_id}:")))


def timeline(alert: Alert, pages: Iterable[Notification]) -> list[Moment]:
    """The alert's log and its pages, oldest first; a page stands for its "paged" log line."""
    lines = [Moment(e.at, e.kind, e.person, "", e.detail, (0, e.id))
             for e in alert.log if e.kind != "paged"]
    lines += [Moment(p.created_at, _what(p), p.recipient, p.channel, outcome(p), (1, p.id))
              for p in pages]
    return sorted(lines, key=lambda m: (m.at, m.order))


def outcome(page: Notification) -> str:
    """What became of one page, in a few words."""
    if page.status == SENT:
        return f"sent, {page.provider_status}" if page.provider_status else "sent"
    if page.status in (FAILED, DROPPED, SKIPPED):
        label = "not sent" if page.status == DROPPED else page.status
        return f"{label}: {page.error}" if page.error else label
    if page.status == PENDING and page.error:
        return f"to be retried ({page.error})"
    return page.status


def _what(page: Notification) -> str:
    what = page.subject.rpartition(":")[2]  # r0s1 for a page, else what the message is about
    round_, _, step = what[1:].partition("s")
    if page.kind != PAGE or not (what.startswith("r") and round_.isdigit() and step.isdigit()):
        return what
    return f"paged (step {int(step) + 1}, round {int(round_) + 1})"
