"""Whole calls through sequential forwarding with screening, against a small Flask app."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator

from app.devtools.simulator import (
    Answer,
    Busy,
    CallerScript,
    FlaskClientTransport,
    NoAnswer,
    PhoneScript,
    Simulator,
)

TOKEN = "forwarding-token"
BASE = "https://hotline.example.com"
ALICE, BOB, VOICEMAIL, DAVE = "+4915100000001", "+4915100000002", "+4915100000003", "+4915100000004"
CHAIN = [ALICE, BOB, VOICEMAIL, DAVE]
SCREEN_PROMPT = "Hotline call from ACME, 24/7 contract. Press 1 to accept."
START = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)


def twiml(body: str) -> Response:
    document = f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>'
    return Response(document, mimetype="text/xml")


def forwarding_app(chain: list[str]) -> Flask:
    """Greets, rings ``chain`` one by one with screening, then takes a voicemail."""
    app = Flask(__name__)

    @app.before_request
    def verify() -> None:
        signature = request.headers.get("X-Twilio-Signature", "")
        if not RequestValidator(TOKEN).validate(request.url, request.form.to_dict(), signature):
            abort(403)

    @app.post("/voice")
    def voice() -> Response:
        return twiml("<Say>Hello ACME support.</Say><Redirect>dial?step=0</Redirect>")

    @app.post("/dial")
    def dial() -> Response:
        step = int(request.args["step"])
        if step >= len(chain):
            return twiml('<Say>Please leave a message.</Say><Record action="/voicemail"/>')
        return twiml(
            f'<Dial action="/dial-result?step={step}" timeout="20" callerId="+4940999">'
            f'<Number url="/screen?step={step}" statusCallback="/leg-status?step={step}" '
            f'statusCallbackEvent="initiated ringing answered completed">{chain[step]}</Number>'
            "</Dial>"
        )

    @app.post("/screen")
    def screen() -> Response:
        digits = request.form.get("Digits")
        if digits is None:
            return twiml(f'<Gather numDigits="1"><Say>{SCREEN_PROMPT}</Say></Gather><Hangup/>')
        return twiml("") if digits == "1" else twiml("<Say>Declined.</Say><Hangup/>")

    @app.post("/dial-result")
    def dial_result() -> Response:
        if request.form["DialBridged"] == "true":
            return twiml("<Hangup/>")
        return twiml(f'<Redirect>/dial?step={int(request.args["step"]) + 1}</Redirect>')

    @app.post("/leg-status")
    @app.post("/status")
    @app.post("/voicemail")
    def empty() -> tuple[str, int]:
        return "", 204

    return app


def simulator(app: Flask, **options: Any) -> Simulator:
    return Simulator(
        FlaskClientTransport(app.test_client()), TOKEN, voice_url=f"{BASE}/voice",
        status_callback_url=f"{BASE}/status", clock_start=START, seed=7, **options,
    )


PHONES: dict[str, PhoneScript] = {
    ALICE: NoAnswer(), BOB: Busy(), VOICEMAIL: Answer(press=None), DAVE: Answer(press="1")
}


def test_sequential_forwarding_with_screening() -> None:
    result = simulator(forwarding_app(CHAIN)).place_call("+4930111", "+4940999", phones=PHONES)

    assert result.errors == []
    assert all(r.status in (200, 204) for r in result.requests)
    assert result.caller_heard == ["Hello ACME support."]
    assert result.heard_by == {VOICEMAIL: [SCREEN_PROMPT], DAVE: [SCREEN_PROMPT]}
    assert result.dialed == CHAIN
    assert result.dial_results == [
        (ALICE, "no-answer", False), (BOB, "busy", False),
        (VOICEMAIL, "no-answer", False), (DAVE, "completed", True),
    ]
    assert result.connected_to == DAVE
    assert result.end_status == "completed"
    assert not result.recorded

    actions = [r.params for r in result.requests_to("/dial-result")]
    assert [(a["DialCallStatus"], a["DialBridged"]) for a in actions] == [
        ("no-answer", "false"), ("busy", "false"), ("no-answer", "false"), ("completed", "true")
    ]
    assert actions[3]["DialCallDuration"] == "60"
    assert all(a["CallSid"] == result.call_sid and a["Direction"] == "inbound" for a in actions)


def test_screening_requests_run_on_the_engineers_leg() -> None:
    result = simulator(forwarding_app(CHAIN)).place_call("+4930111", "+4940999", phones=PHONES)

    screens = result.requests_to("/screen")
    assert [r.url for r in screens] == [f"{BASE}/screen?step=2", f"{BASE}/screen?step=3",
                                        f"{BASE}/screen?step=3"]
    for screen in screens:
        assert screen.params["Direction"] == "outbound-dial"
        assert screen.params["ParentCallSid"] == result.call_sid
        assert screen.params["CallSid"] != result.call_sid
        assert screen.params["From"] == "+4940999"  # the Dial's callerId
        assert screen.params["CallStatus"] == "in-progress"
    assert "Digits" not in screens[1].params
    assert screens[2].params["Digits"] == "1"  # a Gather without action posts back to its URL
    accepted = result.requests_to("/dial-result")[3].params
    assert accepted["DialCallSid"] == screens[2].params["CallSid"] == screens[2].params["CallSid"]


def test_leg_status_callbacks_follow_status_callback_event() -> None:
    result = simulator(forwarding_app(CHAIN)).place_call("+4930111", "+4940999", phones=PHONES)

    legs: dict[str, list[dict[str, str]]] = {}
    for callback in result.requests_to("/leg-status"):
        legs.setdefault(callback.params["To"], []).append(callback.params)
    statuses = {number: [p["CallStatus"] for p in calls] for number, calls in legs.items()}
    assert statuses == {
        ALICE: ["initiated", "ringing", "no-answer"],
        BOB: ["initiated", "busy"],
        VOICEMAIL: ["initiated", "ringing", "in-progress", "completed"],
        DAVE: ["initiated", "ringing", "in-progress", "completed"],
    }
    for calls in legs.values():
        assert [p["SequenceNumber"] for p in calls] == [str(i) for i in range(len(calls))]
        assert {p["CallbackSource"] for p in calls} == {"call-progress-events"}
        assert {p["ParentCallSid"] for p in calls} == {result.call_sid}
    assert legs[ALICE][-1]["CallDuration"] == "0"
    assert legs[DAVE][-1]["CallDuration"] == "64"  # 4 s of screening, then 60 s of talk
    assert legs[DAVE][2]["Timestamp"] == "Tue, 01 Jan 2030 09:00:41 +0000"


def test_call_status_callback_reports_the_end() -> None:
    result = simulator(forwarding_app(CHAIN)).place_call("+4930111", "+4940999", phones=PHONES)

    (final,) = result.requests_to("/status")
    assert final.params["CallStatus"] == "completed"
    assert final.params["CallDuration"] == str(int(result.duration)) == "105"
    assert result.requests[-1] == final


def test_transcript_reads_like_the_call() -> None:
    result = simulator(forwarding_app(CHAIN)).place_call(
        "+4930111", "+4940999", phones=PHONES, names={ALICE: "Alice", DAVE: "Dave"}
    )
    assert result.transcript().splitlines() == [
        "00:00 caller hears: Hello ACME support.",
        f"00:01 rings {ALICE} (Alice)",
        f"00:21 {ALICE} (Alice) no answer",
        "00:21 dial result: no-answer, not bridged",
        f"00:21 rings {BOB}",
        f"00:22 {BOB} busy",
        "00:22 dial result: busy, not bridged",
        f"00:22 rings {VOICEMAIL}",
        f"00:27 {VOICEMAIL} answers and hears: {SCREEN_PROMPT}",
        f"00:31 {VOICEMAIL} stays silent",
        f"00:36 {VOICEMAIL} not accepted: the screening hung up",
        "00:36 dial result: no-answer, not bridged",
        f"00:36 rings {DAVE} (Dave)",
        f"00:41 {DAVE} (Dave) answers and hears: {SCREEN_PROMPT}",
        f"00:45 {DAVE} (Dave) presses 1",
        f"00:45 connected to {DAVE} (Dave); talk 60 s",
        f"01:45 {DAVE} (Dave) hangs up",
        "01:45 dial result: completed, bridged",
        "01:45 call ended (completed)",
    ]


def test_declining_engineer_and_screened_out_status_option() -> None:
    phones: dict[str, PhoneScript] = {ALICE: Answer(press="2"), BOB: Answer(press="1")}
    app = forwarding_app([ALICE, BOB])
    result = simulator(app, screened_out_status="canceled").place_call("+4930111", "+4940999",
                                                                      phones=phones)

    assert result.heard_by[ALICE] == [SCREEN_PROMPT, "Declined."]
    assert result.dial_results == [(ALICE, "canceled", False), (BOB, "completed", True)]
    first = result.requests_to("/dial-result")[0].params
    assert (first["DialCallStatus"], first["DialBridged"]) == ("canceled", "false")


def test_nobody_accepts_so_the_caller_leaves_a_voicemail() -> None:
    phones: dict[str, PhoneScript] = {
        ALICE: NoAnswer(), BOB: Answer(press=None, after_seconds=25)  # rings past the timeout
    }
    result = simulator(forwarding_app([ALICE, BOB])).place_call(
        "+4930111", "+4940999", CallerScript(record_seconds=9), phones
    )

    assert result.dial_results == [(ALICE, "no-answer", False), (BOB, "no-answer", False)]
    assert result.caller_heard == ["Hello ACME support.", "Please leave a message."]
    assert result.recorded
    assert result.connected_to is None
    (voicemail,) = result.requests_to("/voicemail")
    assert voicemail.params["RecordingDuration"] == "9"


def test_caller_hangs_up_while_it_rings() -> None:
    result = simulator(forwarding_app(CHAIN)).place_call(
        "+4930111", "+4940999", CallerScript(hangup_after_seconds=10), PHONES
    )

    assert result.dial_results == [(ALICE, "canceled", False)]
    assert result.requests_to("/dial-result") == []  # Twilio's default here: no action request
    leg = [r.params for r in result.requests_to("/leg-status")]
    assert [p["CallStatus"] for p in leg] == ["initiated", "ringing", "canceled"]
    assert result.end_status == "completed"
    assert result.duration == 10
    assert result.transcript().splitlines()[-3:] == [
        "00:10 dial result: canceled, not bridged", "00:10 caller hangs up",
        "00:10 call ended (completed)",
    ]


def test_caller_hangup_can_still_request_the_dial_action() -> None:
    sim = simulator(forwarding_app(CHAIN), dial_action_after_caller_hangup=True)
    result = sim.place_call("+4930111", "+4940999", CallerScript(hangup_after_seconds=10), PHONES)

    (action,) = result.requests_to("/dial-result")
    assert action.params["DialCallStatus"] == "canceled"
    assert action.params["CallStatus"] == "completed"
    assert [r.url for r in result.requests][-1] == f"{BASE}/status"  # no redirect was followed


def test_caller_hangs_up_during_the_talk() -> None:
    phones: dict[str, PhoneScript] = {ALICE: Answer(press="1", talk_seconds=300)}
    result = simulator(forwarding_app([ALICE])).place_call(
        "+4930111", "+4940999", CallerScript(hangup_after_seconds=40), phones
    )
    assert result.connected_to == ALICE
    assert result.dial_results == [(ALICE, "completed", True)]
    assert result.duration == 40
    completed = result.requests_to("/leg-status")[-1].params
    assert (completed["CallStatus"], completed["CallDuration"]) == ("completed", "34")


@pytest.mark.parametrize("late", [False, True])
def test_leg_callbacks_may_arrive_after_the_action(late: bool) -> None:
    result = simulator(forwarding_app([ALICE]), late_leg_callbacks=late).place_call(
        "+4930111", "+4940999", phones={ALICE: NoAnswer()}
    )
    paths = [r.url.split("?")[0].removeprefix(BASE) for r in result.requests]
    completed_at = max(i for i, p in enumerate(paths) if p == "/leg-status")
    assert (completed_at > paths.index("/dial-result")) is late


def test_duplicate_callbacks_share_an_idempotency_token() -> None:
    seen: list[tuple[str, str]] = []
    app = forwarding_app([ALICE])

    @app.after_request
    def remember(response: Response) -> Response:
        if request.path == "/leg-status":
            seen.append((request.form["SequenceNumber"],
                         request.headers["I-Twilio-Idempotency-Token"]))
        return response

    simulator(app, duplicate_callbacks=True).place_call("+4930111", "+4940999",
                                                        phones={ALICE: NoAnswer()})
    assert [number for number, _ in seen] == ["0", "0", "1", "1", "2", "2"]
    assert seen[0][1] == seen[1][1] != seen[2][1]


def ring_the_team_app(team: list[str]) -> Flask:
    """One Dial with every engineer as a Number: they ring together."""
    app = forwarding_app(team)

    @app.post("/team")
    def team_dial() -> Response:
        numbers = "".join(
            f'<Number url="/screen?step={i}" statusCallback="/leg-status?step={i}" '
            f'statusCallbackEvent="initiated answered completed">{n}</Number>'
            for i, n in enumerate(team)
        )
        return twiml(f'<Dial action="/team-result" timeout="25">{numbers}</Dial>')

    @app.post("/team-result")
    def team_result() -> Response:
        return twiml("<Hangup/>")

    return app


def team_simulator(app: Flask) -> Simulator:
    return Simulator(FlaskClientTransport(app.test_client()), TOKEN, voice_url=f"{BASE}/team",
                     clock_start=START, seed=3)


def test_numbers_in_one_dial_ring_together_and_the_first_to_accept_wins() -> None:
    phones: dict[str, PhoneScript] = {
        ALICE: Answer(press=None, after_seconds=3),
        BOB: Answer(press="1", after_seconds=8),
        VOICEMAIL: NoAnswer(),
    }
    result = team_simulator(ring_the_team_app([ALICE, BOB, VOICEMAIL])).place_call(
        "+4930111", "+4940999", phones=phones
    )

    assert result.errors == []
    assert result.dial_results == [
        (ALICE, "no-answer", False), (BOB, "completed", True), (VOICEMAIL, "canceled", False)
    ]
    assert result.connected_to == BOB
    (action,) = result.requests_to("/team-result")
    assert action.params["DialCallStatus"] == "completed"
    bob_leg = next(r for r in result.requests_to("/screen") if r.params["To"] == BOB)
    assert action.params["DialCallSid"] == bob_leg.params["CallSid"]
    rings = [e for e in result.events if e.kind == "rings"]
    assert [e.who for e in rings] == [ALICE, BOB, VOICEMAIL]
    assert len({e.at for e in rings}) == 1
    canceled = [r.params for r in result.requests_to("/leg-status")
                if r.params["To"] == VOICEMAIL][-1]
    assert canceled["CallStatus"] == "canceled"


def test_the_faster_acceptance_wins_when_two_accept() -> None:
    phones: dict[str, PhoneScript] = {
        ALICE: Answer(press="1", after_seconds=3), BOB: Answer(press="1", after_seconds=2)
    }
    result = team_simulator(ring_the_team_app([ALICE, BOB])).place_call(
        "+4930111", "+4940999", phones=phones
    )
    assert result.connected_to == BOB
    assert result.dial_results == [(ALICE, "canceled", False), (BOB, "completed", True)]
    events = [e.text for e in result.events if e.who == ALICE and e.kind == "leg_result"]
    assert events == ["hangs up: another leg was bridged"]
