"""Chart geometry for server-rendered SVG: columns per day and bars per engineer (pure).

Horizontal positions are percentages of the picture's width and vertical ones pixels, so a
chart fills a phone or a desktop screen while its text keeps a readable size.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

PLOT_TOP, PLOT_HEIGHT, AXIS_HEIGHT = 10, 130, 22
LEFT = 10.0  # percent kept for the value labels
ROW = 40     # pixels per engineer


@dataclass(frozen=True)
class Rect:
    x: float  # percent
    w: float  # percent
    y: float  # pixels
    h: float  # pixels
    cls: str
    title: str


@dataclass(frozen=True)
class Label:
    x: float  # percent
    y: float  # pixels
    text: str
    anchor: str = "middle"


@dataclass(frozen=True)
class Chart:
    title: str
    summary: str
    height: int
    rects: list[Rect]
    labels: list[Label]
    grid: list[tuple[float, str]]  # (y in pixels, value label)
    legend: list[tuple[str, str]]  # (css class, name)
    table_head: tuple[str, ...]
    table_rows: list[tuple[str, ...]] = field(default_factory=list)


Series = tuple[str, str, Sequence[float | None]]  # (css class, name, one value per column)


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 x 10^k at or above ``value`` (1 for nothing)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= value)


def day_label(day: date) -> str:
    return f"{day:%b} {day.day}"


def column_chart(title: str, days: Sequence[date], series: Sequence[Series], *,
                 stacked: bool = True, top: float | None = None,
                 fmt: Callable[[float], str] = lambda v: f"{v:g}",
                 marker: Series | None = None, counts: bool = False) -> Chart:
    """Columns per day: ``series`` stacked (or the first only), ``marker`` as a tick on each.

    ``counts``: the values are whole numbers, so are the grid lines.
    """
    n = max(1, len(days))
    shown = series if stacked else series[:1]
    totals = [sum(vals[i] or 0 for _, _, vals in shown) for i in range(len(days))]
    peaks = totals + ([v or 0 for v in marker[2]] if marker else [])
    ceiling = top or nice_ceiling(max(peaks, default=0))
    if counts:
        ceiling = max(ceiling, 2.0)
    slot = (100.0 - LEFT) / n
    scale = PLOT_HEIGHT / ceiling
    rects: list[Rect] = []
    for i, day in enumerate(days):
        x, base = LEFT + i * slot + slot * 0.15, float(PLOT_TOP + PLOT_HEIGHT)
        for cls, name, values in shown:
            value = values[i]
            if not value:
                continue
            height = value * scale
            base -= height
            rects.append(Rect(round(x, 3), round(slot * 0.7, 3), round(base, 2), round(height, 2),
                              cls, f"{day_label(day)}: {name} {fmt(value)}"))
        if marker and marker[2][i] is not None:
            y = PLOT_TOP + PLOT_HEIGHT - (marker[2][i] or 0) * scale
            rects.append(Rect(round(x - slot * 0.05, 3), round(slot * 0.8, 3), round(y - 1.5, 2), 3,
                              marker[0], f"{day_label(day)}: {marker[1]} {fmt(marker[2][i] or 0)}"))
    labels = _day_labels(days, slot)
    grid = [(PLOT_TOP + PLOT_HEIGHT - f * PLOT_HEIGHT, fmt(ceiling * f)) for f in (0.0, 0.5, 1.0)
            if not counts or float(ceiling * f).is_integer()]
    listed = [*shown, *([marker] if marker else [])]
    head = ("Day", *(name for _, name, _ in listed))
    rows: list[tuple[str, ...]] = [(day_label(d), *(_cell(vals[i], fmt) for _, _, vals in listed))
            for i, d in enumerate(days)]
    return Chart(title, _summary(title, days), PLOT_TOP + PLOT_HEIGHT + AXIS_HEIGHT, rects, labels,
                 grid, [(cls, name) for cls, name, _ in listed], head, rows)


def _day_labels(days: Sequence[date], slot: float, most: int = 5) -> list[Label]:
    """At most ``most`` dates under the columns (five fit a phone), always the last day's."""
    n, y = len(days), PLOT_TOP + PLOT_HEIGHT + 16
    every = math.ceil(n / most)
    labels = []
    for i, day in enumerate(days):
        if (n - 1 - i) % every:
            continue
        last = i == n - 1
        x = 100.0 if last else round(LEFT + (i + 0.5) * slot, 3)
        labels.append(Label(x, y, day_label(day), "end" if last else "middle"))
    return labels


def engineer_chart(title: str, rows: Sequence[tuple[str, int, int]]) -> Chart:
    """One bar per person: answered then missed attempts, side by side."""
    peak = max((a + m for _, a, m in rows), default=0) or 1
    rects: list[Rect] = []
    labels: list[Label] = []
    for i, (name, answered, missed) in enumerate(rows):
        y = i * ROW
        labels.append(Label(0, y + 13, f"{name}: {answered} answered, {missed} missed", "start"))
        width_a = 100.0 * answered / peak
        if answered:
            rects.append(Rect(0, round(width_a, 3), y + 18, 14, "answered",
                              f"{name}: {answered} answered"))
        if missed:
            rects.append(Rect(round(width_a, 3), round(100.0 * missed / peak, 3), y + 18, 14,
                              "missed", f"{name}: {missed} missed"))
    table: list[tuple[str, ...]] = [(name, str(a), str(m)) for name, a, m in rows]
    summary = f"{title}: " + ("; ".join(f"{n} {a} answered, {m} missed" for n, a, m in rows)
                              or "no attempts in this period")
    return Chart(title, summary, max(ROW, ROW * len(rows)), rects, labels, [],
                 [("answered", "answered"), ("missed", "missed")],
                 ("Engineer", "Answered", "Missed"), table)


def _cell(value: float | None, fmt: Callable[[float], str]) -> str:
    return "–" if value is None else fmt(value)


def _summary(title: str, days: Sequence[date]) -> str:
    if not days:
        return f"{title}: no days"
    return f"{title} from {day_label(days[0])} to {day_label(days[-1])}; the table below has the values"
