"""A failure inside a webhook still answers TwiML that rings a person, never an error."""

from __future__ import annotations

from sqlalchemy import select

from app.calls import events as ev
from app.calls.ledger import summarise
from app.config.notifications import notifications_of
from app.devtools.simulator import Answer, CallerScript, NoAnswer
from app.escalation import build_chain
from app.jobs.events import triggers
from app.notify.calls import VOICEMAIL, plan_call
from app.storage import get_engine
from app.storage.models import Voicemail
from app.storage.store import store_events
from tests.support.constants import ACME, CAROL, ERIN, HOTLINE


def broken_clock():  # type: ignore[no-untyped-def]
    raise RuntimeError("the clock broke")


def test_an_exception_still_reaches_the_cio(app, sim) -> None:  # type: ignore[no-untyped-def]
    app.extensions["hotline"].clock = broken_clock
    result = sim.place_call(ACME, HOTLINE, phones={CAROL: Answer(press=None), ERIN: NoAnswer()})
    assert result.errors == []
    assert result.caller_heard[0].startswith("We are sorry, something went wrong")
    assert set(result.dialed) == {CAROL, ERIN}
    assert result.connected_to == CAROL
    assert result.requests[0].status == 200


def test_an_exception_and_nobody_answers_ends_in_a_recording(app, sim) -> None:  # type: ignore[no-untyped-def]
    app.extensions["hotline"].clock = broken_clock
    result = sim.place_call(ACME, HOTLINE, CallerScript(record_seconds=5),
                            {CAROL: NoAnswer(), ERIN: NoAnswer()})
    assert result.errors == []
    assert result.recorded
    assert result.caller_heard[-1].startswith("We are sorry, no engineer could take your call")


def test_the_safe_voicemail_ends_the_call_and_reaches_the_log_and_the_chain(  # type: ignore[no-untyped-def]
        app, sim, sink, config, db_url) -> None:
    app.extensions["hotline"].clock = broken_clock
    result = sim.place_call(ACME, HOTLINE, CallerScript(record_seconds=20, record_key="#"),
                            {CAROL: NoAnswer(), ERIN: NoAnswer()})

    assert result.errors == []  # no loop: the recording is handed to its own action
    assert result.recorded
    assert len(result.requests_to("/voice/safe-result")) == 1
    assert result.caller_heard[-1].startswith("Thank you. Your message has been recorded")
    assert result.end_status == "completed"
    summary = summarise(sink.events)
    assert summary.outcome == ev.OUTCOME_VOICEMAIL
    assert summary.caller == ACME and summary.hotline_number == HOTLINE
    assert [(v.duration, v.status) for v in summary.voicemails] == [(20, "completed")]
    assert triggers(sink.events) >= {(result.call_sid, VOICEMAIL)}
    # The voicemail notification goes out as for any voicemail: to the line's on-call person
    # and to those the safe path rang (the CIO and the named backup), not to the whole chain.
    told = plan_call(sink.events, config, notifications_of(config), VOICEMAIL, None)
    assert summary.started_at is not None
    chain = build_chain(config.policy, config.rotations, summary.started_at).people
    assert chain == ("dana", "alice", "erin", "carol")
    assert {o.recipient for o in told} == {"dana", "erin", "carol"}
    assert {o.kind for o in told} == {VOICEMAIL}
    store_events(get_engine(db_url), sink.events)
    with get_engine(db_url).connect() as conn:
        rows = conn.execute(select(Voicemail.call_sid, Voicemail.duration)).all()
    assert [tuple(row) for row in rows] == [(result.call_sid, 20)]


def test_a_caller_who_hangs_up_after_the_safe_voicemail_is_logged_too(app, sim, sink) -> None:  # type: ignore[no-untyped-def]
    app.extensions["hotline"].clock = broken_clock
    result = sim.place_call(ACME, HOTLINE, CallerScript(record_seconds=9),
                            {CAROL: NoAnswer(), ERIN: NoAnswer()})

    assert result.errors == [] and result.recorded
    assert len(result.requests_to("/voice/safe-result")) == 1
    assert [v.duration for v in summarise(sink.events).voicemails] == [9]
    assert triggers(sink.events) >= {(result.call_sid, VOICEMAIL)}
