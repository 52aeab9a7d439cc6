"""The job functions a worker runs: this package's entry points, and nothing else a job may name.

RQ imports whatever dotted path a job carries, so anyone who can write to Redis could otherwise
have a worker call any importable function (``os.system``). ``ProjectJob`` resolves a job's
function only from this list, through the renamed paths of older versions, and refuses callbacks,
which this project never sets.
"""

from __future__ import annotations

from typing import Any

from rq.job import Job
from rq.utils import import_attribute

from app.jobs.renamed import current_name

JOB_FUNCTIONS = frozenset({
    "app.jobs.events.persist_events",
    "app.jobs.notify.send_notification",
    "app.jobs.notify.notify_call",
    "app.jobs.follow_ups.escalate_follow_up",
    "app.jobs.notify.plan_shift_reminders",
    "app.jobs.notify.remind_shift",
    "app.jobs.notify.notify_takeover",
    "app.jobs.notify.notify_giveback",
    "app.jobs.alerts.ingest_alert",
    "app.jobs.alerts.page_step",
    "app.jobs.alerts.escalate_alert",
    "app.jobs.alerts.acknowledge_alert",
    "app.jobs.alerts.alert_call_status",
    "app.jobs.alerts.answer_sms",
    "app.jobs.alerts.end_alert_calls",
})


NOT_OURS = "not a job of this hotline (only the functions in app/jobs/ run)"


class RefusedJob(Exception):
    """A job names a function that is not one of this hotline's jobs."""


def refusal(job: Job, functions: frozenset[str] = JOB_FUNCTIONS) -> str | None:
    """Why ``job`` must not run, or None when it names one of ``functions`` and no callback."""
    name = job.func_name or ""
    if current_name(name) not in functions:
        return f"refused: {name or 'a job without a function'} is {NOT_OURS}"
    callbacks = (job._success_callback_name, job._failure_callback_name,
                 job._stopped_callback_name)
    callback = next((c for c in callbacks if c), None)
    if callback:
        return f"refused: {callback} is {NOT_OURS} (a callback; this hotline sets none)"
    return None


class ProjectJob(Job):
    """An RQ job that imports only the functions in ``functions``."""

    functions: frozenset[str] = JOB_FUNCTIONS

    def refusal(self) -> str | None:
        """Why this job must not run, or None when it may."""
        return refusal(self, self.functions)

    @property
    def func(self) -> Any:
        self._check()
        return import_attribute(current_name(self.func_name or ""))

    @property
    def success_callback(self) -> None:
        self._check()

    @property
    def failure_callback(self) -> None:
        self._check()

    @property
    def stopped_callback(self) -> None:
        self._check()

    def _check(self) -> None:
        reason = self.refusal()
        if reason:
            raise RefusedJob(reason)
