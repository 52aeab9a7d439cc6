"""The alert call's webhooks (``/alerts/voice/...``), signed by Twilio like the hotline's.

``call``: the engineer answered; read the alert, ask for 1 (acknowledge) or 2 (escalate now).
``key``: what they pressed, handed to a worker. ``status``: how the call went, for the record.
The alert's id, step and words come in the URL, which Twilio signs and which carries our own
seal over every one of them (app.alerts.pages); a page without it is no page. One row is read,
within a budget (app.web.alert_state): whether the alert is already over, to tell whoever
answers late by whom and when instead of asking for a key.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException

from app.alerts.pages import PAGE_FIELDS, already_over, spoken
from app.calls.params import FINISHED
from app.calls.seal import is_sealed
from app.eventlog.queueing import REDIS_DOWN
from app.notify.queueing import enqueue
from app.storage.db import get_engine
from app.web.alert_state import standing_within
from app.web.runtime import runtime
from app.web.twiml import render
from app.web.voice.views import check_signature, public_url, twiml

# The paths are app.alerts.pages' CALL_PATH, KEY_PATH and STATUS_PATH (the worker builds them).
voice_bp = Blueprint("alert_voice", __name__, url_prefix="/alerts/voice")
voice_bp.before_request(check_signature)
log = logging.getLogger(__name__)

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
NO_INPUT = "No key pressed. The alert stays open and moves on to the next person."
SORRY = "Sorry, that could not be recorded. The alert stays open; please use the admin pages."


@dataclass(frozen=True)
class Page:
    """Which page of which alert this call is, from the query string we signed."""

    alert: int
    round: int
    step: int
    person: str

    @classmethod
    def from_query(cls) -> Page:
        args = request.args
        if not is_sealed(runtime().page_key, args, PAGE_FIELDS):
            raise ValueError("not an alert page of ours")
        numbers = [args.get(k, "") for k in ("a", "r", "s")]
        person = args.get("p", "")
        if not all(n.isdigit() and len(n) < 10 for n in numbers) or not _ID.match(person):
            raise ValueError("not an alert page")
        return cls(int(numbers[0]), int(numbers[1]), int(numbers[2]), person)

    def job_id(self, what: str) -> str:
        return f"alert-{self.alert}-{what}-r{self.round}s{self.step}"


@voice_bp.errorhandler(Exception)
def safe_answer(error: Exception) -> Response | HTTPException:
    if isinstance(error, HTTPException):
        return error
    log.exception("alert call webhook failed")
    return _say(SORRY)


@voice_bp.post("/call")
def call() -> Response:
    over = _already_over(Page.from_query())
    return _say(over) if over else _prompt("")


@voice_bp.post("/key")
def key() -> Response:
    page = Page.from_query()
    digits = request.form.get("Digits", "")
    over = _already_over(page) if digits in ("1", "2") else None
    if over:
        return _say(over)
    if digits == "1":
        return _hand_over(page.job_id(f"ack-{page.person}"), "Acknowledged. Thank you.",
                          "app.jobs.alerts.acknowledge_alert", page.alert, page.person, "call")
    if digits == "2":
        return _hand_over(page.job_id("now"), "Escalating to the next person now. Goodbye.",
                          "app.jobs.alerts.escalate_alert", page.alert, page.round, page.step,
                          f"{page.person} asked to escalate")
    return _prompt("That key does nothing.")


@voice_bp.post("/status")
def status() -> Response:
    page = Page.from_query()
    state = request.form.get("CallStatus", "")[:20]
    if state in FINISHED | {"answered", "in-progress"}:
        try:
            enqueue(runtime().notify_queue, "app.jobs.alerts.alert_call_status", page.alert, page.round,
                    page.step, page.person, state, job_id=page.job_id(f"call-{state}"))
        except REDIS_DOWN as error:
            log.warning("alert call status not recorded (%s)", error)
    return twiml(render("empty", language="en-US"))


def _already_over(page: Page) -> str | None:
    """What a late answer hears when the alert is acknowledged or resolved (None: go on)."""
    rt = runtime()
    found = standing_within(get_engine(rt.settings.database_url or None), page.alert)
    return already_over(found, rt.config)


def _prompt(lead: str) -> Response:
    hotline = runtime().config.hotline
    words = spoken(request.args.get("src", "monitoring")[:64],
                   request.args.get("sum", "an alert")[:300])
    return twiml(render("alert_call", language=hotline.language, voice=hotline.voice,
                        lead=lead, prompt=words, no_input=NO_INPUT,
                        key_url=public_url("alert_voice.key", request.args)))


def _hand_over(job_id: str, said: str, func: str, *args: object) -> Response:
    """Queue what the key asks for and say so; a Redis outage is said too."""
    try:
        enqueue(runtime().notify_queue, func, *args, job_id=job_id)
    except REDIS_DOWN as error:
        log.error("alert key press not queued (%s)", error)
        return _say(SORRY)
    return _say(said)


def _say(message: str) -> Response:
    hotline = runtime().config.hotline
    return twiml(render("goodbye", language=hotline.language, voice=hotline.voice,
                        message=message))
