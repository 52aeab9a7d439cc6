"""Gunicorn settings for the web tier: sync workers, bounded timeouts, access log on stdout."""

from __future__ import annotations

import os
from typing import Any

bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
proc_name = "hotline-web"

# Twilio gives up on a webhook after 15 s; a request still running at 30 s is stuck.
timeout = 30
graceful_timeout = 20
keepalive = 5

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'

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
