"""An alert that is over stops paging: retried pages are dropped, ringing calls are ended, a late
answer hears what happened, and an unanswered call moves on at once.

A real Alertmanager fires and resolves through the hotline served over HTTP; the worker runs
in this process (real Redis) against the local fake of Twilio's REST API; the simulator plays
the engineers' phones, over HTTP, on the URLs the calls were placed with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer
from sqlalchemy.orm import Session

from app.alerts.store import get_alert
from app.config import HotlineConfig
from app.devtools.simulator import CallerScript, CallResult, HttpTransport, Simulator
from app.devtools.simulator.transport import Response
from app.eventlog.port import MemorySink
from app.jobs.alerts import acknowledge_alert
from app.notify.queueing import NOTIFY_QUEUE
from app.services import provide
from app.settings import Settings
from app.storage import dispose_engines, get_engine, upgrade
from app.storage.alerts import Alert
from app.storage.overrides import OverrideCache
from app.web import create_app
from tests.support.admin import served
from tests.support.alertmanager import alert, push, running_alertmanager, wait_for
from tests.support.constants import ACCOUNT_SID, ALICE, AUTH_TOKEN, CAROL, DANA, ERIN, HOTLINE, NOW
from tests.support.fake_twilio_api import FakeTwilioApi
from tests.support.notify import make_due, rows, scheduled, services, work

pytestmark = pytest.mark.twiml_checked  # every document the phones get is valid TwiML

TOKEN = "am-bearer-token"
PROMPT = "Alert from billing: Disk almost full on db1. Press 1 to acknowledge, 2 to escalate now."
ACKED = "This alert was already acknowledged by Alice at 13:00."  # NOW is 13:00 in Berlin


@dataclass
class Stack:
    """Alertmanager, the hotline over HTTP, the worker's services, the fake REST API."""

    alertmanager: str
    base: str
    redis_url: str
    db_url: str
    api: FakeTwilioApi

    def fire(self, resolved: bool = False) -> None:
        """The DiskFull group fires (or resolves) in Alertmanager; the worker takes it."""
        queue = Queue(NOTIFY_QUEUE, connection=Redis.from_url(self.redis_url),
                      serializer=JSONSerializer)
        push(self.alertmanager, alert("db1", "Disk almost full on db1", resolved=resolved))
        wait_for(lambda: any(j.startswith("alert-in-") for j in queue.get_job_ids()))
        work(self.redis_url)

    def work(self) -> None:
        work(self.redis_url)

    def called(self) -> list[str]:
        return [c["to"] for c in self.api.calls]

    def phone(self, number: str, between: Callable[[], None] | None = None,
              twice: bool = False) -> Simulator:
        """Twilio for the last call to ``number``; ``between`` runs before a key reaches us."""
        call = self.api.calls_to(number)[-1]
        return Simulator(Between(between), AUTH_TOKEN, voice_url=call["url"],
                         status_callback_url=call["status_callback"], account_sid=ACCOUNT_SID,
                         duplicate_callbacks=twice, seed=5)

    def answer(self, number: str, digits: str | None,
               between: Callable[[], None] | None = None) -> CallResult:
        self.api.progress(self.api.calls_to(number)[-1]["sid"], "in-progress")
        return self.phone(number, between).place_call(HOTLINE, number, CallerScript(digits=[digits]))

    def ends_unanswered(self, number: str, status: str) -> None:
        """The last call to ``number`` ends ``status`` without being answered, as Twilio says."""
        sid = self.api.calls_to(number)[-1]["sid"]
        self.api.progress(sid, status)
        result = self.phone(number, twice=True).unanswered_call(HOTLINE, number, status, sid)
        assert result.errors == []
        self.work()

    def alert(self) -> Alert:
        with Session(get_engine(self.db_url), expire_on_commit=False) as session:
            found = get_alert(session, 1)
            assert found is not None
            return found


class Between(HttpTransport):
    """HTTP, running ``hook`` once before the first key press is posted (someone else acts
    while the engineer listens to the prompt)."""

    def __init__(self, hook: Callable[[], None] | None) -> None:
        super().__init__()
        self.hook = hook

    def post(self, url: str, params: dict[str, str], headers: dict[str, str]) -> Response:
        if self.hook is not None and "/alerts/voice/key" in url:
            hook, self.hook = self.hook, None
            hook()
        return super().post(url, params, headers)


@pytest.fixture
def stack(tmp_path: Path, settings: Settings, config: HotlineConfig, redis_url: str,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    monkeypatch.setenv("ALERTMANAGER_TOKEN", TOKEN)
    db_url = f"sqlite:///{tmp_path / 'hotline.db'}"
    upgrade(db_url)
    app = create_app(replace(settings, redis_url=redis_url, database_url=db_url), config,
                     MemorySink(), clock=lambda: NOW, overrides=OverrideCache(None), TESTING=True)
    with (contextmanager(served)(app) as base, running_alertmanager(tmp_path, base, TOKEN) as alertmanager,
          FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN) as api,
          provide(replace(services(config, db_url, redis_url, api.url, clock=lambda: NOW),
                          public_base_url=base))):
        yield Stack(alertmanager, base, redis_url, db_url, api)
    dispose_engines()


def ack_by_alice() -> None:
    assert acknowledge_alert(1, "alice", "admin") == "acknowledged"


def test_a_page_retried_after_the_ack_is_dropped_not_placed(stack: Stack) -> None:
    stack.api.fail(DANA, 500, times=2)
    stack.fire()
    make_due(stack.redis_url, "notification-")  # the first retry meets the second 500
    stack.work()
    assert stack.called() == [] and len(stack.api.requests) == 2
    ack_by_alice()  # on the console, while the page waits for its next try
    make_due(stack.redis_url)  # the retry and every timer
    stack.work()
    assert stack.called() == [] and len(stack.api.requests) == 2
    (page,) = rows(stack.db_url)
    assert (page.status, page.attempts, page.error) == (
        "dropped", 3, "the alert was acknowledged by alice")
    log = [(e.kind, e.person, e.detail) for e in stack.alert().log]
    assert log.count(("dropped", "dana", "page by call not sent: the alert was acknowledged "
                      "by alice")) == 1
    assert [k for k, _, _ in log] == ["opened", "paged", "acknowledged", "dropped"]


def test_an_ack_ends_the_call_still_ringing(stack: Stack) -> None:
    stack.fire()
    (dana,) = stack.api.calls
    stack.api.progress(dana["sid"], "ringing")
    ack_by_alice()
    stack.work()
    assert stack.api.updates == [(dana["sid"], "canceled")] and dana["status"] == "canceled"
    stack.ends_unanswered(DANA, "canceled")  # Twilio reports the call it ended
    make_due(stack.redis_url)
    stack.work()
    assert stack.called() == [DANA]
    assert [e.kind for e in stack.alert().log] == ["opened", "paged", "acknowledged", "hung up"]
    assert [(r.status, r.provider_status) for r in rows(stack.db_url)] == [("sent", "canceled")]


def test_a_late_answer_hears_who_acknowledged_instead_of_the_prompt(stack: Stack) -> None:
    stack.fire()
    stack.api.fail(DANA, 500, times=None)  # Twilio cannot end dana's call: it rings on
    ack_by_alice()
    stack.work()
    assert "alert-1-hang-up" in scheduled(stack.redis_url)  # to be tried again
    late = stack.answer(DANA, "1")  # the prompt is never read out, no key is asked for
    assert late.caller_heard == [ACKED] and late.errors == []
    assert stack.api.updates == []


def test_a_key_pressed_after_someone_else_acknowledged_is_told_so(stack: Stack) -> None:
    stack.fire()
    heard = stack.answer(DANA, "1", between=ack_by_alice).caller_heard
    assert heard == [PROMPT, ACKED]
    stack.work()
    assert stack.alert().acknowledged_by == "alice"


def test_resolved_while_the_engineer_listens_2_no_longer_escalates(stack: Stack) -> None:
    stack.fire()
    (dana,) = stack.api.calls
    heard = stack.answer(DANA, "2", between=lambda: stack.fire(resolved=True)).caller_heard
    assert heard == [PROMPT, "This alert has been resolved."]
    # The resolve asked Twilio to end what still rang; an answered call goes on to its end.
    assert stack.api.updates == [(dana["sid"], "canceled")]
    stack.work()
    make_due(stack.redis_url)
    stack.work()
    assert stack.called() == [DANA] and stack.alert().status == "resolved"
    late = stack.answer(DANA, None)  # a second answer of the same page, after the resolve
    assert late.caller_heard == ["This alert has been resolved."]


def test_a_call_nobody_answers_moves_on_at_once_whichever_comes_first(stack: Stack) -> None:
    stack.fire()
    stack.ends_unanswered(DANA, "busy")  # callbacks sent twice, as Twilio may
    assert stack.called() == [DANA, ALICE]  # no timer was made due
    make_due(stack.redis_url, "alert-1-timer-r0s0")  # dana's timer comes late: stale
    stack.work()
    assert stack.called() == [DANA, ALICE]
    make_due(stack.redis_url, "alert-1-timer-r0s1")  # alice's timer first, this time
    stack.work()
    stack.ends_unanswered(ALICE, "no-answer")  # then her no-answer: nothing more
    assert stack.called() == [DANA, ALICE, ERIN]
    stack.ends_unanswered(ERIN, "failed")
    stack.ends_unanswered(CAROL, "canceled")
    assert stack.called() == [DANA, ALICE, ERIN, CAROL, DANA]  # the second round
    escalated = [e.detail for e in stack.alert().log if e.kind == "escalated"]
    assert escalated == [
        "the call to dana: busy; moves on", "nobody acknowledged in time; moves on",
        "the call to erin: failed; moves on", "the call to carol: canceled; moves on"]
