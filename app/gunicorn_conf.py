"""Gunicorn settings for the web tier: threaded workers, bounded timeouts, access log on stdout."""

from __future__ import annotations

import os
from typing import Any

from app.telemetry.directory import claim as _claim_metrics
from app.telemetry.directory import mark_dead as _mark_dead

# Every interface: a container's or a platform's router reaches it there. `hotline run` passes
# its own --bind (loopback unless told otherwise).
bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# gunicorn's gthread worker, collecting each request in its event loop before a thread takes it:
# a client that sends slowly holds no thread (app/server/worker.py, decision 0010). The pool
# of threads grows only when every thread is busy.
worker_class = "app.server.worker.HeadFirstWorker"
threads = int(os.environ.get("WEB_THREADS", "16"))
proc_name = "hotline-web"

# The worker's main loop must check in within 30 s or the master replaces the worker. The
# console's CSV export keeps to half of it (app/web/admin/export.py reads the same variable).
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
logger_class = "app.server.access_log.RedactingLogger"  # no feed token in the access log

# Off: its default path is one per user, so every gunicorn on the machine would share it.
control_socket_disable = True

# The heartbeat file lives in memory where there is /dev/shm (container disks can stall it).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

_FLUSH_SECONDS = 5.0  # well inside graceful_timeout


def worker_exit(server: Any, worker: Any) -> None:
    """Hand the call-log events still buffered in this worker to Redis (or the spool)."""
    application = getattr(worker, "wsgi", None)  # the Flask app, once the worker loaded it
    runtime = getattr(application, "extensions", {}).get("hotline")
    flush = getattr(getattr(runtime, "sink", None), "flush", None)
    if not callable(flush):
        return  # no app loaded, or a sink that buffers nothing
    try:
        if flush(_FLUSH_SECONDS) is False:
            server.log.warning("event log: events still unsent after %s s", _FLUSH_SECONDS)
    except Exception:
        server.log.exception("flushing the event log on worker exit failed")


def on_starting(server: Any) -> None:
    """In the master, before any worker imports Prometheus's client: where this host's metric
    files go (app/telemetry/directory.py), unless `hotline run` or the operator chose already."""
    bound_to = "-".join(server.cfg.bind).replace(":", "-").replace("/", "-")
    _claim_metrics(os.environ, f"web-{bound_to}")


def child_exit(server: Any, worker: Any) -> None:
    """A worker is gone: its live gauges leave the sums (its counters stay)."""
    _mark_dead(worker.pid)
