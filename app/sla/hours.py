"""Which calls of a contract came in out of hours."""

from __future__ import annotations

from collections.abc import Callable

from app.config.model import HotlineConfig
from app.contracts import Contract, Tier
from app.schedule import is_open
from app.sla.report import CallRecord, stored_flag


def outside_hours(config: HotlineConfig, contract: Contract) -> Callable[[CallRecord], bool]:
    """A business-hours contract's call was out of hours when the caller heard that the hotline
    was closed (the log says so); a 24/7 contract's when it came in outside the business hours
    of its contract or line, if any are configured."""
    if contract.tier is Tier.BUSINESS_HOURS:
        return stored_flag

    def outside(record: CallRecord) -> bool:
        office = config.office_hours(contract.business_hours,
                                     config.line_for(record.hotline_number))
        return office is not None and not is_open(office.hours, record.started_at)

    return outside
