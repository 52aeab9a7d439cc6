"""A contract's calls of a period for its SLA report, read through the (contract, started_at) index."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, Select, select

from app.config.model import HotlineConfig
from app.contracts import Contract
from app.schedule.periods import Period
from app.sla.hours import outside_hours
from app.sla.report import CallRecord, SlaReport, sla_report
from app.storage.accounts import FollowUp
from app.storage.models import Call


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


def contract_report(engine: Engine, config: HotlineConfig, contract: Contract,
                    period: Period) -> SlaReport:
    """The SLA report of ``contract`` for ``period``, in local days of the hotline's zone."""
    start, end = period.bounds(ZoneInfo(config.hotline.timezone))
    with engine.connect() as conn:
        records = sla_records(conn, contract.id, start, end)
    return sla_report(contract.id, contract.name, contract.answer_target, period, records,
                      outside_hours(config, contract))
