"""Quantiles over a histogram of times in tenths of a second equal the quantiles over the times
rounded to tenths (app/sla/histogram.py), so a stored day gives the figures its calls give."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.sla.histogram import histogram_of, histogram_quantile, summed, tenths
from app.sla.report import quantile

TIMES = st.lists(st.floats(min_value=0, max_value=600, allow_nan=False), max_size=60)


@settings(max_examples=200, deadline=None)
@given(TIMES, st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]))
def test_a_histograms_quantile_is_the_quantile_of_the_rounded_times(times: list[float], q: float) -> None:
    rounded = [tenths(t) / 10 for t in times]
    assert histogram_quantile(histogram_of(times), q) == quantile(rounded, q)


@settings(max_examples=100, deadline=None)
@given(TIMES, TIMES)
def test_the_sum_of_two_days_is_the_histogram_of_both(first: list[float], second: list[float]) -> None:
    assert summed([histogram_of(first), histogram_of(second)]) == histogram_of(first + second)


@pytest.mark.parametrize(("seconds", "expected"), [(0.0, 0), (0.04, 0), (0.05, 1), (12.34, 123),
                                                   (12.35, 124), (7.0, 70)])
def test_times_round_to_the_nearest_tenth_halves_up(seconds: float, expected: int) -> None:
    assert tenths(seconds) == expected
