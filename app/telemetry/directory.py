"""Where the processes of one host keep their metric files: ``PROMETHEUS_MULTIPROC_DIR``.

Prometheus's client reads the variable when it is first imported, so it is set before any
process of the hotline imports it: ``hotline run`` gives its children ``var/metrics`` (emptied at
each start, so a run counts from zero), and gunicorn started on its own takes
``var/metrics/web-<port>`` (``app/gunicorn_conf.py``). A variable set by the operator is used as it
is and never emptied here: that directory belongs to whoever runs the host (e.g. a tmpfs shared
by the web and the workers of one host, emptied when the host starts).
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path

from app.settings import var_dir

ENV = "PROMETHEUS_MULTIPROC_DIR"


def emptied(path: Path) -> Path:
    """``path`` created (this user's alone) and without the metric files of an earlier run."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    for found in path.glob("*.db"):
        found.unlink(missing_ok=True)
    return path


def claim(env: MutableMapping[str, str], name: str) -> Path | None:
    """Put ``var/metrics/<name>`` (emptied) in ``env`` unless the operator chose a directory;
    the directory claimed, or None when the operator's stays."""
    if env.get(ENV):
        return None
    path = emptied(var_dir() / name)
    env[ENV] = str(path)
    return path


def mark_dead(pid: int) -> None:
    """Drop a dead process's live gauges (its counters keep counting in the sums)."""
    if os.environ.get(ENV):
        from prometheus_client import multiprocess  # only once the directory is known

        multiprocess.mark_process_dead(pid)
