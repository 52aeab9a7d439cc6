"""The incoming-message webhook: signed like every webhook, quick, and quiet to strangers.

Every answer is run through the simulator's texter and checked against Twilio's messaging
TwiML definitions (tests/support/plugins/twiml.py); what needs the database is queued.
"""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from flask.testing import FlaskClient
from rq import Queue
from rq.serializers import JSONSerializer

from app.alerts.commands import HELP_TEXT
from app.config import HotlineConfig
from app.devtools.simulator import FlaskClientTransport, Texter, compute_signature
from app.devtools.simulator.signing import SIGNATURE_HEADER
from app.eventlog.port import MemorySink
from app.notify.queueing import NOTIFY_QUEUE
from app.settings import Settings
from app.storage.overrides import OverrideCache
from app.web import create_app
from app.web.sms import NOT_QUEUED
from tests.support.constants import ACCOUNT_SID, AUTH_TOKEN, DANA, HOTLINE, NOW

URL = "http://hotline.test/sms/inbound"
STRANGER = "+4917012345678"
EMPTY = b'<?xml version="1.0" encoding="UTF-8"?><Response></Response>\n'


def texter(client: FlaskClient) -> Texter:
    return Texter(FlaskClientTransport(client), AUTH_TOKEN, URL, ACCOUNT_SID, seed=5)


def test_unsigned_or_wrongly_signed_texts_are_refused(client: FlaskClient) -> None:
    phone = texter(client)
    assert phone.send(DANA, HOTLINE, "1", signed=False).status == 403
    forged = client.post("/sms/inbound", base_url="http://hotline.test",
                         data={"From": DANA, "To": HOTLINE, "Body": "1"},
                         headers={SIGNATURE_HEADER: "bm90IGEgc2lnbmF0dXJl"})
    assert forged.status_code == 403
    elsewhere = Texter(FlaskClientTransport(client), "another-token", URL, ACCOUNT_SID)
    assert elsewhere.send(DANA, HOTLINE, "1").status == 403


@pytest.mark.parametrize("body", ["STOP", "stop", "START", "Help", "INFO", "unsubscribe", "YES"])
def test_twilio_s_keywords_are_left_to_twilio(client: FlaskClient, body: str) -> None:
    reply = texter(client).send(DANA, HOTLINE, body)
    assert (reply.status, reply.messages, reply.problems) == (200, [], [])


def test_a_stranger_gets_nothing_and_is_logged(client: FlaskClient,
                                               caplog: pytest.LogCaptureFixture) -> None:
    reply = texter(client).send(STRANGER, HOTLINE, "1")
    assert (reply.status, reply.messages, reply.problems) == (200, [], [])
    assert f"an SMS from '{STRANGER}', who is not in the configuration" in caplog.text


def test_anything_else_gets_the_help_text_at_once(client: FlaskClient) -> None:
    reply = texter(client).send(DANA, HOTLINE, "what is going on?")
    assert (reply.status, reply.messages, reply.problems) == (200, [HELP_TEXT], [])


@pytest.mark.parametrize("extra", [
    {"Body": "\x00" * 100}, {"Body": "ack" * 20000}, {"Body": "ACK <6> & \"7\""},
    {"Body": "ÄCK ６"}, {"From": ""}, {"From": "anonymous"}, {"From": "client:x"},
    {"From": "+" + "9" * 200}, {"MessageSid": ""}, {"MessageSid": "SM'; DROP TABLE alerts;--"},
    {"To": ""}, {"NumMedia": "-1"},
])
def test_hostile_texts_get_valid_twiml(client: FlaskClient, extra: dict[str, str]) -> None:
    reply = texter(client).send(DANA, HOTLINE, "2", **extra)
    assert reply.status == 200 and reply.problems == []
    assert reply.messages in ([], [HELP_TEXT], [NOT_QUEUED])


def test_with_redis_down_the_sender_is_told_at_once(client: FlaskClient) -> None:
    started = time.perf_counter()
    reply = texter(client).send(DANA, HOTLINE, "ACK 6")
    assert (reply.status, reply.messages, reply.problems) == (200, [NOT_QUEUED], [])
    assert time.perf_counter() - started < 1.5  # one connection attempt, no database at all


def test_a_command_is_queued_once_per_message(settings: Settings, config: HotlineConfig,
                                              redis_url: str) -> None:
    app = create_app(replace(settings, redis_url=redis_url), config, MemorySink(),
                     clock=lambda: NOW, overrides=OverrideCache(None), TESTING=True)
    client = app.test_client()
    phone = texter(client)
    reply = phone.send(DANA, HOTLINE, "ack 6")
    assert (reply.status, reply.messages, reply.problems) == (200, [], [])
    # Twilio retries the same message (same MessageSid): nothing new is queued.
    again = client.post("/sms/inbound", base_url="http://hotline.test", data=reply.params,
                        headers={SIGNATURE_HEADER: signature_of(reply.params)})
    assert again.status_code == 200 and again.data == EMPTY
    queue = Queue(NOTIFY_QUEUE, connection=app.extensions["hotline"].notify_queue.connection,
                  serializer=JSONSerializer)
    (job,) = queue.get_jobs()
    assert (job.func_name, list(job.args)) == (
        "app.jobs.alerts.answer_sms", [DANA, "ack", 6, reply.params["MessageSid"]])


def signature_of(params: dict[str, str]) -> str:
    return compute_signature(AUTH_TOKEN, URL, params)
