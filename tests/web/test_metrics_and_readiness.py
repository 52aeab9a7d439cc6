"""/metrics behind its token, with the series the web tier counts and those read at scrape time;
/readyz with Redis running, stopped and hung, the database unreachable, the file refused and the
call log behind. Real Redis, real SQLite; the signed webhooks come from the simulator."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from app.calls import events as ev
from app.config import HotlineConfig
from app.devtools.simulator import FlaskClientTransport, NoAnswer, Simulator
from app.eventlog.port import MemorySink
from app.eventlog.queueing import connect, enqueue_batch, event_queue
from app.settings import EVENT_QUEUE, Settings
from app.storage.overrides import OverrideCache
from app.web import create_app
from tests.support.constants import ACCOUNT_SID, ACME, AUTH_TOKEN, HOTLINE, NOW
from tests.support.ports import free_port
from tests.support.redis import RedisServer

TOKEN = "scrape-token-0123456789"
AppFor = Callable[..., Flask]


@pytest.fixture
def app_for(settings: Settings, config: HotlineConfig, redis_url: str) -> AppFor:
    def build(clock: datetime = NOW, **changes: object) -> Flask:
        changed = dataclasses.replace(settings, redis_url=redis_url, metrics_token=TOKEN,
                                      **changes)  # type: ignore[arg-type]
        return create_app(changed, config, MemorySink(), clock=lambda: clock,
                          overrides=OverrideCache(None), TESTING=True)
    return build


def scrape(client: FlaskClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for s in family.samples}


def counted(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_need_their_token(client: FlaskClient, app_for: AppFor) -> None:
    assert client.get("/metrics").status_code == 404  # METRICS_TOKEN unset: no metrics
    guarded = app_for().test_client()
    assert guarded.get("/metrics").status_code == 401
    wrong = guarded.get("/metrics", headers={"Authorization": "Bearer wrong"})
    assert wrong.status_code == 401 and b"hotline" not in wrong.data


def test_webhooks_are_timed_by_endpoint_and_forgeries_counted(app_for: AppFor) -> None:
    client = app_for().test_client()
    before = counted("hotline_webhook_duration_seconds_count", endpoint="voice.dial_result")
    rejected = counted("hotline_signature_rejections_total", blueprint="voice")
    sim = Simulator(FlaskClientTransport(client), AUTH_TOKEN, voice_url="http://hotline.test/voice",
                    status_callback_url="http://hotline.test/voice/status",
                    account_sid=ACCOUNT_SID, clock_start=NOW, seed=7)
    result = sim.place_call(ACME, HOTLINE, phones={})  # nobody answers: the whole chain rings
    assert client.post("/voice", data={"CallSid": "CA1"}).status_code == 403
    dialled = len(result.requests_to("/voice/dial-result"))
    samples = scrape(client)
    key = ("hotline_webhook_duration_seconds_count", (("endpoint", "voice.dial_result"),))
    assert dialled >= 3 and samples[key] - before == dialled
    assert counted("hotline_signature_rejections_total", blueprint="voice") - rejected == 1
    assert samples[("hotline_config_applied", ())] == 1
    # NOW is a Wednesday noon: the primary rotation is covered all week; the night rotation
    # (18:00 to 08:00) is not a policy's main rotation.
    assert samples[("hotline_oncall_gap_seconds", (("policy", "default"), ("rotation", "primary")))] \
        == samples[("hotline_oncall_horizon_seconds", ())]


def test_a_rotation_not_started_yet_is_a_gap_now(app_for: AppFor) -> None:
    samples = scrape(app_for(clock=datetime.fromisoformat("2026-01-01T12:00:00+00:00")).test_client())
    assert samples[("hotline_oncall_gap_seconds", (("policy", "default"), ("rotation", "primary")))] == 0


def test_ready_with_redis_and_the_database(app_for: AppFor) -> None:
    response = app_for().test_client().get("/readyz")
    assert response.status_code == 200
    report = response.json
    assert report == {"ready": True, "redis": "ok", "database": "ok",
                      "configuration": {"applied": True, "version": report["configuration"]["version"]},
                      "log_lag": {"seconds": 0.0, "threshold": 300.0, "ok": True}}


def test_redis_stopped_or_hung_means_spooling_and_still_ready(app_for: AppFor,
                                                              redis_server: RedisServer) -> None:
    client = app_for().test_client()
    redis_server.pause()  # a hung server: connections time out
    started = time.monotonic()
    hung = client.get("/readyz")
    assert time.monotonic() - started < 2.5
    assert (hung.status_code, hung.json["redis"]) == (200, "spooling")
    redis_server.resume()
    redis_server.stop()
    stopped = client.get("/readyz")
    assert (stopped.status_code, stopped.json["redis"]) == (200, "spooling")
    assert scrape(client)[("hotline_redis_up", ())] == 0


def test_an_unreachable_database_is_not_ready(app_for: AppFor) -> None:
    url = f"postgresql://hotline:secret@127.0.0.1:{free_port()}/hotline"  # nobody listens
    response = app_for(database_url=url).test_client().get("/readyz")
    assert (response.status_code, response.json["database"]) == (503, "unreachable")
    assert "secret" not in response.get_data(as_text=True)


def test_a_refused_file_is_not_ready(app_for: AppFor) -> None:
    app = app_for()
    app.extensions["hotline"].config_errors = ["contracts.acme.pin: too short"]
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and response.json["configuration"]["applied"] is False
    assert "acme" not in response.get_data(as_text=True)  # the errors stay in the log
    assert scrape(app.test_client())[("hotline_config_applied", ())] == 0


def test_a_log_behind_its_threshold_is_not_ready(app_for: AppFor, redis_url: str) -> None:
    old = NOW - timedelta(minutes=10)
    waiting = [ev.make_event(ev.CALL_STARTED, "CAlagging", "started", {"line": ""}, old)]
    enqueue_batch(event_queue(connect(redis_url), EVENT_QUEUE), waiting)  # no worker runs
    client = app_for().test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["log_lag"] == {"seconds": 600.0, "threshold": 300.0, "ok": False}
    samples = scrape(client)
    assert samples[("hotline_log_lag_seconds", ())] == 600.0
    assert samples[("hotline_queue_jobs", (("queue", EVENT_QUEUE), ("state", "queued")))] == 1
    assert app_for(ready_log_lag_seconds=900.0).test_client().get("/readyz").status_code == 200


def test_the_safe_path_is_counted(app_for: AppFor) -> None:
    app = app_for()

    def broken() -> datetime:
        raise RuntimeError("the clock broke")

    app.extensions["hotline"].clock = broken
    before = counted("hotline_safe_answers_total", reason="error")
    sim = Simulator(FlaskClientTransport(app.test_client()), AUTH_TOKEN,
                    voice_url="http://hotline.test/voice",
                    status_callback_url="http://hotline.test/voice/status",
                    account_sid=ACCOUNT_SID, clock_start=NOW, seed=7)
    sim.place_call(ACME, HOTLINE, phones={n: NoAnswer() for n in ("+4915155500009",)})
    assert counted("hotline_safe_answers_total", reason="error") - before >= 1
