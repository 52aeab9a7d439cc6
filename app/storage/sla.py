"""A contract's SLA report for a period, counted in the database through the (contract,
started_at) index; and the same calls one by one, the reference the counts are tested against."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Integer,
    Select,
    Subquery,
    case,
    cast,
    func,
    select,
    text,
)

from app.calls import events as ev
from app.config.model import HotlineConfig
from app.contracts import AnswerTarget, Contract, Counted
from app.schedule.periods import Period
from app.sla.hours import outside_hours
from app.sla.report import MISSED_OUTCOMES, CallRecord, SlaReport, handled_times, sla_report
from app.sla.summary import (
    CallGroup,
    answered_histogram,
    grouped_report,
    missed_total,
    needed_keys,
    ranked_values,
    uniform_values,
)
from app.storage.accounts import FollowUp
from app.storage.models import Call
from app.storage.sla_hours import late_class


def sla_statement(contract: str, start: datetime, end: datetime) -> Select[*tuple[Any, ...]]:
    """The contract's calls that started in [start, end), each with when it was marked handled."""
    return (
        select(Call.call_sid, Call.started_at, Call.outcome, Call.time_to_answer_seconds,
               Call.waited_seconds, Call.out_of_hours, Call.caller, Call.hotline_number,
               Call.ended_at, FollowUp.handled_at)
        .outerjoin(FollowUp, FollowUp.call_sid == Call.call_sid)
        .where(Call.contract == contract, Call.started_at >= start, Call.started_at < end)
    )


def sla_records(conn: Connection, contract: str, start: datetime, end: datetime) -> list[CallRecord]:
    rows = conn.execute(sla_statement(contract, start, end))
    return [
        CallRecord(call_sid=sid, started_at=started, outcome=outcome, time_to_answer=tta,
                   waited=waited, out_of_hours=bool(late), caller=caller, hotline_number=number,
                   ended_at=ended, handled_at=handled)
        for sid, started, outcome, tta, waited, late, caller, number, ended, handled in rows
    ]


def contract_report(engine: Engine, config: HotlineConfig, contract: Contract, period: Period,
                    missed_listed: int | None = None) -> SlaReport:
    """The SLA report of ``contract`` for ``period``, in local days of the hotline's zone,
    listing the first ``missed_listed`` missed calls (None: all). The database counts the
    calls; only the listed ones, the voicemails' follow-ups and the times at the quantiles'
    ranks (when the counts do not tell them) come back one by one."""
    start, end = period.bounds(ZoneInfo(config.hotline.timezone))
    late = late_class(config, contract, start, end)
    target = contract.answer_target
    with engine.connect() as conn:
        calls = period_calls(contract.id, start, end, late, conn.dialect.name)
        groups = call_groups(conn, calls)
        ranked = quantile_values(conn, calls, groups, target)
        every = missed_listed is None or missed_listed >= missed_total(groups)
        listed = missed_records(conn, contract.id, start, end, late, missed_listed)
        handled = handled_times(listed) if every else handled_times(
            voicemail_follow_ups(conn, contract.id, start, end))
    return grouped_report(contract.id, contract.name, target, period, groups, listed, ranked,
                          handled)


def call_groups(conn: Connection, calls: Subquery) -> list[CallGroup]:
    _hash_the_groups(conn)
    return [CallGroup(outcome, bool(is_late), None if key is None else int(key), int(n),
                      shortest, longest)
            for outcome, is_late, key, n, shortest, longest in conn.execute(grouped(calls))]


def quantile_values(conn: Connection, calls: Subquery, groups: Sequence[CallGroup],
                    target: AnswerTarget) -> dict[int, float]:
    """rank -> time to answer, for the ranks the median and p90 need."""
    firsts = needed_keys(answered_histogram(groups, target))
    known = uniform_values(groups, firsts, target)
    if known is not None:
        return known
    return ranked_values(firsts, _times(conn, calls, firsts, target))


def _hash_the_groups(conn: Connection) -> None:
    """PostgreSQL cannot estimate how many groups the CASE expressions make, takes every call for
    one, and sorts them all on disk (work_mem 4 MB): with room for the hash of the real few
    thousand groups it counts 2-3 times faster. For this transaction only."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL work_mem = '16MB'"))


def reference_report(engine: Engine, config: HotlineConfig, contract: Contract,
                     period: Period) -> SlaReport:
    """The same report from every call loaded into Python (``sla_report``), for comparison."""
    start, end = period.bounds(ZoneInfo(config.hotline.timezone))
    with engine.connect() as conn:
        records = sla_records(conn, contract.id, start, end)
    return sla_report(contract.id, contract.name, contract.answer_target, period, records,
                      outside_hours(config, contract))


def tenths_up(seconds: Any, dialect: str) -> ColumnElement[int]:
    """``app.sla.histogram.tenths_up`` in SQL (SQLite may lack ceil; its CAST truncates)."""
    scaled = seconds * 10
    if dialect == "postgresql":
        return cast(func.ceil(scaled), Integer)
    whole = cast(scaled, Integer)
    return whole + case((scaled > whole, 1), else_=0)


def period_calls(contract: str, start: datetime, end: datetime, late: ColumnElement[int],
                 dialect: str) -> Subquery:
    """The contract's calls of [start, end): outcome, out-of-hours class, and for answered
    calls the time to answer and its histogram key."""
    answered = Call.outcome == ev.OUTCOME_CONNECTED
    tenths = tenths_up(Call.time_to_answer_seconds, dialect)
    return (select(Call.outcome.label("outcome"), late.label("late"),
                   case((answered, tenths), else_=None).label("tenths"),
                   case((answered, Call.time_to_answer_seconds), else_=None).label("tta"))
            .where(_of(contract, start, end)).subquery())


def grouped(calls: Subquery) -> Select[*tuple[Any, ...]]:
    """(outcome, class, histogram key, calls, shortest and longest time to answer) of
    ``calls``: the outer query groups, so PostgreSQL sees the class expression with its
    parameters once."""
    c = calls.c
    return (select(c.outcome, c.late, c.tenths, func.count(), func.min(c.tta), func.max(c.tta))
            .group_by(c.outcome, c.late, c.tenths))


def _times(conn: Connection, calls: Subquery, keys: Iterable[int],
           target: AnswerTarget) -> list[tuple[int, float]]:
    """(key, time) of the counted answered calls whose histogram key is one of ``keys``."""
    wanted = select(calls.c.tenths, calls.c.tta).where(calls.c.tenths.in_(list(keys)))
    if target.counts is not Counted.ALL:
        wanted = wanted.where(calls.c.late == 0)
    return [(int(key), float(tta)) for key, tta in conn.execute(wanted)]


def missed_records(conn: Connection, contract: str, start: datetime, end: datetime,
                   late: ColumnElement[int], limit: int | None = None) -> list[CallRecord]:
    """The first ``limit`` (None: all) missed calls, oldest first, ``out_of_hours`` holding
    their class."""
    listed: Select[*tuple[Any, ...]] = (
        select(Call.call_sid, Call.started_at, Call.outcome, Call.waited_seconds, late,
               Call.caller, Call.ended_at, FollowUp.handled_at)
        .outerjoin(FollowUp, FollowUp.call_sid == Call.call_sid)
        .where(_of(contract, start, end), Call.outcome.in_(sorted(MISSED_OUTCOMES)))
        .order_by(Call.started_at, Call.call_sid).limit(limit))
    rows = conn.execute(listed)
    return [CallRecord(call_sid=sid, started_at=started, outcome=outcome, waited=waited,
                       out_of_hours=bool(is_late), caller=caller, ended_at=ended,
                       handled_at=handled)
            for sid, started, outcome, waited, is_late, caller, ended, handled in rows]


def voicemail_follow_ups(conn: Connection, contract: str, start: datetime,
                         end: datetime) -> list[CallRecord]:
    """The voicemails marked handled, with what ``handled_times`` needs."""
    handled: Select[*tuple[Any, ...]] = (
        select(Call.call_sid, Call.started_at, Call.ended_at, FollowUp.handled_at)
        .join(FollowUp, FollowUp.call_sid == Call.call_sid)
        .where(_of(contract, start, end), Call.outcome == ev.OUTCOME_VOICEMAIL))
    return [CallRecord(call_sid=sid, started_at=started, outcome=ev.OUTCOME_VOICEMAIL,
                       ended_at=ended, handled_at=handled_at)
            for sid, started, ended, handled_at in conn.execute(handled)]


def _of(contract: str, start: datetime, end: datetime) -> ColumnElement[bool]:
    return (Call.contract == contract) & (Call.started_at >= start) & (Call.started_at < end)
