"""The webhooks of calling a customer back: the engineer's leg and the customer's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response

from app.calls.dialback_legs import CallbackState
from app.calls.flow import CallFlow
from app.web.runtime import runtime
from app.web.voice.views import answer, bp, current_request, first_values, flow, logged, params


def callback_view(step: Callable[..., Any], respond: Callable[..., Response]
                  ) -> Callable[[], Response]:
    """A webhook handing Twilio's form and the sealed callback state to one step."""
    def view() -> Response:
        rt, req = runtime(), current_request()
        found = CallbackState.from_query(first_values(req.args), rt.state_key)
        return respond(rt, step(flow(rt, req), params(req), found))
    return view


# path: endpoint, the flow's step, what it answers
CALLBACK_STEPS: dict[str, tuple[str, Callable[..., Any], Callable[..., Response]]] = {
    "/callback/answered": ("callback_answered", CallFlow.callback_answered, answer),
    "/callback/accept": ("callback_accept", CallFlow.callback_accept, answer),
    "/callback/greet": ("callback_greet", CallFlow.callback_greet, answer),
    "/callback/result": ("callback_result", CallFlow.callback_result, answer),
    "/callback/status": ("callback_status", CallFlow.callback_status, logged),
}
for path, (endpoint, step, respond) in CALLBACK_STEPS.items():
    bp.add_url_rule(path, endpoint, callback_view(step, respond), methods=["POST"])
