"""Who was on call when, as one picture: a row per person and rotation across the period's
days, weekends and holidays shaded (pure geometry, drawn by the template as SVG).

Each rotation's row runs on its own local days, so a column is the same date in every row.
Horizontal positions are percentages of the width, vertical ones pixels.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app.allowances import Report, Segment
from app.schedule.periods import day_start

HEAD, ROW, BAR = 20, 34, 14  # pixels: the day numbers, one row, a bar
LABELS = 8  # at most this many day numbers fit a phone


@dataclass(frozen=True)
class Column:
    x: float
    w: float
    day_type: str
    title: str


@dataclass(frozen=True)
class Bar:
    x: float
    w: float
    y: float
    cls: str  # "p0" ... "p7", the person's colour
    override: bool
    title: str


@dataclass(frozen=True)
class Picture:
    height: int
    columns: list[Column]  # weekends and holidays only: the shaded ones
    ticks: list[tuple[float, str]]  # (x, day number)
    rows: list[tuple[float, str]]  # (y of the label, "primary · Alice")
    bars: list[Bar]
    summary: str


def on_call_picture(report: Report, name: Callable[[str], str],
                    colour: Mapping[str, int]) -> Picture:
    days = report.period.days()
    width = 100.0 / len(days)
    types = report.day_types()
    columns = [Column(round(i * width, 3), round(width, 3), types[d], f"{d:%a %d %b}: {types[d]}")
               for i, d in enumerate(days) if types[d] != "weekday"]
    every = -(-len(days) // LABELS)
    ticks = [(round((i + 0.5) * width, 3), str(d.day)) for i, d in enumerate(days) if i % every == 0]
    keys = list(dict.fromkeys((s.rotation_id, s.person) for s in report.segments))
    rows = [(HEAD + i * ROW + 12.0, f"{rid} · {name(person)}") for i, (rid, person) in enumerate(keys)]
    position = _positions(report, days)
    bars = []
    for s in report.segments:
        y = HEAD + keys.index((s.rotation_id, s.person)) * ROW + 16.0
        x0, x1 = position(s.rotation_id, s.day, s.start), position(s.rotation_id, s.day, s.end)
        bars.append(Bar(round(x0, 3), round(max(x1 - x0, 0.15), 3), y, f"p{colour.get(s.person, 7)}",
                        s.kind == "override", _title(report, s, name)))
    summary = (f"Who was on call from {days[0]:%d %b} to {days[-1]:%d %b %Y}: "
               + ("; ".join(label for _, label in rows) or "nobody") + ". The table has the hours.")
    return Picture(HEAD + max(1, len(keys)) * ROW, columns, ticks, rows, bars, summary)


def _positions(report: Report, days: list[date]) -> Callable[[str, date, datetime], float]:
    """Where an instant falls across the picture, in its rotation's local day."""
    zones = {r.id: r.tz for r in report.rotations}
    index = {d: i for i, d in enumerate(days)}
    bounds: dict[tuple[str, date], tuple[datetime, datetime]] = {}

    def position(rotation_id: str, day: date, at: datetime) -> float:
        key = (rotation_id, day)
        if key not in bounds:
            tz = zones[rotation_id]
            bounds[key] = (day_start(day, tz), day_start(day + timedelta(days=1), tz))
        start, end = bounds[key]
        return 100.0 * (index[day] + (at - start) / (end - start)) / len(days)

    return position


def _title(report: Report, s: Segment, name: Callable[[str], str]) -> str:
    tz = next(r.tz for r in report.rotations if r.id == s.rotation_id)
    start, end = s.start.astimezone(tz), s.end.astimezone(tz)
    what = " (override)" if s.kind == "override" else ""
    return (f"{name(s.person)}{what}, {s.rotation_id}: {start:%a %d %b %H:%M}–{end:%H:%M}, "
            f"{s.day_type}")
