"""Queueing the jobs that tell people about a takeover, or that it was undone."""

from __future__ import annotations

import logging
from dataclasses import replace

from flask import flash

from app.eventlog.queueing import REDIS_DOWN
from app.notify.queueing import enqueue
from app.notify.takeovers import Takeover
from app.storage.models import OverrideRow
from app.web.admin.web import runtime

log = logging.getLogger(__name__)


def as_takeover(row: OverrideRow) -> Takeover:
    return Takeover(row.id, row.rotation_id or "", row.person, row.start_at, row.end_at,
                    row.created_at)


def _tell(func: str, takeover: Takeover, by_id: bool = False) -> None:
    """Queue the job that notifies; a queue that cannot be reached is said, not hidden."""
    args = (takeover.id, takeover.key) if by_id else (takeover.as_args(),)
    try:
        enqueue(runtime().notify_queue, func, *args,
                job_id=f"{func.rpartition('.')[2]}-{takeover.key}")
    except REDIS_DOWN as error:
        log.error("takeover %s: notifications not queued (%s)", takeover.key, error)
        flash("The SMS and e-mails could not be queued: tell your colleague yourself.")


def given_back(row: OverrideRow) -> None:
    """After an engineer deleted their own takeover: tell whoever is on call again, from now."""
    moment = runtime().clock()
    if row.rotation_id and row.end_at > moment:
        _tell("app.jobs.notify.notify_giveback",
              replace(as_takeover(row), start=max(row.start_at, moment)))


def taken_over(row: OverrideRow) -> None:
    """After an engineer took a shift over: tell the colleague and the admins."""
    _tell("app.jobs.notify.notify_takeover", as_takeover(row), by_id=True)
