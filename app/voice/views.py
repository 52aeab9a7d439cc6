"""The voice blueprint: thin views that parse Twilio's request, run the call flow, render TwiML."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, Request, Response, abort, current_app, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from app.callflow import CallFlow, Reply, UrlFor
from app.callparams import is_number
from app.callstate import CallState
from app.runtime import Runtime
from app.twiml import render
from app.voice.signature import is_genuine, request_host_url, signed_url

bp = Blueprint("voice", __name__, url_prefix="/voice")
log = logging.getLogger(__name__)


def runtime() -> Runtime:
    return current_app.extensions["hotline"]  # type: ignore[no-any-return]


def current_request() -> Request:
    """The request itself: each read through Flask's ``request`` proxy costs a context lookup."""
    return request._get_current_object()  # type: ignore[attr-defined, no-any-return]


@bp.before_request
def check_signature() -> None:
    rt = runtime()
    req = current_request()
    url = signed_url(req, rt.settings.public_base_url)
    if not is_genuine(url, req.form, req.headers.get("X-Twilio-Signature"), rt.settings.auth_tokens):
        log.warning("rejected a voice request with a missing or wrong signature: %s", url)
        abort(403)


@bp.errorhandler(Exception)
def safe_answer(error: Exception) -> Response | HTTPException:
    """Any failure inside a webhook still answers TwiML that reaches a person."""
    if isinstance(error, HTTPException):
        return error
    log.exception("voice webhook failed; answering with the safe document")
    rt = runtime()
    policy = rt.config.policy
    people = [p for p in (policy.cio, *(b.target for b in policy.backups if b.kind == "person"))
              if p and p in rt.config.people]
    return twiml(render(
        "safe", language=rt.config.hotline.language, voice=rt.config.hotline.voice,
        apology=rt.config.prompts.error_apology,
        numbers=[rt.config.people[p].phone for p in people[:3]],
        ring_seconds=policy.ring_seconds, action_url=public_url("voice.safe_result", {}),
    ))


@bp.post("")
def incoming() -> Response:
    return answer(flow().incoming(params()))


@bp.post("/pin")
def pin() -> Response:
    attempt = request.args.get("t", "1")
    tries = int(attempt) if is_number(attempt, limit=3) else 99
    return answer(flow().pin_entered(params(), tries, state()))


@bp.post("/emergency")
def emergency() -> Response:
    return answer(flow().emergency(params(), state()))


@bp.post("/dial-result")
def dial_result() -> Response:
    return answer(flow().dial_result(params(), state()))


@bp.post("/screen")
def screen() -> Response:
    return answer(flow().screen(params(), state()))


@bp.post("/screen-result")
def screen_result() -> Response:
    return answer(flow().screen_result(params(), state()))


@bp.post("/voicemail-done")
def voicemail_done() -> Response:
    return answer(flow().voicemail_done(params(), state()))


@bp.post("/leg-status")
def leg_status() -> Response:
    return logged(flow().leg_status(params(), state()))


@bp.post("/status")
def call_status() -> Response:
    return logged(flow().call_status(params()))


@bp.post("/recording-status")
def recording_status() -> Response:
    return logged(flow().recording_status(params()))


@bp.post("/transcription")
def transcription() -> Response:
    return logged(flow().transcription(params()))


@bp.post("/safe-result")
def safe_result() -> Response:
    rt = runtime()
    connected = request.form.get("DialCallStatus") == "completed"
    prompts = rt.config.prompts
    return twiml(render(
        "safe_result", language=rt.config.hotline.language, voice=rt.config.hotline.voice,
        connected=connected, voicemail_prompt=prompts.voicemail, goodbye=prompts.goodbye,
        max_seconds=rt.config.hotline.voicemail_max_seconds,
    ))


def flow() -> CallFlow:
    rt = runtime()
    return CallFlow(rt.config, url_builder(), rt.clock(), rt.chain, rt.guard)


def params() -> dict[str, str]:
    """Twilio's form as a plain dict (first value per name): the flow reads many names, and a
    missing one costs werkzeug's MultiDict an exception each time."""
    return first_values(current_request().form)


def state() -> CallState:
    return state_of(current_request().query_string)


@lru_cache(maxsize=4096)
def state_of(query: bytes) -> CallState:
    """The call state in a webhook's query string. Calls share states (the same chain at the
    same step), so each query string is parsed once; only signed requests get this far."""
    pairs = parse_qsl(query.decode("utf-8", "replace"), keep_blank_values=True)
    return CallState.from_query(first_values(MultiDict(pairs)))


def first_values(values: MultiDict[str, str]) -> dict[str, str]:
    """``values.to_dict()``, read straight from the value list a MultiDict keeps per name."""
    return {name: found[0] for name, found in dict.items(values)}


def url_builder() -> UrlFor:
    """Absolute URLs of this app's webhooks for the current request (base worked out once)."""
    req = current_request()
    base = runtime().settings.public_base_url or request_host_url(req)
    paths: dict[tuple[str, str], str] = current_app.extensions.setdefault("hotline_paths", {})
    root = req.script_root

    def build(endpoint: str, query: Mapping[str, str]) -> str:
        path = paths.get((root, endpoint))
        if path is None:  # url_for once per route and script root, not per request
            path = paths[(root, endpoint)] = url_for(endpoint)
        return f"{base}{path}?{encoded_query(tuple(query.items()))}" if query else f"{base}{path}"

    return build


def public_url(endpoint: str, query: Mapping[str, str]) -> str:
    return url_builder()(endpoint, query)


@lru_cache(maxsize=4096)
def encoded_query(items: tuple[tuple[str, str], ...]) -> str:
    """One dial step puts the same call state in three URLs, and calls share states."""
    return urlencode(items)


def answer(reply: Reply) -> Response:
    rt = runtime()
    body = render(reply.template, language=reply.language or rt.config.hotline.language,
                  voice=rt.config.hotline.voice, **reply.context)
    if reply.events:
        rt.sink.emit(reply.events)
    return twiml(body)


def logged(events: list) -> Response:  # type: ignore[type-arg]
    if events:
        runtime().sink.emit(events)
    return twiml(render("empty", language="en-US"))


def twiml(body: str) -> Response:
    return Response(body, status=200, mimetype="text/xml")
