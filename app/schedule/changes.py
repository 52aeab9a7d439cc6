"""When a rotation's answer can next change: its next handoff, coverage-window edge or override edge.

Between two such instants, who is on call (overrides applied) and whose turn is next stay the
same, so an answer worked out once holds for every call until then.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from app.schedule.overrides import OverrideIndex
from app.schedule.rotation import Rotation, handoff_instant, shift_index
from app.schedule.wallclock import as_utc, daily_window, nearby_days

# How far ahead an answer is trusted at most. Within an hour every window edge belongs to one of
# the nearby days' windows, which is all ``next_change`` looks at.
HORIZON = timedelta(hours=1)


def next_change(rotation: Rotation, overrides: OverrideIndex, at: datetime) -> datetime:
    """An instant after ``at``, at most :data:`HORIZON` later, before which neither
    ``on_call_with_overrides`` nor ``next_in_rotation`` can answer differently for ``rotation``."""
    at = as_utc(at)
    edges = [at + HORIZON, handoff_instant(rotation, shift_index(rotation, at) + 1)]
    if rotation.active is not None:
        opens, closes = rotation.active
        edges.extend(edge for day in nearby_days(at, rotation.tz)
                     for edge in daily_window(day, opens, closes, rotation.tz) if edge > at)
    override_edge = overrides.next_edge(rotation.id, at)
    if override_edge is not None:
        edges.append(override_edge)
    return min(edges)
