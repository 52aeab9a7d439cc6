"""A real Prometheus (Debian's ``prometheus``) scraping the hotline with the shipped rules.

``running_prometheus(folder, target, token)`` starts it on loopback with a generated
configuration: job "hotline" scraping ``target`` (host:port) every second with the bearer token,
the rules of deploy/prometheus evaluated every second. ``firing(url)`` reads its firing alerts
from /api/v1/alerts; ``promtool()`` finds the rule checker.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support.constants import REPO
from tests.support.ports import free_port
from tests.support.processes import NO_PROXY, answers_ok
from tests.support.waiting import wait_until

RULES = REPO / "deploy" / "prometheus" / "hotline-rules.yml"
RULE_TESTS = REPO / "deploy" / "prometheus" / "hotline-rules.test.yml"


def binary(name: str) -> str:
    found = shutil.which(name)
    assert found, f"{name} is missing: apt-get install prometheus"
    return found


def promtool() -> str:
    return binary("promtool")


@contextmanager
def running_prometheus(folder: Path, target: str, token: str) -> Iterator[str]:
    """Prometheus scraping ``target``'s /metrics; yields its own URL."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = folder / "prometheus.yml"
    config.write_text(json.dumps({  # YAML is a superset of JSON
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(RULES)],
        "scrape_configs": [{"job_name": "hotline", "static_configs": [{"targets": [target]}],
                            "authorization": {"type": "Bearer", "credentials": token}}],
    }))
    log = (folder / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [binary("prometheus"), f"--config.file={config}", f"--storage.tsdb.path={folder / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: answers_ok(f"{url}/-/ready") or process.poll() is not None, 20,
                   "Prometheus to start")
        assert process.poll() is None, (folder / "prometheus.log").read_text()
        yield url
    finally:
        process.terminate()
        process.wait(10)
        log.close()


def api(url: str, path: str) -> Any:
    with NO_PROXY.open(f"{url}{path}", timeout=5) as response:
        return json.load(response)["data"]


def firing(url: str) -> list[dict[str, Any]]:
    """The alerts Prometheus holds as firing right now."""
    return [a for a in api(url, "/api/v1/alerts")["alerts"] if a["state"] == "firing"]
