"""The overview page: headline figures and charts of a period, and who is on call now."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from flask import render_template, request

from app.calls import events as ev
from app.calls.params import is_number
from app.sla.histogram import histogram_quantile
from app.storage.call_days import figures_of_days
from app.storage.daily import DayFigures, summed_days
from app.web.admin.calls import shown_waiting_count
from app.web.admin.charts import Chart, column_chart, engineer_chart
from app.web.admin.oncall import chains_now, overrides_now
from app.web.admin.stats import Figures, counted_figures, days_between, per_engineer_counted
from app.web.admin.web import bp, db, now, person_name, seconds, zone

PERIODS = (7, 14, 30, 90)
DEFAULT_PERIOD = 14


def _percent(value: float) -> str:
    return f"{value:.0f} %"


@bp.get("/")
def overview() -> str:
    days_asked = request.args.get("days", "")
    period = int(days_asked) if is_number(days_asked, 4) and int(days_asked) in PERIODS else DEFAULT_PERIOD
    today = now().astimezone(zone()).date()
    days = days_between(today - timedelta(days=period - 1), today)
    per_day = figures_of_days(db(), zone(), days, now())
    period_figures = summed_days(per_day)
    daily = [_figures(d.isoformat(), f) for d, f in zip(days, per_day, strict=True)]
    total = _figures("period", period_figures)
    attempts = [(person, status, n) for (person, status), n in period_figures.attempts.items()]
    return render_template(
        "admin/overview.html", period=period, periods=PERIODS, total=total,
        charts=charts(days, daily, per_day, attempts),
        waiting=shown_waiting_count(), chains=chains_now(), overrides=overrides_now(),
        first=days[0], last=today, percent=_percent,
    )


def _figures(label: str, day: DayFigures) -> Figures:
    quantiles = {tenths: value for tenths in (5, 9)
                 if (value := histogram_quantile(day.answer_tenths, tenths / 10)) is not None}
    return counted_figures(label, day.outcomes, quantiles)


def charts(days: list[date], daily: list[Figures], per_day: list[DayFigures],
           attempts: list[tuple[str | None, str, int]]) -> list[Chart]:
    def series(value: Callable[[Figures], float | None]) -> list[float | None]:
        return [value(d) for d in daily]

    def missed(outcome: str) -> list[float | None]:
        return [d.outcomes.get(outcome, 0) for d in per_day]

    engineers = [(person_name(f.person), f.answered, f.missed)
                 for f in per_engineer_counted(attempts)]
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
            ("voicemail", "left a voicemail", missed(ev.OUTCOME_VOICEMAIL)),
            ("abandoned", "hung up", missed(ev.OUTCOME_ABANDONED)),
        ], counts=True),
        engineer_chart("Answered and missed per engineer", engineers),
    ]
