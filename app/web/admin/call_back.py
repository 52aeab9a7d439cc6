"""Calling a customer back who asked for it: the page the SMS links to, and its button.

The hotline rings the engineer first (a call through the notification ledger and
``app/notify/twilio_api.py``); the webhooks of that call are in ``app/web/voice/dialback.py``.
The page shows the number and the contract before anything is dialled, and the number is
checked again against the toll-fraud rules when the button is pressed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from app.calls import events as ev
from app.calls.dialback import OK, refusal
from app.calls.dialback_legs import RING_SECONDS, CallbackState
from app.notify.delivery import CALL, Outgoing
from app.notify.dispatch import dispatch
from app.storage.models import Call, EventRecord
from app.web.admin.auth import engineers_may_open, signed_in_person
from app.web.admin.web import bp, db, runtime
from app.web.voice.views import url_builder


@dataclass(frozen=True)
class Requested:
    """A callback a caller asked for, and what became of the attempts so far."""

    number: str
    contract: str
    contract_name: str
    line: str
    chain: tuple[str, ...]
    attempts: tuple[dict[str, Any], ...]


def requested(call_sid: str) -> Requested | None:
    rows = db().scalars(select(EventRecord).where(
        EventRecord.call_sid == call_sid,
        EventRecord.type.in_((ev.CALLBACK_REQUESTED, ev.CALLBACK_LEG, ev.CALLBACK_RESULT)))
        .order_by(EventRecord.at)).all()
    asked = next((r.data for r in rows if r.type == ev.CALLBACK_REQUESTED), None)
    if not asked:
        return None
    contract = runtime().config.directory.get(str(asked.get("contract") or ""))
    return Requested(
        number=str(asked.get("number")), contract=contract.id if contract else "",
        contract_name=contract.name if contract else "an unidentified caller",
        line=str(asked.get("line") or ""), chain=tuple(asked.get("chain") or ()),
        attempts=tuple({"at": r.at, "type": r.type, **(r.data or {})} for r in rows
                       if r.type != ev.CALLBACK_REQUESTED))


def _allowed(asked: Requested, person: str | None) -> bool:
    """Admins call back any request; an engineer those whose chain they are in."""
    own = signed_in_person()
    return own is None or (own == person and own in asked.chain)


@bp.get("/calls/<call_sid>/call-back")
@engineers_may_open
def call_back_page(call_sid: str) -> str:
    asked = requested(call_sid)
    if asked is None or db().get(Call, call_sid) is None:
        abort(404)
    own = signed_in_person()
    if own is not None and own not in asked.chain:
        abort(403)
    config = runtime().config
    return render_template("admin/call_back.html", call_sid=call_sid, asked=asked,
                           refused=refusal(asked.number, config), people=config.people,
                           me=own)


@bp.post("/calls/<call_sid>/call-back")
@engineers_may_open
def call_back(call_sid: str) -> BaseResponse:
    asked = requested(call_sid)
    if asked is None:
        abort(404)
    rt = runtime()
    person = rt.config.people.get(request.form.get("person") or signed_in_person() or "")
    if person is None or not _allowed(asked, person.id):
        abort(403)
    reason = refusal(asked.number, rt.config)
    if reason != OK:
        flash(f"The hotline does not call {asked.number}: {reason}.")
    elif rt.services is None:
        flash("Calls cannot be placed from here: the hotline has no database and queue.")
    else:
        attempt = secrets.token_hex(4)
        state = CallbackState(call_sid, asked.number, asked.contract, person.id, asked.line,
                              attempt)
        build = url_builder(rt, request._get_current_object())  # type: ignore[attr-defined]
        query = state.to_query(rt.state_key)
        dispatch(rt.services, [Outgoing(
            f"call:{call_sid}", f"callback-{attempt}", person.id, CALL, person.phone,
            f"Callback to {asked.number}", {
                "url": build("voice.callback_answered", query),
                "status_callback": build("voice.callback_status", query),
                "timeout": RING_SECONDS})])
        flash(f"The hotline calls {person.name} on {person.phone} now; press 1 to be "
              f"put through to {asked.number}.")
    return redirect(url_for("admin.call_back_page", call_sid=call_sid), 303)
