"""The SLA page's chart: how many calls were answered after how long, against the target (pure)."""

from __future__ import annotations

import math

from app.sla.histogram import TenthsUp
from app.web.admin.charts import AXIS_HEIGHT, LEFT, PLOT_HEIGHT, PLOT_TOP, Chart, Label, Rect, nice_ceiling

STEPS = (1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1800, 3600)
MOST_COLUMNS = 12


def bucket_width(target_seconds: int) -> int:
    """A round width that puts the target after about four columns."""
    return next((s for s in STEPS if s * 4 >= target_seconds), STEPS[-1])


def buckets(histogram: TenthsUp, target_seconds: int) -> tuple[int, list[int]]:
    """(width, counts): column i holds the times over i * width and up to (i + 1) * width (the
    target is a column's edge, as "within" includes it); the last one every later call too.
    A histogram key (tenths, rounded up) falls in one column, the width being whole seconds."""
    width = bucket_width(target_seconds)
    tenths = width * 10
    n = max(2, min(MOST_COLUMNS, -(-max([*histogram, 20 * target_seconds]) // tenths)))
    counts = [0] * n
    for key, calls in histogram.items():
        counts[min(n - 1, max(0, -(-key // tenths) - 1))] += calls
    return width, counts


def _range(i: int, width: int, n: int) -> str:
    start = i * width
    if i == n - 1:
        return f"over {_secs(start)}"
    return f"up to {_secs(width)}" if i == 0 else f"over {_secs(start)}, up to {_secs(start + width)}"


def _secs(value: int) -> str:
    if value < 120:
        return f"{value} s"
    return f"{value // 60} min" + (f" {value % 60} s" if value % 60 else "")


def answer_time_chart(histogram: TenthsUp, target_seconds: int) -> Chart:
    """Columns of answered calls by time to answer: within the target green, later red, and a
    line at the target."""
    width, counts = buckets(histogram, target_seconds)
    n = len(counts)
    ceiling = max(2.0, nice_ceiling(max(counts, default=0)))
    slot, scale = (100.0 - LEFT) / n, PLOT_HEIGHT / ceiling
    base = PLOT_TOP + PLOT_HEIGHT
    rects = []
    for i, count in enumerate(counts):
        if count:
            # A column that straddles the target holds calls within it: it is drawn as within.
            cls = "answered" if i * width < target_seconds else "missed"
            rects.append(Rect(round(LEFT + i * slot + slot * 0.1, 3), round(slot * 0.8, 3),
                              round(base - count * scale, 2), round(count * scale, 2), cls,
                              f"{_range(i, width, n)}: {count} call{'s' * (count != 1)}"))
    target_x = LEFT + min(target_seconds / width, n) * slot
    rects.append(Rect(round(target_x - 0.25, 3), 0.5, PLOT_TOP - 4, PLOT_HEIGHT + 4, "target",
                      f"target: {target_seconds} s"))
    every = math.ceil(n / 5)
    labels = [Label(round(LEFT + i * slot, 3), base + 16, _secs(i * width))
              for i in range(0, n, every)]
    labels.append(Label(round(min(target_x + 0.8, 99.0), 3), PLOT_TOP + 6,
                        f"target {target_seconds} s", "start" if target_x < 70 else "end"))
    grid = [(base - f * PLOT_HEIGHT, f"{ceiling * f:g}") for f in (0.0, 0.5, 1.0)
            if float(ceiling * f).is_integer()]
    within = sum(c for key, c in histogram.items() if key <= 10 * target_seconds)
    summary = (f"Time to answer of {sum(counts)} answered calls in columns of {_secs(width)}: "
               f"{within} within the target of "
               f"{target_seconds} s; the table below has the values")
    rows: list[tuple[str, ...]] = [(_range(i, width, n), str(c)) for i, c in enumerate(counts)]
    return Chart("Time to answer", summary, base + AXIS_HEIGHT, rects, labels, grid,
                 [("answered", "within the target"), ("missed", "later"),
                  ("target", "target")], ("Answered after", "Calls"), rows)
