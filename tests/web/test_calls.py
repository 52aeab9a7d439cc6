"""Whole calls through the simulator: what the caller and the engineers hear, and what is logged."""

from __future__ import annotations

from app.calls import events as ev
from app.calls.ledger import summarise
from app.devtools.simulator import Answer, Busy, CallerScript, Failed, NoAnswer
from app.devtools.simulator import events as sim_events
from app.eventlog.port import MemorySink
from tests.support.constants import ACME, ALICE, CAROL, DANA, ERIN, HOTLINE

GREETING = "Hello ACME. Connecting you to our on-call engineer."
SCREEN = "Hotline call from ACME, 24/7 contract. Press 1 to accept."


def types(sink: MemorySink) -> list[str]:
    return [e["type"] for e in sink.events]


def attempt_statuses(sink: MemorySink) -> list[tuple[str | None, str]]:
    return [(a.person, a.status) for a in summarise(sink.events).attempts]


def test_first_engineer_accepts(sim, sink) -> None:  # type: ignore[no-untyped-def]
    result = sim.place_call(ACME, HOTLINE, phones={DANA: Answer(press="1", talk_seconds=90)})

    assert result.errors == []
    assert result.caller_heard == [GREETING]
    assert result.dialed == [DANA]
    assert result.heard_by[DANA] == [SCREEN, "Connecting you now."]
    assert result.connected_to == DANA
    first_ring = next(e.at for e in result.events if e.kind == sim_events.RINGS)
    assert first_ring <= 4.5, "an identified caller hears at most about 4 s before the first ring"
    assert not [e for e in result.events if e.who == "caller" and e.kind == sim_events.PRESSES]

    summary = summarise(sink.events)
    assert summary.outcome == ev.OUTCOME_CONNECTED
    assert summary.contract == "acme" and summary.identified_by == "caller_id"
    assert summary.answered_by == "dana"
    assert [(a.person, a.status, a.accept_key, a.talk_seconds) for a in summary.attempts] == [
        ("dana", "connected", "1", 90)
    ]
    identified = sink.of_type(ev.CHAIN_CHOSEN)[0]["data"]
    assert identified["chain"] == ["dana", "alice", "erin", "carol"]


def test_no_answer_busy_voicemail_box_then_cio_accepts(sim, sink) -> None:  # type: ignore[no-untyped-def]
    phones = {DANA: NoAnswer(), ALICE: Busy(), ERIN: Answer(press=None), CAROL: Answer(press="1")}
    result = sim.place_call(ACME, HOTLINE, phones=phones)

    assert result.errors == []
    assert result.dialed == [DANA, ALICE, ERIN, CAROL]
    assert [(r.number, r.status, r.bridged) for r in result.dial_results] == [
        (DANA, "no-answer", False), (ALICE, "busy", False),
        (ERIN, "no-answer", False), (CAROL, "completed", True),
    ]
    assert result.heard_by[ERIN] == [SCREEN, "No key pressed. Goodbye."]
    assert result.connected_to == CAROL
    hold = "Please hold on, we are trying the next engineer."
    assert result.caller_heard == [GREETING, hold, hold, hold]
    assert attempt_statuses(sink) == [
        ("dana", "no-answer"), ("alice", "busy"), ("erin", "not-accepted"), ("carol", "connected"),
    ]
    assert summarise(sink.events).outcome == ev.OUTCOME_CONNECTED


def test_everybody_misses_and_the_voicemail_is_recorded(sim, sink) -> None:  # type: ignore[no-untyped-def]
    phones = {DANA: NoAnswer(), ALICE: Failed(), ERIN: Answer(press="2"), CAROL: NoAnswer()}
    result = sim.place_call(ACME, HOTLINE, CallerScript(record_seconds=25, record_key="#"), phones)

    assert result.errors == []
    assert result.recorded
    assert result.caller_heard[-2].startswith("We are sorry, no engineer could take your call")
    assert result.caller_heard[-1].startswith("Thank you. Your message has been recorded")
    summary = summarise(sink.events)
    assert summary.outcome == ev.OUTCOME_VOICEMAIL
    assert [a.status for a in summary.attempts] == ["no-answer", "failed", "declined", "no-answer"]
    recorded = sink.of_type(ev.VOICEMAIL_RECORDED)[0]["data"]
    assert recorded["duration"] == 25 and recorded["recording_url"].startswith("https://")
    assert sink.of_type(ev.RECORDING_STATUS)[0]["data"]["status"] == "completed"


def test_unknown_caller_with_the_right_pin(sim, sink) -> None:  # type: ignore[no-untyped-def]
    result = sim.place_call("+4940111222", HOTLINE, CallerScript(digits=["4711#"]),
                            {DANA: Answer(press="1")})
    assert result.caller_heard[0].startswith("Welcome to the Test hotline. Please enter your contract PIN")
    assert result.caller_heard[1] == GREETING
    assert result.connected_to == DANA
    summary = summarise(sink.events)
    assert (summary.contract, summary.identified_by) == ("acme", "pin")
    assert [e["data"]["ok"] for e in sink.of_type(ev.PIN_ATTEMPT)] == [True]


def test_three_wrong_pins_end_in_the_voicemail(sim, sink) -> None:  # type: ignore[no-untyped-def]
    result = sim.place_call("+4940111222", HOTLINE, CallerScript(digits=["1111#", "2222#", None]))
    assert result.dialed == []
    assert result.caller_heard[1] == result.caller_heard[2] == (
        "Sorry, that PIN was not recognised. Please enter your contract PIN again.")
    assert result.caller_heard[3].startswith("Sorry, we could not recognise your PIN. We are sorry")
    assert result.recorded
    assert [e["data"]["ok"] for e in sink.of_type(ev.PIN_ATTEMPT)] == [False, False, False]
    assert summarise(sink.events).outcome == ev.OUTCOME_VOICEMAIL


def test_withheld_and_odd_caller_ids_get_the_pin_prompt(sim, sink) -> None:  # type: ignore[no-untyped-def]
    for caller in ("anonymous", "", "client:alice", "sip:bob@example.com", "Restricted", "+"):
        result = sim.place_call(caller, HOTLINE, CallerScript(digits=["2048#"]),
                                {DANA: Answer(press="1")})
        assert result.errors == [], caller
        assert "contract PIN" in result.caller_heard[0], caller
        assert result.connected_to == DANA, caller
    reasons = [e["data"]["reason"] for e in sink.of_type(ev.CALL_UNIDENTIFIED)]
    assert reasons == ["withheld"] * 6


def test_engineer_declines_with_2_and_the_next_one_is_rung(sim, sink) -> None:  # type: ignore[no-untyped-def]
    result = sim.place_call(ACME, HOTLINE, phones={DANA: Answer(press="2"), ALICE: Answer(press="1")})
    assert result.heard_by[DANA] == [SCREEN, "Call declined. Goodbye."]
    assert result.connected_to == ALICE
    summary = summarise(sink.events)
    assert [(a.person, a.status, a.accept_key) for a in summary.attempts] == [
        ("dana", "declined", "2"), ("alice", "connected", "1"),
    ]


def test_caller_hangs_up_while_it_rings(sim, sink) -> None:  # type: ignore[no-untyped-def]
    result = sim.place_call(ACME, HOTLINE, CallerScript(hangup_after_seconds=12), {DANA: NoAnswer()})
    assert result.dialed == [DANA]
    assert result.connected_to is None
    summary = summarise(sink.events)
    assert summary.outcome == ev.OUTCOME_ABANDONED
    assert sink.of_type(ev.CALL_ENDED)[0]["data"]["call_status"] == "completed"


def test_caller_hangs_up_and_twilio_still_calls_the_dial_action(client, sink) -> None:  # type: ignore[no-untyped-def]
    from app.devtools.simulator import FlaskClientTransport, Simulator
    from tests.support.constants import ACCOUNT_SID, AUTH_TOKEN, NOW

    sim = Simulator(FlaskClientTransport(client), AUTH_TOKEN, voice_url="http://hotline.test/voice",
                    status_callback_url="http://hotline.test/voice/status", account_sid=ACCOUNT_SID,
                    clock_start=NOW, dial_action_after_caller_hangup=True)
    result = sim.place_call(ACME, HOTLINE, CallerScript(hangup_after_seconds=12), {DANA: NoAnswer()})
    assert result.errors == []
    assert result.dialed == [DANA], "nobody else is rung once the caller has gone"
    assert summarise(sink.events).outcome == ev.OUTCOME_ABANDONED


def test_business_hours_contract_language_is_used_for_the_caller(sim) -> None:  # type: ignore[no-untyped-def]
    result = sim.place_call("+12125550147", HOTLINE, phones={DANA: Answer(press="1")})
    greeting = next(e for e in result.events if e.who == "caller" and e.kind == sim_events.HEARS)
    assert greeting.text == "Hello Globex. Connecting you to our on-call engineer."
    assert greeting.language == "en-GB"
    assert result.heard_by[DANA][0] == (
        "Hotline call from Globex, business hours contract. Press 1 to accept.")


def test_duplicate_callbacks_add_nothing(client, sink) -> None:  # type: ignore[no-untyped-def]
    from app.devtools.simulator import FlaskClientTransport, Simulator
    from tests.support.constants import ACCOUNT_SID, AUTH_TOKEN, NOW

    sim = Simulator(FlaskClientTransport(client), AUTH_TOKEN, voice_url="http://hotline.test/voice",
                    status_callback_url="http://hotline.test/voice/status", account_sid=ACCOUNT_SID,
                    clock_start=NOW, duplicate_callbacks=True, late_leg_callbacks=True)
    sim.place_call(ACME, HOTLINE, phones={DANA: NoAnswer(), ALICE: Answer(press="1")})
    keys = [e["key"] for e in sink.events]
    assert len(keys) > len(set(keys)), "the simulator delivered duplicates"
    summary = summarise(sink.events)
    assert [(a.person, a.status) for a in summary.attempts] == [
        ("dana", "no-answer"), ("alice", "connected")]


def test_caller_hangs_up_during_the_conversation(sim, sink) -> None:  # type: ignore[no-untyped-def]
    result = sim.place_call(ACME, HOTLINE, CallerScript(hangup_after_seconds=100),
                            {DANA: Answer(press="1", talk_seconds=600)})
    assert result.connected_to == DANA
    summary = summarise(sink.events)
    assert summary.outcome == ev.OUTCOME_CONNECTED
    attempt = summary.attempts[0]
    assert (attempt.status, attempt.accept_key) == ("connected", "1")
    assert 80 <= attempt.talk_seconds <= 95


def test_ring_times_come_from_twilios_timestamps(sim, sink) -> None:  # type: ignore[no-untyped-def]
    sim.place_call(ACME, HOTLINE, phones={DANA: NoAnswer(), ALICE: Answer(press="1", after_seconds=7)})
    dana, alice = summarise(sink.events).attempts
    assert dana.status == "no-answer" and 19 <= dana.ring_seconds <= 24
    assert alice.status == "connected" and 6 <= alice.ring_seconds <= 11


def test_a_transcription_reaches_the_log(client, sink) -> None:  # type: ignore[no-untyped-def]
    from app.devtools.simulator import compute_signature
    from tests.support.constants import AUTH_TOKEN

    params = {"CallSid": "CA" + "b" * 32, "RecordingSid": "RE" + "c" * 32,
              "TranscriptionStatus": "completed", "TranscriptionText": "Our shop is down."}
    url = "http://localhost/voice/transcription?c=acme&ch=&s=0&v=x"
    headers = {"X-Twilio-Signature": compute_signature(AUTH_TOKEN, url, params)}
    for _ in range(2):  # Twilio may deliver it twice
        assert client.post(url, data=params, headers=headers).status_code == 200
    logged = sink.of_type(ev.VOICEMAIL_TRANSCRIBED)
    assert {e["key"] for e in logged} == {f"CA{'b' * 32}:transcription:RE{'c' * 32}"}
    assert logged[0]["data"]["transcription_text"] == "Our shop is down."


def test_the_voicemail_asks_twilio_for_a_transcription(sim) -> None:  # type: ignore[no-untyped-def]
    result = sim.place_call(ACME, HOTLINE, phones={})
    record = next(r.body for r in result.requests if "<Record" in r.body)
    assert 'transcribe="true"' in record and "/voice/transcription?" in record
