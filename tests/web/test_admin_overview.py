"""Overview figures and charts: the arithmetic as tables of cases, then the page over stored calls."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask

from app.web.admin.charts import column_chart, engineer_chart, nice_ceiling
from app.web.admin.stats import CallPoint, figures, per_day, per_engineer, quantile
from app.web.admin.timeline import ticks

D1, D2 = date(2026, 11, 30), date(2026, 12, 1)


@pytest.mark.parametrize(("values", "q", "expected"), [
    ([], 0.5, None),
    ([7.0], 0.9, 7.0),
    ([1.0, 2.0, 3.0, 4.0], 0.5, 2.5),
    ([10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0], 0.9, 91.0),
    ([5.0, 1.0, 3.0], 0.5, 3.0),
])
def test_quantiles(values: list[float], q: float, expected: float | None) -> None:
    assert quantile(values, q) == expected


def test_figures_count_answered_missed_and_leave_rejected_out_of_the_rate() -> None:
    points = [CallPoint(D1, "connected", 10.0), CallPoint(D1, "connected", 30.0),
              CallPoint(D1, "voicemail", None), CallPoint(D1, "abandoned", None),
              CallPoint(D1, "rejected", None), CallPoint(D1, None, None)]
    f = figures("d", points)
    assert (f.total, f.answered, f.missed, f.other) == (6, 2, 2, 2)
    assert f.answer_rate == 0.5 and f.median == 20.0 and f.p90 == 28.0
    assert figures("empty", []).answer_rate is None


def test_days_without_calls_are_shown_as_zero() -> None:
    daily = per_day([CallPoint(D2, "connected", 5.0)], [D1, D2])
    assert [(f.label, f.total, f.median) for f in daily] == [
        ("2026-11-30", 0, None), ("2026-12-01", 1, 5.0)]


def test_per_engineer_counts_attempts_they_could_have_taken() -> None:
    rows = per_engineer([("dana", "connected"), ("dana", "no-answer"), ("bob", "declined"),
                         ("bob", "busy"), ("bob", "canceled"), (None, "failed"), ("erin", "ringing")])
    assert [(r.person, r.answered, r.missed) for r in rows] == [("bob", 0, 2), ("dana", 1, 1)]


def test_charts_scale_to_a_round_top_and_stack() -> None:
    assert [nice_ceiling(v) for v in (0, 1, 3, 7, 12, 51)] == [1, 1, 5, 10, 20, 100]
    chart = column_chart("Calls", [D1, D2], [("answered", "answered", [3, 1]),
                                             ("missed", "missed", [1, 0])])
    answered, missed, second = chart.rects
    assert (answered.cls, missed.cls, second.cls) == ("answered", "missed", "answered")
    assert answered.h == 130 * 3 / 5 and missed.y + missed.h == answered.y  # stacked on top
    assert chart.table_rows == [("Nov 30", "3", "1"), ("Dec 1", "1", "0")]
    assert [label for _, label in chart.grid] == ["0", "2.5", "5"]


def test_engineer_bars_share_one_scale() -> None:
    chart = engineer_chart("People", [("Dana", 3, 1), ("Bob", 0, 2)])
    widths = {(r.title.split(":")[0], r.cls): r.w for r in chart.rects}
    assert widths == {("Dana", "answered"): 75.0, ("Dana", "missed"): 25.0, ("Bob", "missed"): 50.0}


def test_timeline_ticks_are_round() -> None:
    assert ticks(25) == (0.0, 5.0, 10.0, 15.0, 20.0, 25.0)
    assert ticks(130) == (0.0, 30.0, 60.0, 90.0, 120.0)


def test_the_overview_page(seeded: Flask, as_admin: Any, clock: list[Any]) -> None:
    clock[0] += timedelta(hours=1)
    last_week = as_admin.get("/admin/?days=7").get_data(as_text=True)
    assert "<dt>Calls</dt><dd>6</dd>" in last_week  # the first call was 7 days ago
    html = as_admin.get("/admin/?days=14").get_data(as_text=True)
    figures_shown = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", html))
    assert figures_shown["Calls"] == "7" and figures_shown["Answered"] == "5"
    assert figures_shown["Missed"] == "2" and figures_shown["Answer rate"] == "71 %"
    for title in ("Calls per day", "Answer rate", "Time to answer", "Missed calls",
                  "Answered and missed per engineer"):
        assert f"<h3>{title}</h3>" in html
    assert html.count('<svg width="100%"') == 5
    assert "Dana: 3 answered, 2 missed" in html
    chain = html.split("A call now rings")[1].split("</section>")[0]
    assert re.findall(r"<strong>(\w+)</strong>", chain)[:4] == ["Dana", "Alice", "Erin", "Carol"]
    assert as_admin.get("/admin/?days=3").status_code == 200  # an unknown period: the default


def test_a_non_ascii_period_falls_back_to_the_default(as_admin) -> None:  # type: ignore[no-untyped-def]
    response = as_admin.get("/admin/?days=%C2%B2")  # "²": isdigit() yet not int()-able
    assert response.status_code == 200
