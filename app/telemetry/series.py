"""The series every process counts (web workers, RQ workers), in Prometheus's client.

With ``PROMETHEUS_MULTIPROC_DIR`` set before this module is first imported, each process writes
its values to its own memory-mapped file in that directory (a local file: counting waits on
nothing), and ``/metrics`` adds up the files of every process on the host
(``app/telemetry/directory.py``). Without it the values live in the process: fine for a single
process and for tests. Series worked out at scrape time (queue depth, log lag, coverage) are in
``app/web/scrape.py``.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# A webhook answers in a few ms; Twilio gives up after 15 s.
WEBHOOK_BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0)

CALLS = Counter(
    "hotline_calls", "Calls by outcome, line and tier, counted when the call's end is stored.",
    ["outcome", "line", "tier"])
DIAL_ATTEMPTS = Counter(
    "hotline_dial_attempts", "Dial attempts by outcome, counted when their result is stored.",
    ["outcome"])
WEBHOOK_SECONDS = Histogram(
    "hotline_webhook_duration_seconds", "Time the app took to answer a webhook, by endpoint.",
    ["endpoint"], buckets=WEBHOOK_BUCKETS)
WEBHOOK_RESPONSES = Counter(
    "hotline_webhook_responses", "Webhook answers by endpoint and status class (2xx, 4xx, 5xx).",
    ["endpoint", "code"])
SIGNATURE_REJECTIONS = Counter(
    "hotline_signature_rejections", "Webhooks refused for a missing or wrong X-Twilio-Signature.",
    ["blueprint"])
SAFE_ANSWERS = Counter(
    "hotline_safe_answers", "Answers from the safe path (our code failed, or no sealed state).",
    ["reason"])
EVENT_BATCHES = Counter(
    "hotline_eventlog_batches", "Batches of call events handed off, by where they went.", ["to"])
EVENTS_HANDED = Counter(
    "hotline_eventlog_events", "Call events handed off, by where they went.", ["to"])
EVENT_REDIS_FAILURES = Counter(
    "hotline_eventlog_redis_failures", "Times the hand-off found Redis unreachable.")
EVENTS_REPLAYED = Counter(
    "hotline_eventlog_replayed_events", "Spooled call events queued again once Redis answered.")
EVENTS_BUFFERED = Gauge(
    "hotline_eventlog_buffered_events", "Call events in web processes' memory, not handed off yet.",
    multiprocess_mode="livesum")
JOBS = Counter(
    "hotline_jobs", "RQ jobs by queue and result (done, retried, failed).", ["queue", "result"])
NOTIFICATIONS = Counter(
    "hotline_notifications", "Notifications by channel and result (sent, retried, failed, skipped).",
    ["channel", "result"])
ALERT_ESCALATIONS = Counter(
    "hotline_alert_escalations", "Alert escalations to the next step (next) or past the last (exhausted).",
    ["result"])


def handed_off(to: str, events: int) -> None:
    """A batch of ``events`` call events went to ``to`` (redis, database, spool)."""
    EVENT_BATCHES.labels(to).inc()
    EVENTS_HANDED.labels(to).inc(events)
