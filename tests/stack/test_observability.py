"""Operating the real stack: /metrics added up over every process of the host, JSON log lines
with their CallSid and job id and without a secret, and a real Prometheus firing a shipped rule.

gunicorn (2 workers) and a log worker share one PROMETHEUS_MULTIPROC_DIR, as the README tells
an operator to; the configuration's main rotation starts tomorrow, so nobody is on call now.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from app.devtools.simulator import CallerScript, HttpTransport, NoAnswer, Simulator
from app.storage import dispose_engines, get_engine, upgrade
from app.storage.models import Call
from tests.support.constants import ACME, AUTH_TOKEN, HOTLINE, TEST_CONFIG
from tests.support.processes import NO_PROXY, Stack
from tests.support.prometheus import firing, running_prometheus
from tests.support.redis import RedisServer, running
from tests.support.waiting import wait_until

pytestmark = pytest.mark.stack
METRICS_TOKEN = "metrics-token-7f3a9c1e5b"
ALERTMANAGER_TOKEN = "alertmanager-token-93be61"
SECRET_KEY = "stack-secret-key-4d2e8f"
PHONES = [f"+491515550000{n}" for n in (1, 2, 3, 4, 9)]
CALLS = 4


def config_with_a_gap(folder: Path) -> Path:
    """The test configuration with the main rotation starting tomorrow."""
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    text = TEST_CONFIG.read_text().replace("start = 2026-01-05", f"start = {tomorrow}", 1)
    path = folder / "hotline.toml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("observed")
    url = f"sqlite:///{folder / 'log.db'}"
    upgrade(url)
    dispose_engines()
    metrics_dir = folder / "metrics"
    metrics_dir.mkdir()
    with running(RedisServer(folder / "redis")) as redis, \
            Stack(folder, url, redis.url, config_path=config_with_a_gap(folder)) as stack:
        stack.env.update(METRICS_TOKEN=METRICS_TOKEN, LOG_FORMAT="json", SECRET_KEY=SECRET_KEY,
                         ALERTMANAGER_TOKEN=ALERTMANAGER_TOKEN,
                         PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
        stack.start(workers=1)
        sim = Simulator(HttpTransport(timeout=5), AUTH_TOKEN, voice_url=f"{stack.base_url}/voice",
                        status_callback_url=f"{stack.base_url}/voice/status")
        results = [sim.place_call(ACME, HOTLINE, CallerScript(record_seconds=5),
                                  {n: NoAnswer() for n in PHONES}) for _ in range(CALLS)]
        assert all(r.errors == [] for r in results)
        forged = urllib.request.Request(f"{stack.base_url}/voice", data=b"CallSid=CAforged",
                                        headers={"X-Twilio-Signature": "forged"})
        with pytest.raises(urllib.error.HTTPError):
            NO_PROXY.open(forged, timeout=5)
        yield {"stack": stack, "redis": redis, "results": results, "url": url}


def scrape(stack: Stack, token: str = METRICS_TOKEN) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    request = urllib.request.Request(f"{stack.base_url}/metrics",
                                     headers={"Authorization": f"Bearer {token}"})
    with NO_PROXY.open(request, timeout=5) as response:
        text = response.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def total(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str,
          **labels: str) -> float:
    return sum(value for (found, pairs), value in samples.items()
               if found == name and set(labels.items()) <= set(pairs))


def logged_outcomes(url: str) -> dict[str, float]:
    """How many calls of the stored call log ended with each outcome."""
    with get_engine(url).connect() as conn:
        rows = conn.execute(select(Call.outcome, func.count()).group_by(Call.outcome)).all()
    return {str(outcome): float(count) for outcome, count in rows}


def json_lines(path: Path) -> list[dict[str, Any]]:
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"not a JSON line: {line!r}") from None
    return parsed


def test_metrics_add_up_every_process_of_the_host(observed: dict[str, Any]) -> None:
    stack: Stack = observed["stack"]
    with pytest.raises(urllib.error.HTTPError) as refused:
        scrape(stack, token="wrong")
    assert refused.value.code == 401

    def stored() -> dict[Any, float] | None:
        samples = scrape(stack)
        return samples if total(samples, "hotline_calls_total") == CALLS else None

    samples = wait_until(stored, 60, "the counts of the calls, settled a while after their end")
    # Each call is counted once, with its log's final outcome, whichever worker stored its
    # recording and its end first.
    assert total(samples, "hotline_calls_total", outcome="voicemail", line="default",
                 tier="24/7") == CALLS
    assert {outcome: total(samples, "hotline_calls_total", outcome=outcome)
            for outcome in logged_outcomes(observed["url"])} == logged_outcomes(observed["url"])
    assert total(samples, "hotline_dial_attempts_total", outcome="no-answer") >= CALLS
    assert total(samples, "hotline_jobs_total", queue="hotline-events", result="done") >= 1
    assert total(samples, "hotline_signature_rejections_total", blueprint="voice") == 1
    assert total(samples, "hotline_oncall_gap_seconds", policy="default") == 0
    assert total(samples, "hotline_config_applied") == 1
    assert total(samples, "hotline_redis_up") == 1
    assert total(samples, "hotline_webhook_responses_total", endpoint="voice.incoming",
                 code="4xx") == 1  # the forged request
    # Each scrape is served by either web worker: every one sees both workers' webhooks.
    requests = sum(len(r.requests_to("/voice")) for r in observed["results"]) + 1
    for _ in range(6):
        assert total(scrape(stack), "hotline_webhook_duration_seconds_count",
                     endpoint="voice.incoming") == requests


def test_log_lines_are_json_with_call_and_job_and_no_secret(observed: dict[str, Any]) -> None:
    stack: Stack = observed["stack"]
    assert stack.web is not None
    web = json_lines(stack.web.log_path)
    webhooks = [line for line in web if line.get("logger") == "app.webhooks"]
    assert {line["endpoint"] for line in webhooks} >= {"voice.incoming", "voice.dial_result"}
    assert all(line["call_sid"].startswith("CA") and line["latency_ms"] >= 0
               for line in webhooks if line["status"] == 200)
    assert any(line.get("step") == 1 for line in webhooks if line["endpoint"] == "voice.dial_result")
    sids = {r.call_sid for r in observed["results"]}
    assert {line.get("call_sid") for line in webhooks} >= sids
    worker = json_lines(stack.workers[0].log_path)
    assert any(line.get("job_id", "").startswith("events-") for line in worker)
    assert any(line.get("call_sid") in sids and line.get("job_id") for line in worker)
    everything = "".join(p.read_text() for p in stack.workdir.glob("*.log"))
    for secret in (AUTH_TOKEN, SECRET_KEY, METRICS_TOKEN, ALERTMANAGER_TOKEN,
                   observed["redis"].password):
        assert secret not in everything


def test_a_real_prometheus_fires_a_shipped_rule(observed: dict[str, Any], tmp_path: Path) -> None:
    stack: Stack = observed["stack"]
    with running_prometheus(tmp_path, f"127.0.0.1:{stack.port}", METRICS_TOKEN) as prometheus:
        def nobody_on_call() -> list[dict[str, Any]]:
            return [a for a in firing(prometheus) if a["labels"]["alertname"] == "HotlineNobodyOnCallSoon"]

        alerts = wait_until(nobody_on_call, 20, "HotlineNobodyOnCallSoon to fire", every=0.5)
    assert {(a["labels"]["policy"], a["labels"]["rotation"]) for a in alerts} >= {("default", "primary")}
    assert all(a["labels"]["severity"] == "warning" for a in alerts)
