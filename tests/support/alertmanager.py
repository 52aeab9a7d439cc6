"""A real Prometheus Alertmanager (Debian's prometheus-alertmanager) routed to the hotline.

``running_alertmanager(folder, hotline_url, token)`` starts it on loopback with a route to the
hotline's webhook (bearer token through ``http_config.authorization``) and short group timings,
grouping by ``alertname``; ``push`` sends alerts to its API v2, ``alert`` makes one.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.support.ports import free_port
from tests.support.processes import NO_PROXY, answers_ok

DISK = {"alertname": "DiskFull", "service": "billing", "severity": "critical"}


def alertmanager_binary() -> str:
    found = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    assert found, "Alertmanager is missing: apt-get install prometheus-alertmanager"
    return found


@contextmanager
def running_alertmanager(folder: Path, hotline_url: str, token: str) -> Iterator[str]:
    """Alertmanager posting to ``hotline_url``/alerts/alertmanager; yields its own URL."""
    port = free_port()
    config = folder / "alertmanager.yml"
    config.write_text(json.dumps({  # YAML is a superset of JSON
        "route": {"receiver": "hotline", "group_by": ["alertname"], "group_wait": "200ms",
                  "group_interval": "1s", "repeat_interval": "1h"},
        "receivers": [{"name": "hotline", "webhook_configs": [{
            "url": f"{hotline_url}/alerts/alertmanager", "send_resolved": True,
            "max_alerts": 50,
            "http_config": {"authorization": {"type": "Bearer", "credentials": token}},
        }]}],
    }))
    process = subprocess.Popen(
        [alertmanager_binary(), f"--config.file={config}", f"--storage.path={folder / 'am'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=",
         "--log.level=warn"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: answers_ok(f"{url}/-/ready") or process.poll() is not None, 15)
        assert process.poll() is None, process.stderr.read().decode()  # type: ignore[union-attr]
        yield url
    finally:
        process.terminate()
        process.wait(10)
        process.stderr.close()  # type: ignore[union-attr]


def push(alertmanager: str, *alerts: dict[str, Any]) -> None:
    request = urllib.request.Request(f"{alertmanager}/api/v2/alerts", method="POST",
                                     data=json.dumps(list(alerts)).encode(),
                                     headers={"Content-Type": "application/json"})
    with NO_PROXY.open(request, timeout=5) as answer:
        assert answer.status == 200


def alert(instance: str, summary: str, resolved: bool = False,
          labels: dict[str, str] = DISK) -> dict[str, Any]:
    """One alert of the DiskFull group (or of ``labels``), firing or resolved."""
    now = datetime.now(UTC)
    body: dict[str, Any] = {"labels": {**labels, "instance": instance},
                            "annotations": {"summary": summary},
                            "startsAt": (now - timedelta(minutes=1)).isoformat()}
    if resolved:
        body["endsAt"] = (now - timedelta(seconds=1)).isoformat()
    return body


def wait_for(condition: Callable[[], object], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
