"""Counting calls and dial attempts as their events are first stored: once each, however often
Twilio or a retried job delivers them (``hotline_calls_total``, ``hotline_dial_attempts_total``).

A call counts when its end is settled (``call.settled``, stored a while after the end by a
batch the log worker queued then): by then the events that trail the end or that another worker
stored out of order (the voicemail's recording, the call's start) are in its log, and the one
transaction that first stores that event counts it, with the outcome its log shows. A worker
killed between storing and counting loses those counts: the log itself is complete."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from app.calls import events as ev
from app.calls.fold import FoldedCall
from app.telemetry.series import CALLS, DIAL_ATTEMPTS

ATTEMPT_OUTCOMES = frozenset({ev.CONNECTED, ev.NO_ANSWER, ev.BUSY, ev.FAILED, ev.DECLINED,
                              ev.NOT_ACCEPTED, ev.CANCELED})
DEFAULT_LINE = "default"  # the [hotline] section's own numbers (a line without an id)
CALL_OUTCOMES = frozenset({ev.OUTCOME_CONNECTED, ev.OUTCOME_VOICEMAIL, ev.OUTCOME_ABANDONED,
                           ev.OUTCOME_REJECTED, ev.OUTCOME_CALLBACK, ev.OUTCOME_CALLED_BACK})


def count_new(new_rows: Iterable[dict[str, Any]], folded: Mapping[str, FoldedCall]) -> None:
    """Count the dial results and settled calls among events stored for the first time just
    now, ``folded`` holding their calls as just rebuilt: a call with its log's outcome then."""
    for row in new_rows:
        if row["type"] == ev.DIAL_RESULT:
            outcome = (row["data"] or {}).get("outcome")
            DIAL_ATTEMPTS.labels(outcome if outcome in ATTEMPT_OUTCOMES else "other").inc()
        elif row["type"] == ev.CALL_SETTLED and row["call_sid"] in folded:
            CALLS.labels(*call_labels(folded[row["call_sid"]])).inc()


def call_labels(call: FoldedCall) -> tuple[str, str, str]:
    """(outcome, line, tier) of a call; "unknown" where its log does not say."""
    data = {e.type: e.data for e in call.log if e.type in (ev.CALL_STARTED, ev.CALL_IDENTIFIED)}
    line = data.get(ev.CALL_STARTED, {}).get("line")
    tier = data.get(ev.CALL_IDENTIFIED, {}).get("tier")
    outcome = call.summary.outcome
    return (outcome if outcome in CALL_OUTCOMES else "unknown",
            (line or DEFAULT_LINE) if isinstance(line, str) else "unknown",
            tier if isinstance(tier, str) and tier else "unknown")
