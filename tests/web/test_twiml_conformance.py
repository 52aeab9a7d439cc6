"""Every TwiML document the hotline writes conforms to Twilio's definitions (its Node library)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from app.cli.fallback import render_fallback
from app.devtools.simulator import (
    Answer,
    CallerScript,
    FlaskClientTransport,
    NoAnswer,
    Simulator,
    checking_documents,
)
from app.web.twiml import TEMPLATE_DIR, render
from tests.support.constants import ACCOUNT_SID, ACME, ALICE, AUTH_TOKEN, CAROL, DANA, ERIN, HOTLINE, NOW
from tests.support.twiml_schema import MESSAGING, NodeToolsMissing, load_schema, validate_twiml
from tests.support.twiml_schema import node as node_tools

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
URL = "https://hotline.example.com/voice/dial-result?c=acme&ch=dana.alice&s=0&v=1a2b"
STEP = {
    "action_url": URL, "screen_url": URL.replace("dial-result", "screen"),
    "status_url": URL.replace("dial-result", "leg-status"), "ring_seconds": 20,
    "time_limit": 14400, "caller_id": HOTLINE, "number": DANA,
}
TEXT = "Tom & Jerry's <support> line, \"24/7\"."
RECORDING = {"prompt": TEXT, "action_url": URL, "max_seconds": 120, "empty": TEXT,
             "status_url": URL, "transcribe_url": URL}
# Each template with contexts that take every branch it has.
CONTEXTS: dict[str, list[dict[str, Any]]] = {
    "alert_call": [{"key_url": URL, "lead": TEXT, "prompt": TEXT, "no_input": TEXT},
                   {"key_url": URL, "lead": "", "prompt": TEXT, "no_input": TEXT}],
    "closed": [{"closed": TEXT, "offer": TEXT, "emergency_url": URL, **RECORDING},
               {"closed": TEXT, "offer": TEXT, "emergency_url": "", **RECORDING}],
    "dial": [{"announcement": TEXT, "step": STEP}, {"announcement": "", "step": STEP}],
    "empty": [{}],
    "fallback": [{"hotline": "Test & co", "apology": TEXT, "ring_seconds": 25,
                  "caller_id": HOTLINE, "numbers": [CAROL, ERIN, ALICE], "message": TEXT}],
    "goodbye": [{"message": TEXT}, {"message": ""}],
    "greeting": [{"greeting": TEXT, "step": STEP}, {"greeting": "", "incident": TEXT, "step": STEP},
                 {"greeting": TEXT, "incident": TEXT, "step": STEP}],
    "busy": [{"key_url": URL, "lead": TEXT, "prompt": TEXT, "wait": 20, "retry_url": URL},
             {"key_url": URL, "lead": "", "prompt": TEXT, "wait": 20, "retry_url": URL}],
    "callback_number": [{"action_url": URL, "prompt": TEXT, "no_input": TEXT}],
    "callback_dial": [{**STEP, "message": TEXT, "greet_url": URL},
                      {**STEP, "message": "", "greet_url": URL}],
    "incident": [{"key_url": URL, "greeting": TEXT, "message": TEXT, "offer": TEXT},
                 {"key_url": URL, "greeting": "", "message": TEXT, "offer": TEXT}],
    "triage": [{"key_url": URL, "greeting": TEXT, "menu": TEXT},
               {"key_url": URL, "greeting": "", "menu": TEXT}],
    "pin": [{"prompt": TEXT, "action_url": URL}],
    "message": [{"message": TEXT}, {"message": ""}],
    "language": [{"choices": ((TEXT, "en-US", None), ("Für Deutsch drücken Sie die 2.", "de-DE",
                                                       "Polly.Vicki-Neural")), "action_url": URL}],
    "reject": [{}],
    "safe": [{"apology": TEXT, "numbers": [CAROL], "ring_seconds": 20, "action_url": URL},
             {"apology": TEXT, "numbers": [CAROL, ERIN, ALICE], "ring_seconds": 600,
              "action_url": URL}],
    "safe_result": [{"connected": True}, {"connected": False, **RECORDING}],
    "screen": [{"prompt": TEXT, "action_url": URL, "no_input": TEXT}],
    "screen_result": [{"message": TEXT, "accepted": True}, {"message": TEXT, "accepted": False}],
    "voicemail": [RECORDING, {**RECORDING, "callback_url": URL}],
}
MESSAGING_TEMPLATES = frozenset({"message"})  # the answers to incoming SMS
VOICES = [("en-US", None), ("de-DE", "Polly.Vicki"), ("en-GB", "Google.en-GB-Standard-A"),
          ("en-GB", "alice")]


def doc(inner: str) -> bytes:
    return f"{DECLARATION}<Response>{inner}</Response>".encode()


# -- the definitions ------------------------------------------------------------------------


def test_the_definitions_are_twilios() -> None:
    schema = load_schema()
    assert schema.source.startswith("twilio ")
    assert schema.root.tag == "Response"
    assert set(schema.allowed_in("Gather")) == {"Say", "Play", "Pause"}
    assert {"Number", "Client", "Sip", "Conference"} <= set(schema.allowed_in("Dial"))
    number = schema.allowed_in("Dial")["Number"]
    assert number.text is not None and number.text.required
    events = number.attributes["statusCallbackEvent"]
    assert (events.kind, events.is_list) == ("enum", True)
    assert events.values == {"initiated", "ringing", "answered", "completed"}
    dial = schema.allowed_in(schema.root.element)["Dial"]
    assert dial.attributes["timeout"].kind == "number"
    assert dial.attributes["answerOnBridge"].kind == "boolean"
    assert "break" in schema.allowed_in("Say") and "say-as" in schema.allowed_in("Say")
    assert load_schema() is schema, "loaded once per session"


def test_a_missing_install_says_how_to_fix_it(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(node_tools, "NODE_DIR", tmp_path)
    with pytest.raises(NodeToolsMissing, match=r"npm ci --prefix tests/node"):
        node_tools.run_node("twiml-schema.js")


# -- the validator --------------------------------------------------------------------------


def test_documents_built_with_twilios_python_library_are_valid() -> None:
    response = VoiceResponse()
    say = response.say("Hello", voice="Polly.Amy", language="en-GB", loop=2)
    say.prosody("slowly", rate="slow")
    say.break_(time="1s")
    say.say_as("4711", interpret_as="digits")
    gather = Gather(input="dtmf", action=URL, method="POST", num_digits=1, timeout=8,
                    finish_on_key="#", action_on_empty_result=True)
    gather.say("Press 1", language="en-US")
    gather.play("https://example.com/a.mp3", loop=1)
    gather.pause(length=1)
    response.append(gather)
    dial = Dial(action=URL, method="POST", timeout=20, answer_on_bridge=True, caller_id=HOTLINE,
                time_limit=600, record="record-from-answer", ring_tone="de")
    dial.number(DANA, url=URL, method="POST", status_callback=URL,
                status_callback_event="initiated ringing answered completed")
    dial.client("alice")
    response.append(dial)
    response.record(action=URL, max_length=120, finish_on_key="#", play_beep=True, timeout=10,
                    recording_status_callback=URL, recording_status_callback_event="completed",
                    trim="trim-silence")
    response.redirect(URL, method="POST")
    response.pause(length=2)
    response.reject(reason="busy")
    response.hangup()
    assert validate_twiml(str(response).encode()) == []


BAD = {
    "unknown verb": (doc("<Speak>Hi</Speak>"), "unknown element <Speak>"),
    "verbs are case-sensitive": (doc("<say>Hi</say>"), "unknown element <say>"),
    "Dial inside Gather": (doc(f"<Gather><Dial>{DANA}</Dial></Gather>"),
                           "<Dial> is not allowed inside <Gather>"),
    "Number outside Dial": (doc(f"<Number>{DANA}</Number>"),
                            "<Number> is not allowed inside <Response>"),
    "Say inside Say": (doc("<Say>a<Say>b</Say></Say>"), "<Say> is not allowed inside <Say>"),
    "unknown attribute": (doc('<Say colour="red">Hi</Say>'), "<Say> has no attribute 'colour'"),
    "attributes are case-sensitive": (doc('<Gather numdigits="1"><Say>Hi</Say></Gather>'),
                                      "has no attribute 'numdigits'"),
    "attribute on Response": (b'<Response version="2"/>', "has no attribute 'version'"),
    "voice not Twilio's": (doc('<Say voice="robot">Hi</Say>'), "'robot' is not one of"),
    "language not Twilio's": (doc('<Say language="english">Hi</Say>'), "'english' is not one of"),
    "reject reason": (doc('<Reject reason="spam"/>'), "'spam' is not one of"),
    "gather input": (doc('<Gather input="dtmf voice"/>'), "'voice' is not one of"),
    "status events": (doc(f'<Dial><Number statusCallbackEvent="rang">{DANA}</Number></Dial>'),
                      "'rang' is not one of"),
    "not a number": (doc(f'<Dial timeout="twenty">{DANA}</Dial>'), "timeout='twenty' is not a"),
    "not a boolean": (doc(f'<Dial answerOnBridge="yes">{DANA}</Dial>'),
                      "answerOnBridge='yes' is not a boolean"),
    "text in Gather": (doc("<Gather>Press 1</Gather>"), "<Gather> may not hold text"),
    "text in Hangup": (doc("<Hangup>now</Hangup>"), "<Hangup> may not hold text"),
    "empty Say": (doc("<Say/>"), "<Say> needs its message"),
    "empty Number": (doc("<Dial><Number> </Number></Dial>"), "<Number> needs its phoneNumber"),
    "Redirect without URL": (doc("<Redirect/>"), "<Redirect> needs its url"),
    "namespaced verb": (doc('<t:Say xmlns:t="urn:x">Hi</t:Say>'), "unknown element"),
    "over 64 kB": (doc("<Pause/>" * 9400), "Twilio takes at most 65536"),
    "wrong root": (b"<Twiml><Say>Hi</Say></Twiml>", "root element is <Twiml>"),
    "whitespace first": (b"\n" + doc("<Hangup/>"), "whitespace before the XML declaration"),
    "not XML": (b"<Response><Say>Hi</Response>", "not well-formed"),
    "control character": (doc(f'<Dial callerId="+49\x0030">{DANA}</Dial>'), "not well-formed"),
    "doctype": (b'<!DOCTYPE r [<!ENTITY a "b">]><Response/>', "document type"),
}


@pytest.mark.parametrize("name", BAD)
def test_the_validator_names_each_violation(name: str) -> None:
    body, expected = BAD[name]
    problems = validate_twiml(body)
    assert any(expected in p for p in problems), problems


def test_problems_say_where() -> None:
    problems = validate_twiml(doc('<Say>a</Say><Gather><Say>b</Say><Say loop="x">c</Say></Gather>'))
    assert problems == ["Response/Gather[1]/Say[2]: loop='x' is not a number"]


def test_valid_ssml_and_xml_lang() -> None:
    body = doc('<Say voice="Polly.Amy"><lang xml:lang="de-DE">Hallo</lang>'
               '<prosody rate="slow">there</prosody><break strength="weak"/> '
               '<say-as interpret-as="telephone">4711</say-as></Say>')
    assert validate_twiml(body) == []
    assert validate_twiml(body.replace(b'rate="slow"', b'pace="slow"')) != []


@pytest.mark.parametrize(("voice", "allowed", "limit"), [
    ("man", 4096, "basic voices take 4096"),
    ("Polly.Amy", 3000, "Polly voices take 3000"),
    ("Google.en-GB-Standard-A", 4500, "URL-encoded has"),
    (None, 3000, "Polly voices take 3000"),
])
def test_say_length_limits_follow_the_voice(voice: str | None, allowed: int, limit: str) -> None:
    """Twilio warning 13521: basic 4096, Polly 3000, Google 5000, URL-encoded at most 4500."""
    attr = f' voice="{voice}"' if voice else ""
    assert validate_twiml(doc(f"<Say{attr}>{'x' * allowed}</Say>")) == []
    problems = validate_twiml(doc(f"<Say{attr}>{'x' * (allowed + 1)}</Say>"))
    assert any(limit in p for p in problems), problems


def test_google_voices_count_the_ssml_markup() -> None:
    ssml = "<break/>" * 700  # 5600 bytes of markup, no text at all
    problems = validate_twiml(doc(f'<Say voice="Google.en-GB-Standard-A">a{ssml}</Say>'))
    assert any("Google voices take 5000" in p for p in problems), problems
    # Polly counts the text alone: 2900 bytes of text plus 800 of markup is within its 3000.
    assert validate_twiml(doc(f'<Say voice="Polly.Amy">{"x" * 2900}{"<break/>" * 100}</Say>')) == []


# -- the hotline's templates and flows --------------------------------------------------------


def test_every_template_has_representative_contexts() -> None:
    templates = {p.stem for p in TEMPLATE_DIR.glob("*.xml") if not p.name.startswith("_")}
    assert templates == set(CONTEXTS), "add contexts for new templates to CONTEXTS"


@pytest.mark.parametrize(("language", "voice"), VOICES)
@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_every_template_renders_valid_twiml(name: str, language: str, voice: str | None) -> None:
    for context in CONTEXTS[name]:
        body = render(name, language=language, voice=voice, **context).encode()
        schema = load_schema(MESSAGING) if name in MESSAGING_TEMPLATES else None
        assert validate_twiml(body, schema) == [], body.decode()


def test_the_static_fallback_document_is_valid(config) -> None:  # type: ignore[no-untyped-def]
    assert validate_twiml(render_fallback(config).encode()) == []


SCENARIOS: dict[str, tuple[str, CallerScript, dict[str, Any]]] = {
    "accepted": (ACME, CallerScript(), {DANA: Answer(press="1", talk_seconds=30)}),
    "declined then voicemail": (ACME, CallerScript(record_seconds=20, record_key="#"),
                                {DANA: Answer(press="2"), ALICE: NoAnswer()}),
    "pin then connected": ("+4940111222", CallerScript(digits=["4711#"]),
                           {DANA: Answer(press="1")}),
    "wrong pins": ("+4940111222", CallerScript(digits=["1#", "2#", "3#"], record_seconds=5), {}),
    "withheld": ("anonymous", CallerScript(digits=[None, None, None]), {}),
    "business hours contract": ("+12125550147", CallerScript(digits=["1"]),
                                {DANA: Answer(press="1")}),
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_whole_calls_only_receive_valid_twiml(client, name: str) -> None:  # type: ignore[no-untyped-def]
    seen: list[str] = []

    def check(url: str, body: bytes) -> list[str]:
        seen.append(url)
        return validate_twiml(body)

    caller, script, phones = SCENARIOS[name]
    sim = Simulator(FlaskClientTransport(client), AUTH_TOKEN, voice_url="http://hotline.test/voice",
                    status_callback_url="http://hotline.test/voice/status",
                    account_sid=ACCOUNT_SID, clock_start=NOW, seed=3, document_checker=check)
    result = sim.place_call(caller, HOTLINE, script, phones)
    assert result.errors == []
    assert len(seen) >= 3, seen


# -- the simulator hook and the pytest plugin -----------------------------------------------


def one_document_app(body: str) -> Flask:
    app = Flask(__name__)

    @app.post("/voice")
    def voice() -> Response:
        return Response(body, content_type="text/xml")

    return app


def test_the_simulator_reports_what_its_checkers_find() -> None:
    document = f"{DECLARATION}<Response><Say>Hi</Say></Response>"
    app = one_document_app(document)
    sim = Simulator(FlaskClientTransport(app.test_client()), "t", voice_url="http://x.test/voice",
                    document_checker=lambda url, body: [f"own {body.decode()}"])
    with checking_documents(lambda url, body: ["run-wide"]):
        result = sim.place_call("+4930111", "+4940999")
    own = f"12200 http://x.test/voice: own {document}"
    assert result.errors == [own, "12200 http://x.test/voice: run-wide"]
    assert result.caller_heard == ["Hi"], "the checkers only report; the call goes on"
    assert sim.place_call("+4930111", "+4940999").errors == [own]


PLUGIN_TESTS = '''
import pytest
from flask import Flask, Response
from app.devtools.simulator import FlaskClientTransport, Simulator

def call(body):
    app = Flask(__name__)
    app.add_url_rule("/voice", "v", lambda: Response(body, content_type="text/xml"),
                     methods=["POST"])
    sim = Simulator(FlaskClientTransport(app.test_client()), "t", voice_url="http://x.test/voice")
    return sim.place_call("+4930111", "+4940999")

@pytest.mark.twiml_checked
def test_checked_and_broken():
    call('<Response><Say colour="red">Hi</Say></Response>')

@pytest.mark.twiml_checked
def test_checked_and_valid():
    assert call("<Response><Say>Hi</Say></Response>").errors == []

def test_unchecked_simulator_test():
    assert len(call("<Response><Speak>Hi</Speak></Response>").errors) == 1
'''


def test_the_plugin_fails_the_test_whose_documents_break_the_rules(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "test_sample.py").write_text(textwrap.dedent(PLUGIN_TESTS))
    code = pytest.main(["-p", "tests.support.plugins.twiml", "-p", "no:cacheprovider", "-q",
                        "--rootdir", str(tmp_path), str(tmp_path / "test_sample.py")])
    out = capsys.readouterr().out
    assert code == pytest.ExitCode.TESTS_FAILED, out
    assert "1 failed, 2 passed" in out, out
    assert "FAILED " in out and "test_sample.py::test_checked_and_broken" in out, out
    assert "http://x.test/voice: Response/Say[1]: <Say> has no attribute 'colour'" in out
