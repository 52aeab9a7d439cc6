"""A real Prometheus Alertmanager (Debian's prometheus-alertmanager) pages through the hotline.

Alertmanager runs on loopback with a route to the hotline's webhook (bearer token through
``http_config.authorization``) and short group timings; the hotline app is served over real
HTTP. Alerts are pushed to Alertmanager's API v2: firing, a second alert joining the group,
the engineer's "1" on the call (the simulator, over HTTP), then resolved.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

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
from tests.support.alertmanager import alert, push, running_alertmanager, wait_for
from tests.support.constants import ACCOUNT_SID, AUTH_TOKEN, DANA, HOTLINE, NOW
from tests.support.fake_twilio_api import FakeTwilioApi
from tests.support.notify import services, work

TOKEN = "am-bearer-token"


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
    with running_alertmanager(tmp_path, hotline_url, TOKEN) as url:
        yield url


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated SQLite file, with Alertmanager's bearer token in the environment."""
    monkeypatch.setenv("ALERTMANAGER_TOKEN", TOKEN)
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    upgrade(url)
    yield url
    dispose_engines()


@pytest.fixture
def received(redis_url: str) -> Callable[[], int]:
    """How many alert deliveries the hotline has queued so far."""
    queue = Queue(NOTIFY_QUEUE, connection=Redis.from_url(redis_url), serializer=JSONSerializer)
    return lambda: sum(1 for job_id in queue.get_job_ids() if job_id.startswith("alert-in-"))


def test_alertmanager_fires_the_engineer_acknowledges_then_it_resolves(
    redis_url: str, hotline_url: str, alertmanager: str, config: HotlineConfig,
    db_url: str, received: Callable[[], int],
) -> None:
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


def test_an_alert_with_hotline_message_sets_an_incident_and_resolving_clears_it(
    redis_url: str, hotline_url: str, alertmanager: str, config: HotlineConfig,
    db_url: str, received: Callable[[], int],
) -> None:
    from app.storage.incidents import list_incidents

    message = "The EU cluster is down. We are working on it."
    firing = alert("eu1", "EU cluster down")
    firing["annotations"] |= {"hotline_message": message, "hotline_contracts": "acme",
                              "hotline_press_through": "false"}

    with FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN) as api, provide(replace(
            services(config, db_url, redis_url, api.url, clock=lambda: NOW),
            public_base_url=hotline_url)):
        push(alertmanager, firing)
        wait_for(received)
        work(redis_url)
        with Session(get_engine(db_url)) as session:
            (incident,) = list_incidents(session)
            assert (incident.message, incident.contracts, incident.press_through) == (
                message, ["acme"], False)
            assert incident.created_by == "alertmanager" and incident.cleared_at is None

        resolved = alert("eu1", "EU cluster down", resolved=True)
        resolved["annotations"] = firing["annotations"]
        push(alertmanager, resolved)
        wait_for(received)
        work(redis_url)
    with Session(get_engine(db_url)) as session:
        (incident,) = list_incidents(session)
        assert incident.cleared_at is not None
