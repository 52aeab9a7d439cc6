"""Times to answer counted per tenth of a second ({tenths: calls}), and their quantiles,
interpolated between closest ranks exactly as ``app.sla.report.quantile`` over the values.

Two roundings, for two uses: the overview's histograms round to the nearest tenth (its medians
and 90th percentiles come only from them, so the error is at most half a tenth); the SLA
report's round up (``tenths_up``), so that a whole-second bound, the target or a chart column's
edge, is the edge of a key and "answered within the target" is exact (its median and p90 are
read exactly, decision 0018)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping

Histogram = Mapping[int, int]  # tenths of a second -> how many calls
TenthsUp = dict[int, int]  # time to answer in tenths of a second, rounded up -> answered calls


def tenths_up(seconds: float) -> int:
    """The SLA histogram's key of ``seconds``: a key k holds the times over (k - 1) / 10 and up
    to k / 10, so a whole-second bound (the target, a chart column's edge) is a key's edge."""
    return math.ceil(seconds * 10)


def tenths_up_counts(times: Iterable[float]) -> TenthsUp:
    return dict(Counter(tenths_up(t) for t in times))


def tenths(seconds: float) -> int:
    """``seconds`` to the nearest tenth, halves up (as the database rounds it, see
    app/storage/daily.py)."""
    return math.floor(seconds * 10 + 0.5)


def histogram_of(values: Iterable[float]) -> dict[int, int]:
    return dict(Counter(tenths(v) for v in values))


def summed(histograms: Iterable[Histogram]) -> dict[int, int]:
    total: Counter[int] = Counter()
    for histogram in histograms:
        total.update(histogram)
    return dict(total)


def histogram_quantile(histogram: Histogram, q: float) -> float | None:
    """The ``q`` quantile in seconds of the values the histogram counts (None if none)."""
    n = sum(histogram.values())
    if not n:
        return None
    pos = q * (n - 1)
    low, high = math.floor(pos), math.ceil(pos)
    at_low, at_high = _values_at(histogram, (low, high))
    return at_low + (at_high - at_low) * (pos - low)


def _values_at(histogram: Histogram, ranks: tuple[int, int]) -> tuple[float, float]:
    """The values of two ranks (0-based, the first not after the second) in ascending order."""
    found: list[float] = []
    seen = 0
    for key in sorted(histogram):
        seen += histogram[key]
        while len(found) < len(ranks) and ranks[len(found)] < seen:
            found.append(key / 10)
        if len(found) == len(ranks):
            break
    return found[0], found[1]
