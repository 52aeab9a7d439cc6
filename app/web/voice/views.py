"""The voice blueprint: thin views that parse Twilio's request, run the call flow, render TwiML."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode

import werkzeug.urls  # noqa: F401  (registers the "werkzeug.url_quote" codec error handler)
from flask import Blueprint, Request, Response, abort, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from app.calls.events import Event
from app.calls.flow import CallFlow, Reply, UrlFor
from app.calls.params import is_number
from app.calls.state import CallState
from app.telemetry.series import SAFE_ANSWERS, SIGNATURE_REJECTIONS
from app.web.runtime import Runtime, runtime
from app.web.twiml import render
from app.web.voice.signature import is_genuine, request_host_url, signed_url

bp = Blueprint("voice", __name__, url_prefix="/voice")
log = logging.getLogger(__name__)
NO_STATE = CallState()
SAFE_TEMPLATE = "safe"
HANG_UP = '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Hangup/></Response>\n'


def current_request() -> Request:
    """The request itself: each read through Flask's ``request`` proxy costs a context lookup."""
    return request._get_current_object()  # type: ignore[attr-defined]


@bp.before_request
def check_signature() -> None:
    rt = runtime()
    req = current_request()
    url = signed_url(req, rt.settings.public_base_url)
    signature = req.environ.get("HTTP_X_TWILIO_SIGNATURE")
    if not is_genuine(url, req.form, signature, rt.settings.auth_tokens):
        log.warning("rejected a voice request with a missing or wrong signature: %s", url)
        SIGNATURE_REJECTIONS.labels(req.blueprint or "").inc()
        abort(403)


@bp.errorhandler(Exception)
def safe_answer(error: Exception) -> Response | HTTPException:
    """Any failure inside a webhook still answers TwiML that reaches a person."""
    if isinstance(error, HTTPException):
        return error
    log.exception("voice webhook failed; answering with the safe document")
    SAFE_ANSWERS.labels("error").inc()
    rt, req = runtime(), current_request()
    reply = safe_flow(rt, req).safe(params(req))
    return answer_safely(rt, render_reply(rt, reply), reply.events)


@bp.post("/pin")
def pin() -> Response:
    rt, req = runtime(), current_request()
    attempt = req.args.get("t", "1")
    tries = int(attempt) if is_number(attempt, limit=3) else 99
    return answer(rt, flow(rt, req).pin_entered(params(req), tries, state(rt, req) or NO_STATE))


def flow(rt: Runtime, req: Request) -> CallFlow:
    return CallFlow(rt.config, url_builder(rt, req), rt.clock(), rt.chain, rt.guard, rt.state_key,
                    rt.incidents())


def safe_flow(rt: Runtime, req: Request) -> CallFlow:
    """A flow for the safe path, built without what may have failed (the clock, the chain, the
    guard): its steps only read the configuration and Twilio's parameters."""
    try:
        now = rt.clock()
    except Exception:
        log.exception("the clock failed; the safe path uses the system's")
        now = datetime.now(UTC)
    return CallFlow(rt.config, url_builder(rt, req), now, state_key=rt.state_key)


def params(req: Request) -> dict[str, str]:
    """Twilio's form as a plain dict (first value per name): the flow reads many names, and a
    missing one costs werkzeug's MultiDict an exception each time."""
    return first_values(req.form)


def state(rt: Runtime, req: Request) -> CallState | None:
    return state_of(req.query_string, rt.state_key)


@lru_cache(maxsize=4096)
def state_of(query: bytes, key: bytes) -> CallState | None:
    """The call state in a webhook's query string, None without our seal. Calls share states
    (the same chain at the same step), so each query string is parsed once (its seal included);
    only requests Twilio signed get this far."""
    # Percent-encoded bytes that are not UTF-8 stay percent-encoded, as in werkzeug's args.
    pairs = parse_qsl(query.decode("utf-8", "replace"), keep_blank_values=True,
                      errors="werkzeug.url_quote")
    found = CallState.from_query(first_values(MultiDict(pairs)), key)
    if found is None and query:  # logged once per query string, as it is parsed once
        log.warning("a call state without our seal, taken as none: %r", query[:300])
    return found


def first_values(values: MultiDict[str, str]) -> dict[str, str]:
    """``values.to_dict()``, read straight from the value list a MultiDict keeps per name."""
    return {name: found[0] for name, found in dict.items(values)}


def url_builder(rt: Runtime, req: Request) -> UrlFor:
    """Absolute URLs of this app's webhooks for the current request (base worked out once)."""
    base = rt.settings.public_base_url or request_host_url(req)
    paths = rt.webhook_paths
    root = req.root_path

    def build(endpoint: str, query: Mapping[str, str]) -> str:
        path = paths.get((root, endpoint))
        if path is None:  # url_for once per route and script root, not per request
            path = paths[(root, endpoint)] = url_for(endpoint)
        return f"{base}{path}?{encoded_query(tuple(query.items()))}" if query else f"{base}{path}"

    return build


def public_url(endpoint: str, query: Mapping[str, str]) -> str:
    return url_builder(runtime(), current_request())(endpoint, query)


@lru_cache(maxsize=4096)
def encoded_query(items: tuple[tuple[str, str], ...]) -> str:
    """One dial step puts the same call state in three URLs, and calls share states."""
    return urlencode(items)


def answer(rt: Runtime, reply: Reply) -> Response:
    body = render_reply(rt, reply)
    if reply.template == SAFE_TEMPLATE:  # a dial result without a state of ours
        SAFE_ANSWERS.labels("no-state").inc()
    if reply.events:
        rt.sink.emit(reply.events)
    return twiml(body)


def render_reply(rt: Runtime, reply: Reply) -> str:
    """The reply's TwiML, spoken in its language with that language's voice."""
    speech = rt.config.default_line.speaking(reply.language)
    return render(reply.template, language=reply.language or speech.language,
                  voice=speech.voice, **reply.context)


def answer_safely(rt: Runtime, body: str, events: list[Event]) -> Response:
    """The safe path's answer: what it logs is handed on if the hand-off works."""
    try:
        if events:
            rt.sink.emit(events)
    except Exception:
        log.exception("the safe path's events were not handed on")
    return twiml(body)


def logged(rt: Runtime, events: list[Event]) -> Response:
    if events:
        rt.sink.emit(events)
    return twiml(render("empty", language="en-US"))


def twiml(body: str) -> Response:
    return Response(body, status=200, mimetype="text/xml")


def step_view(step: Callable[..., Any], with_state: bool, respond: Callable[..., Response]
              ) -> Callable[[], Response]:
    """A webhook that hands Twilio's form (and the signed call state) to one step of the flow."""
    if with_state:
        def view() -> Response:
            rt, req = runtime(), current_request()
            return respond(rt, step(flow(rt, req), params(req), state(rt, req) or NO_STATE))
    else:
        def view() -> Response:
            rt, req = runtime(), current_request()
            return respond(rt, step(flow(rt, req), params(req)))
    return view


# path: endpoint, the flow's step, whether it reads the call state, what it answers
STEPS: dict[str, tuple[str, Callable[..., Any], bool, Callable[..., Response]]] = {
    "": ("incoming", CallFlow.incoming, False, answer),
    "/emergency": ("emergency", CallFlow.emergency, True, answer),
    "/language": ("language", CallFlow.language_chosen, True, answer),
    "/screen": ("screen", CallFlow.screen, True, answer),
    "/screen-result": ("screen_result", CallFlow.screen_result, True, answer),
    "/voicemail-done": ("voicemail_done", CallFlow.voicemail_done, True, answer),
    "/callback-number": ("callback_number", CallFlow.callback_number, True, answer),
    "/triage": ("triage", CallFlow.triage, True, answer),
    "/leg-status": ("leg_status", CallFlow.leg_status, True, logged),
    "/status": ("call_status", CallFlow.call_status, False, logged),
    "/recording-status": ("recording_status", CallFlow.recording_status, False, logged),
    "/transcription": ("transcription", CallFlow.transcription, False, logged),
}
for path, (endpoint, step, with_state, respond) in STEPS.items():
    bp.add_url_rule(path, endpoint, step_view(step, with_state, respond), methods=["POST"])


def safe_view(step: Callable[..., Any], with_state: bool, answers: bool) -> Callable[[], Response]:
    """A step of the safe path: whatever fails in it, it never answers the safe document again
    (a voicemail would start over); at worst the caller hears the call end."""
    def view() -> Response:
        rt, req = runtime(), current_request()
        try:
            flow = safe_flow(rt, req)
            args = (params(req), state(rt, req) or NO_STATE) if with_state else (params(req),)
            found = step(flow, *args)
            reply = found if answers else Reply("empty", {}, found, "en-US")
            body = render_reply(rt, reply)
        except Exception:
            log.exception("a step of the safe path failed; hanging up")
            return twiml(HANG_UP)
        return answer_safely(rt, body, reply.events)
    return view


# The safe document's <Dial> action, and where its voicemail's <Record> reports.
SAFE_STEPS: dict[str, tuple[str, Callable[..., Any], bool, bool]] = {
    "/safe-result": ("safe_result", CallFlow.safe_result, True, True),
    "/safe-voicemail-done": ("safe_voicemail_done", CallFlow.voicemail_done, True, True),
    "/safe-recording-status": ("safe_recording_status", CallFlow.recording_status, False, False),
    "/safe-transcription": ("safe_transcription", CallFlow.transcription, False, False),
}
for path, (endpoint, step, with_state, answers) in SAFE_STEPS.items():
    bp.add_url_rule(path, endpoint, safe_view(step, with_state, answers), methods=["POST"])
