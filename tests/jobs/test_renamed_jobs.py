"""Jobs queued or scheduled by a version before the layers moved them still run after an upgrade."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from redis import Redis
from rq import Queue
from rq.job import Job
from rq.serializers import JSONSerializer

from app.jobs.events import persist_events
from app.jobs.renamed import current_name, rename_moved_jobs
from app.settings import EVENT_QUEUE, NOTIFY_QUEUE


def test_old_paths_map_to_the_jobs_package_and_others_stay() -> None:
    assert current_name("app.storage.jobs.persist_events") == "app.jobs.events.persist_events"
    assert current_name("app.notify.jobs.remind_shift") == "app.jobs.notify.remind_shift"
    assert current_name("app.alerts.jobs.escalate_alert") == "app.jobs.alerts.escalate_alert"
    assert current_name("app.jobs.notify.notify_call") == "app.jobs.notify.notify_call"


def test_waiting_jobs_get_their_current_paths_and_run(redis_url: str) -> None:
    connection = Redis.from_url(redis_url)
    notify = Queue(NOTIFY_QUEUE, connection=connection, serializer=JSONSerializer)
    events = Queue(EVENT_QUEUE, connection=connection, serializer=JSONSerializer)
    later = datetime.now(UTC) + timedelta(days=3)
    reminder = notify.enqueue_at(later, "app.notify.jobs.remind_shift", "primary",
                                 later.isoformat(), job_id="reminder-old")
    queued = events.enqueue("app.storage.jobs.persist_events", [], job_id="events-old")
    current = notify.enqueue("app.jobs.notify.plan_shift_reminders", job_id="already-new")

    assert rename_moved_jobs(connection, [EVENT_QUEUE, NOTIFY_QUEUE]) == 2

    def fetched(job: Job) -> Job:
        return Job.fetch(job.id, connection=connection, serializer=JSONSerializer)

    assert fetched(reminder).func_name == "app.jobs.notify.remind_shift"
    assert fetched(reminder).args == ["primary", later.isoformat()]
    assert reminder.id in notify.scheduled_job_registry.get_job_ids()
    assert fetched(current).func_name == "app.jobs.notify.plan_shift_reminders"
    assert fetched(queued).func is persist_events  # a worker finds it under its new path
    assert rename_moved_jobs(connection, [EVENT_QUEUE, NOTIFY_QUEUE]) == 0


def test_an_unreadable_job_does_not_stop_the_renaming(redis_url: str) -> None:
    connection = Redis.from_url(redis_url)
    notify = Queue(NOTIFY_QUEUE, connection=connection, serializer=JSONSerializer)
    broken = notify.enqueue("app.notify.jobs.notify_call", "CA1", "ended", job_id="broken")
    connection.hset(broken.key, "data", b"not json, not zlib")
    old = notify.enqueue("app.notify.jobs.notify_call", "CA2", "ended", job_id="readable")
    assert rename_moved_jobs(connection, [NOTIFY_QUEUE]) == 1
    assert Job.fetch(old.id, connection=connection,
                     serializer=JSONSerializer).func_name == "app.jobs.notify.notify_call"
