"""Webhooks whose query carries more than the call state: the busy wait's round (also in the
result of a dial after one), the incident.

Twilio signs the whole URL, so these values come from us; they are read leniently all the same.
"""

from __future__ import annotations

from flask import Request, Response

from app.calls.params import is_number
from app.web.runtime import runtime
from app.web.voice.views import NO_STATE, answer, bp, current_request, flow, params, state


@bp.post("/busy-retry")
def busy_retry() -> Response:
    rt, req = runtime(), current_request()
    found = round_of(req)
    return answer(rt, flow(rt, req).busy_retry(params(req), state(rt, req) or NO_STATE,
                                               99 if found is None else found))


@bp.post("/dial-result")
def dial_result() -> Response:
    rt, req = runtime(), current_request()
    return answer(rt, flow(rt, req).dial_result(params(req), state(rt, req) or NO_STATE,
                                                round_of(req) or 0))


@bp.post("/callback-key")
def callback_key() -> Response:
    rt, req = runtime(), current_request()
    return answer(rt, flow(rt, req).callback_key(params(req), state(rt, req) or NO_STATE,
                                                 round_of(req)))


@bp.post("/incident-key")
def incident_key() -> Response:
    rt, req = runtime(), current_request()
    text = req.args.get("i", "")
    incident = int(text) if is_number(text) else None
    return answer(rt, flow(rt, req).incident_key(params(req), state(rt, req) or NO_STATE,
                                                 incident))


def round_of(req: Request) -> int | None:
    """Which wait for busy engineers a request is about; None outside one, 99 if unreadable."""
    text = req.args.get("r")
    if text is None:
        return None
    return int(text) if is_number(text, limit=3) else 99
