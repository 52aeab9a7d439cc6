"""Voicemail, missed-call and missed-ring notifications, from a simulated call to the SMS sent.

End to end (``world``, tests/support/plugins/call_world.py): the simulator calls the app, the
worker stores the events and queues ``notify_call``; its messages reach the local fake of
Twilio's API and a real SMTP server. The "call ended" trigger waits SETTLE seconds and the
voicemail its transcription, as delayed jobs: the tests move them due.
"""

from __future__ import annotations

from datetime import timedelta

from app.calls import events as ev
from app.config import HotlineConfig
from app.config.notifications import NotificationsSection, parse_notifications
from app.devtools.simulator import Answer, CallerScript, NoAnswer
from app.jobs.notify import notify_call
from app.notify.calls import ENDED, VOICEMAIL, plan_call
from tests.support.constants import ACME, ALICE, CAROL, DANA, ERIN, HOTLINE, NOW
from tests.support.notify import BASE_URL, rows, scheduled, text_of
from tests.support.plugins.call_world import World

CHAIN = (DANA, ALICE, ERIN, CAROL)  # at NOW: dana on call, alice next, erin, the CIO carol
WHEN = "Wed 2 Dec 13:00 CET"


def test_a_voicemail_reaches_everyone_whose_phone_rang_by_sms_and_email(world: World) -> None:
    result = world.call(CallerScript(record_seconds=12), {n: NoAnswer() for n in CHAIN})
    assert result.recorded
    world.settle()
    link = f"{BASE_URL}/admin/calls/{result.call_sid}"
    expected = f"Test hotline: voicemail from ACME ({ACME}), {WHEN}, 12 s. You missed its ring. {link}"
    assert [world.texts(n) for n in CHAIN] == [[expected]] * 4  # each of them let it ring
    (recording,) = [r.params["RecordingUrl"] for r in result.requests if "RecordingUrl" in r.params][:1]
    assert all(recording not in m["body"] for m in world.api.messages)
    (to_dana,) = world.mail.to("dana@example.com")
    assert to_dana["Subject"] == f"Voicemail from ACME ({ACME})"
    text = text_of(to_dana)
    assert link in text and recording not in text
    assert len(world.mail.to("alice@example.com")) == 1 and len(world.mail.messages) == 2
    assert {(r.kind, r.status) for r in rows(world.db_url)} == {("voicemail", "sent")}
    world.at = NOW + timedelta(minutes=5)
    assert notify_call(result.call_sid, VOICEMAIL) == "0 to send"  # a repeat sends nothing
    assert len(world.api.messages) == 4
    assert scheduled(world.redis_url) == []  # nobody left to move up to


def test_a_call_nobody_accepted_and_no_voicemail_is_a_missed_call(world: World) -> None:
    result = world.call(CallerScript(hangup_after_seconds=45), {n: NoAnswer() for n in CHAIN})
    assert not result.recorded
    world.settle()
    link = f"{BASE_URL}/admin/calls/{result.call_sid}"
    missed = f"Test hotline: missed call from ACME ({ACME}), {WHEN}. Nobody accepted it."
    rang_out = f"{missed} You missed its ring. {link}"  # dana's phone rang out; alice's was
    # cut; erin's and the CIO's phones never rang: they hear only if nobody handles it.
    assert [world.texts(n) for n in CHAIN] == [[rang_out], [f"{missed} {link}"], [], []]
    assert [m["Subject"] for m in world.mail.messages] == [f"Missed call from ACME ({ACME})"] * 2


def test_who_let_it_ring_hears_about_it_when_someone_else_took_the_call(world: World) -> None:
    world.call(CallerScript(), {DANA: NoAnswer(), ALICE: Answer(press=None),
                                ERIN: Answer(press="1", talk_seconds=30)})
    world.settle()
    assert [len(world.texts(n)) for n in CHAIN] == [1, 1, 0, 0]
    assert world.texts(DANA)[0].startswith(
        f"Test hotline: you missed a ring from ACME ({ACME}), {WHEN}. Erin took the call.")
    assert world.mail.messages == []  # SMS only


def test_notifications_can_be_switched_off(config: HotlineConfig) -> None:
    events = [
        ev.make_event(ev.CALL_STARTED, "CA1", "started", {"from": ACME, "to": HOTLINE, "caller": ACME}, NOW),
        ev.make_event(ev.CHAIN_CHOSEN, "CA1", "chain", {"chain": ["dana"]}, NOW),
        ev.make_event(ev.CALL_ENDED, "CA1", "ended", {"call_status": "completed"}, NOW),
    ]
    assert len(plan_call(events, config, NotificationsSection(), ENDED, None)) == 1
    off = parse_notifications({"missed_calls": False})
    assert plan_call(events, config, off, ENDED, None) == []


def test_a_voicemail_with_a_transcription_and_without_a_chain(config: HotlineConfig) -> None:
    """Nobody was rung (the PIN was not recognised): the line's on-call person hears at once."""
    events = [
        ev.make_event(ev.CALL_STARTED, "CA2", "started", {"from": "+12125550147", "to": HOTLINE,
                                                          "caller": "+12125550147", "line": ""}, NOW),
        ev.make_event(ev.CALL_IDENTIFIED, "CA2", "identified", {"contract": "globex",
                                                                "contract_name": "Globex"}, NOW),
        ev.make_event(ev.VOICEMAIL_RECORDED, "CA2", "voicemail:recorded", {
            "recording_sid": "RE1", "recording_url": "https://api.twilio.com/x/RE1", "duration": 9,
            "transcription_text": "Our   shop is\ndown, please call back."}, NOW),
    ]
    planned = plan_call(events, config, NotificationsSection(), VOICEMAIL, None)
    assert [(p.recipient, p.channel) for p in planned] == [("dana", "sms")]
    assert planned[0].body == (
        f'Test hotline: voicemail from Globex (+12125550147), {WHEN}, 9 s. "Our shop is down, '
        'please call back." hotline calls --sid CA2')
    assert all("api.twilio.com" not in p.body for p in planned)
