"""Which of a contract's calls came in out of hours, as a SQL expression (1 out of hours, 0 not):
the same answer as ``app.sla.hours.outside_hours``, for every call of a period at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, literal

from app.config.model import HotlineConfig, OfficeHours
from app.contracts import Contract, Tier
from app.schedule.hours import open_intervals
from app.storage.models import Call


def late_class(config: HotlineConfig, contract: Contract, start: datetime,
               end: datetime) -> ColumnElement[int]:
    """A business-hours contract's calls are out of hours by the stored flag; a 24/7 contract's
    by the business hours of the line each call came in on, computed for [start, end)."""
    if contract.tier is Tier.BUSINESS_HOURS:
        return case((Call.out_of_hours.is_(True), 1), else_=0)
    default = config.office_hours(contract.business_hours, config.default_line)
    numbers: dict[str, list[str]] = {}
    offices: dict[str, OfficeHours] = {}
    for line in config.lines.values():
        office = config.office_hours(contract.business_hours, line)
        if office is not None and (default is None or office.id != default.id):
            numbers.setdefault(office.id, []).extend(line.numbers)
            offices[office.id] = office
    otherwise = _closed(default, start, end)
    if not numbers:
        return otherwise
    return case(*((Call.hotline_number.in_(numbers[key]), _closed(offices[key], start, end))
                  for key in sorted(numbers)), else_=otherwise)


def _closed(office: OfficeHours | None, start: datetime, end: datetime) -> ColumnElement[int]:
    if office is None:
        return literal(0)
    bounds = [start, *(at for span in open_intervals(office.hours, start, end) for at in span), end]
    return closed_between(Call.started_at, bounds)


def closed_between(column: Any, bounds: Sequence[datetime]) -> ColumnElement[int]:
    """1 where the segment of ``column`` in ``bounds`` (start, open, close, ..., end) is closed
    (an even index), else 0: a balanced CASE, a handful of comparisons per row."""
    def split(low: int, high: int) -> ColumnElement[int]:
        if high - low == 1:
            return literal(1 - low % 2)
        middle = (low + high) // 2
        return case((column < bounds[middle], split(low, middle)), else_=split(middle, high))
    return split(0, len(bounds) - 1)
