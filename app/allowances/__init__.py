"""On-call allowances (pure): who was on call when, day by day, priced by day type, plus
call-out fees, per rotation and per person for a pay period."""

from app.allowances.callouts import ALERT_CALL, HOTLINE_CALL, AnsweredCall, callouts
from app.allowances.policy import (
    DAY_TYPES,
    HOLIDAY,
    PAY_PERIOD_YEARS,
    WEEKDAY,
    WEEKEND,
    AllowancePolicy,
    Rates,
)
from app.allowances.report import Line, Report, allowance_report, cents
from app.allowances.segments import Segment, on_call_segments

__all__ = [
    "ALERT_CALL", "DAY_TYPES", "HOLIDAY", "HOTLINE_CALL", "PAY_PERIOD_YEARS", "WEEKDAY", "WEEKEND",
    "AllowancePolicy", "AnsweredCall", "Line", "Rates", "Report", "Segment", "allowance_report",
    "callouts", "cents", "on_call_segments",
]
