"""Twilio's incoming-message webhook (``POST /sms/inbound``): SMS replies to alerts.

Signed by Twilio like the voice webhooks and checked the same way. No database and no wait
here: the sender is looked up in the configuration, the command queued for a worker
(app.alerts.replies), which answers by SMS. What needs no database is answered at once in
messaging TwiML: the help text. Twilio's STOP/START/HELP keywords and strangers get an empty
``<Response/>`` (decision 0013).
"""

from __future__ import annotations

import hashlib
import logging

from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException

from app.alerts.commands import HELP, HELP_TEXT, TWILIO_KEYWORD, read_reply
from app.alerts.people import people_with_number
from app.eventlog.queueing import REDIS_DOWN
from app.notify.queueing import enqueue
from app.web.runtime import runtime
from app.web.twiml import render
from app.web.voice.views import check_signature, twiml

bp = Blueprint("sms", __name__, url_prefix="/sms")
bp.before_request(check_signature)
log = logging.getLogger(__name__)

NOT_QUEUED = "Sorry, that could not be recorded right now. The alert stays open; try again."


@bp.errorhandler(Exception)
def safe_answer(error: Exception) -> Response | HTTPException:
    if isinstance(error, HTTPException):
        return error
    log.exception("incoming SMS webhook failed")
    return _message("")


@bp.post("/inbound")
def inbound() -> Response:
    form = request.form
    number, body = form.get("From", "")[:64], form.get("Body", "")
    command = read_reply(body)
    if command.action == TWILIO_KEYWORD:
        return _message("")  # Twilio answers these itself and keeps the opt-out list
    if not people_with_number(runtime().config, number):
        log.warning("an SMS from %r, who is not in the configuration: not answered", number)
        return _message("")
    if command.action == HELP:
        return _message(HELP_TEXT)
    sid = form.get("MessageSid", "")[:64]
    job_id = "sms-in-" + hashlib.sha256(f"{sid}|{number}|{body}".encode()).hexdigest()[:40]
    try:
        enqueue(runtime().notify_queue, "app.jobs.alerts.answer_sms", number, command.action,
                command.alert_id, sid or job_id, job_id=job_id)
    except REDIS_DOWN as error:
        log.error("SMS reply not queued (%s)", error)
        return _message(NOT_QUEUED)
    return _message("")  # the worker's SMS says what happened


def _message(text: str) -> Response:
    return twiml(render("message", language="en-US", message=text))
