"""The hand-off of call events from the web tier to the workers: RQ jobs, and a spool file."""

from app.eventlog.queueing import PERSIST_JOB, batch_job_id, enqueue_batch
from app.eventlog.sink import EventSink, default_spool_path, replay_spool

__all__ = [
    "PERSIST_JOB",
    "EventSink",
    "batch_job_id",
    "default_spool_path",
    "enqueue_batch",
    "replay_spool",
]
