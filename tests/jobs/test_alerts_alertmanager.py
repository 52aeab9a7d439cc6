"""A real Prometheus Alertmanager (Debian's prometheus-alertmanager) pages through the hotline.

Alertmanager runs on loopback with a route to the hotline's webhook (bearer token through
``http_config.authorization``) and short group timings; the hotline app is served over real
HTTP. Alerts are pushed to Alertmanager's API v2: firing, a second alert joining the group,
the engineer's "1" on the call (the simulator, over HTTP), then resolved.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from app.alerts.store import get_alert
from app.config import HotlineConfig
from app.devtools.simulator import CallerScript, HttpTransport, Simulator
from app.eventlog.port import MemorySink
from app.notify.queueing import NOTIFY_QUEUE
from app.services import provide
from app.settings import Settings
from app.storage import dispose_engines, get_engine, upgrade
from app.storage.overrides import OverrideCache
from app.web import create_app
from tests.support.constants import ACCOUNT_SID, AUTH_TOKEN, DANA, HOTLINE, NOW
from tests.support.fake_twilio_api import FakeTwilioApi
from tests.support.notify import services, work
from tests.support.ports import free_port

TOKEN = "am-bearer-token"
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
DISK = {"alertname": "DiskFull", "service": "billing", "severity": "critical"}


def alertmanager_binary() -> str:
    found = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    assert found, "Alertmanager is missing: apt-get install prometheus-alertmanager"
    return found


@pytest.fixture
def hotline_url(settings: Settings, config: HotlineConfig, redis_url: str) -> Iterator[str]:
    """The hotline app on a real HTTP server (Alertmanager and the simulator call it)."""
    app = create_app(replace(settings, redis_url=redis_url), config, MemorySink(),
                     clock=lambda: NOW, overrides=OverrideCache(None), TESTING=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def alertmanager(tmp_path: Path, hotline_url: str) -> Iterator[str]:
    port = free_port()
    config = tmp_path / "alertmanager.yml"
    config.write_text(json.dumps({  # YAML is a superset of JSON
        "route": {"receiver": "hotline", "group_by": ["alertname"], "group_wait": "200ms",
                  "group_interval": "1s", "repeat_interval": "1h"},
        "receivers": [{"name": "hotline", "webhook_configs": [{
            "url": f"{hotline_url}/alerts/alertmanager", "send_resolved": True,
            "max_alerts": 50,
            "http_config": {"authorization": {"type": "Bearer", "credentials": TOKEN}},
        }]}],
    }))
    process = subprocess.Popen(
        [alertmanager_binary(), f"--config.file={config}", f"--storage.path={tmp_path / 'am'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=",
         "--log.level=warn"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _ready(url) or process.poll() is not None, 15)
        assert process.poll() is None, process.stderr.read().decode()  # type: ignore[union-attr]
        yield url
    finally:
        process.terminate()
        process.wait(10)
        process.stderr.close()  # type: ignore[union-attr]


def _ready(url: str) -> bool:
    try:
        with NO_PROXY.open(f"{url}/-/ready", timeout=1) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def push(alertmanager: str, *alerts: dict[str, Any]) -> None:
    request = urllib.request.Request(f"{alertmanager}/api/v2/alerts", method="POST",
                                     data=json.dumps(list(alerts)).encode(),
                                     headers={"Content-Type": "application/json"})
    with NO_PROXY.open(request, timeout=5) as answer:
        assert answer.status == 200


def alert(instance: str, summary: str, resolved: bool = False) -> dict[str, Any]:
    now = datetime.now(UTC)
    body: dict[str, Any] = {"labels": {**DISK, "instance": instance},
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


def test_alertmanager_fires_the_engineer_acknowledges_then_it_resolves(
    redis_url: str, hotline_url: str, alertmanager: str, config: HotlineConfig,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ALERTMANAGER_TOKEN", TOKEN)
    db_url = f"sqlite:///{tmp_path / 'hotline.db'}"
    upgrade(db_url)
    queue = Queue(NOTIFY_QUEUE, connection=Redis.from_url(redis_url), serializer=JSONSerializer)

    def received() -> int:
        return sum(1 for job_id in queue.get_job_ids() if job_id.startswith("alert-in-"))

    with FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN) as api, provide(replace(
            services(config, db_url, redis_url, api.url, clock=lambda: NOW),
            public_base_url=hotline_url)):
        push(alertmanager, alert("db1", "Disk almost full on db1"))
        wait_for(received)
        work(redis_url)
        (call,) = api.calls
        assert call["to"] == DANA and call["url"].startswith(f"{hotline_url}/alerts/voice/call?")

        push(alertmanager, alert("db2", "Disk almost full on db2"))  # joins the group
        wait_for(received)
        work(redis_url)
        assert len(api.calls) == 1  # the escalation already runs: no second call

        sim = Simulator(HttpTransport(), AUTH_TOKEN, voice_url=call["url"],
                        status_callback_url=call["status_callback"], account_sid=ACCOUNT_SID,
                        seed=5)
        heard = sim.place_call(HOTLINE, DANA, CallerScript(digits=["1"])).caller_heard
        assert heard == ["Alert from billing: Disk almost full on db1. Press 1 to acknowledge, "
                         "2 to escalate now.", "Acknowledged. Thank you."]
        work(redis_url)

        push(alertmanager, alert("db1", "Disk almost full on db1", resolved=True),
             alert("db2", "Disk almost full on db2", resolved=True))
        wait_for(received)
        work(redis_url)
        assert len(api.calls) == 1
    with Session(get_engine(db_url)) as session:
        found = get_alert(session, 1)
        assert found is not None
        assert (found.status, found.acknowledged_by, found.integration) == (
            "resolved", "dana", "alertmanager")
        assert sorted((m.labels["instance"], m.status) for m in found.members) == [
            ("db1", "resolved"), ("db2", "resolved")]
        assert [e.kind for e in found.log] == [
            "opened", "paged", "joined", "acknowledged", "resolved"]
    dispose_engines()
