"""The overview page: headline figures and charts of a period, and who is on call now."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from flask import render_template, request
from sqlalchemy import select

from app.calls import events as ev
from app.calls.params import is_number
from app.storage.models import Attempt, Call
from app.web.admin.calendar import day_start
from app.web.admin.calls import waiting_count
from app.web.admin.charts import Chart, column_chart, engineer_chart
from app.web.admin.oncall import chains_now, overrides_now
from app.web.admin.stats import CallPoint, Figures, days_between, figures, per_day, per_engineer
from app.web.admin.web import bp, db, now, person_name, seconds, zone

PERIODS = (7, 14, 30, 90)
DEFAULT_PERIOD = 14


def _percent(value: float) -> str:
    return f"{value:.0f} %"


@bp.get("/")
def overview() -> str:
    days_asked = request.args.get("days", "")
    period = int(days_asked) if is_number(days_asked, 4) and int(days_asked) in PERIODS else DEFAULT_PERIOD
    tz = zone()
    today = now().astimezone(tz).date()
    days = days_between(today - timedelta(days=period - 1), today)
    start, end = day_start(days[0], tz), day_start(today + timedelta(days=1), tz)
    in_period = (Call.started_at >= start) & (Call.started_at < end)
    rows = db().execute(select(Call.started_at, Call.outcome, Call.time_to_answer_seconds)
                        .where(in_period))
    points = [CallPoint(at.astimezone(tz).date(), outcome, tta)
              for at, outcome, tta in rows if at is not None]
    attempts = db().execute(select(Attempt.person, Attempt.status)
                            .join(Call, Call.call_sid == Attempt.call_sid).where(in_period))
    total = figures("period", points)
    return render_template(
        "admin/overview.html", period=period, periods=PERIODS, total=total,
        charts=charts(days, per_day(points, days), [(p, s) for p, s in attempts], points),
        waiting=waiting_count(db()), chains=chains_now(), overrides=overrides_now(),
        first=days[0], last=today, percent=_percent,
    )


def charts(days: list[date], daily: list[Figures], attempts: list[tuple[str | None, str]],
           points: list[CallPoint]) -> list[Chart]:
    def series(value: Callable[[Figures], float | None]) -> list[float | None]:
        return [value(d) for d in daily]

    voicemail = per_day([p for p in points if p.outcome == ev.OUTCOME_VOICEMAIL], days)
    abandoned = per_day([p for p in points if p.outcome == ev.OUTCOME_ABANDONED], days)
    engineers = [(person_name(f.person), f.answered, f.missed) for f in per_engineer(attempts)]
    return [
        column_chart("Calls per day", days, [
            ("answered", "answered", series(lambda d: d.answered)),
            ("missed", "missed", series(lambda d: d.missed)),
            ("other", "rejected or running", series(lambda d: d.other)),
        ], counts=True),
        column_chart("Answer rate", days, [
            ("rate", "answered of answerable",
             series(lambda d: None if d.answer_rate is None else 100 * d.answer_rate)),
        ], stacked=False, top=100, fmt=_percent),
        column_chart("Time to answer", days, [("median", "median", series(lambda d: d.median))],
                     stacked=False, fmt=seconds, marker=("p90", "90th percentile",
                                                         series(lambda d: d.p90))),
        column_chart("Missed calls", days, [
            ("voicemail", "left a voicemail", [f.total for f in voicemail]),
            ("abandoned", "hung up", [f.total for f in abandoned]),
        ], counts=True),
        engineer_chart("Answered and missed per engineer", engineers),
    ]
