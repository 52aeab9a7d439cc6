"""Overrides (shift swaps) and an index that finds the winning one by binary search.

An override replaces whoever a rotation has on call, from ``start`` (included) to ``end``
(excluded), with ``person``. Where the rotation has nobody (empty, not started yet, outside its
coverage window) an override changes nothing: it swaps a shift, it does not create one. When
several overrides cover an instant, the one later in the sequence (created last) wins. An
override with ``rotation_id`` None applies to every rotation it is evaluated against.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from app.schedule.rotation import Rotation, on_call
from app.schedule.wallclock import as_utc


@dataclass(frozen=True)
class Override:
    """``person`` takes over rotation ``rotation_id`` during [start, end); times kept in UTC."""

    id: str
    rotation_id: str | None
    person: str
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", as_utc(self.start))
        object.__setattr__(self, "end", as_utc(self.end))
        if self.end <= self.start:
            raise ValueError(f"override {self.id!r}: end {self.end.isoformat()} must be after "
                             f"start {self.start.isoformat()}")

    def applies_to(self, rotation_id: str) -> bool:
        return self.rotation_id is None or self.rotation_id == rotation_id


Piece = tuple[datetime, datetime, Override | None]


class _Timeline:
    """The edges of a set of overrides, and which override wins between consecutive edges."""

    def __init__(self, ranked: Iterable[tuple[int, Override]]) -> None:
        by_start = sorted(ranked, key=lambda item: item[1].start)
        self.edges = sorted({o.start for _, o in by_start} | {o.end for _, o in by_start})
        self.winners: list[Override | None] = []
        live: list[tuple[int, datetime, Override]] = []  # max-heap on rank, ended ones lazily
        i = 0
        for edge in self.edges:
            while i < len(by_start) and by_start[i][1].start <= edge:
                rank, override = by_start[i]
                heapq.heappush(live, (-rank, override.end, override))
                i += 1
            while live and live[0][1] <= edge:
                heapq.heappop(live)
            self.winners.append(live[0][2] if live else None)

    def winner(self, at: datetime) -> Override | None:
        i = bisect_right(self.edges, at) - 1
        return self.winners[i] if i >= 0 else None

    def next_edge(self, at: datetime) -> datetime | None:
        """The first instant after ``at`` at which some override starts or ends."""
        i = bisect_right(self.edges, at)
        return self.edges[i] if i < len(self.edges) else None

    def pieces(self, start: datetime, end: datetime) -> list[Piece]:
        """[start, end) cut where the winner changes, each piece with its winner (or None)."""
        out: list[Piece] = []
        i = bisect_right(self.edges, start) - 1
        cursor = start
        while cursor < end:
            stop = min(self.edges[i + 1], end) if i + 1 < len(self.edges) else end
            winner = self.winners[i] if i >= 0 else None
            if out and out[-1][2] is winner:
                out[-1] = (out[-1][0], stop, winner)
            else:
                out.append((cursor, stop, winner))
            cursor, i = stop, i + 1
        return out


class OverrideIndex:
    """Overrides sorted once, so each lookup costs a binary search, whatever their number."""

    def __init__(self, overrides: Iterable[Override] = ()) -> None:
        ranked = list(enumerate(overrides))
        shared = [item for item in ranked if item[1].rotation_id is None]
        own: dict[str, list[tuple[int, Override]]] = {}
        for item in ranked:
            if item[1].rotation_id is not None:
                own.setdefault(item[1].rotation_id, []).append(item)
        self._count = len(ranked)
        self._shared = _Timeline(shared)
        self._by_rotation = {rid: _Timeline(items + shared) for rid, items in own.items()}

    def __len__(self) -> int:
        return self._count

    def _timeline(self, rotation_id: str) -> _Timeline:
        return self._by_rotation.get(rotation_id, self._shared)

    def winner(self, rotation_id: str, at: datetime) -> Override | None:
        """The override in force for ``rotation_id`` at ``at``, if any."""
        return self._timeline(rotation_id).winner(as_utc(at))

    def next_edge(self, rotation_id: str, at: datetime) -> datetime | None:
        """The first instant after ``at`` at which an override for ``rotation_id`` starts or ends."""
        return self._timeline(rotation_id).next_edge(as_utc(at))

    def pieces(self, rotation_id: str, start: datetime, end: datetime) -> list[Piece]:
        """[start, end) cut where the winning override changes, with each piece's winner."""
        return self._timeline(rotation_id).pieces(as_utc(start), as_utc(end))


def winning_override(overrides: Sequence[Override] | OverrideIndex, rotation_id: str,
                     at: datetime) -> Override | None:
    """The override in force at ``at``: last-created wins; a plain sequence is scanned."""
    if isinstance(overrides, OverrideIndex):
        return overrides.winner(rotation_id, at)
    at = as_utc(at)
    for override in reversed(overrides):
        if override.applies_to(rotation_id) and override.start <= at < override.end:
            return override
    return None


def on_call_with_overrides(rotation: Rotation, overrides: Sequence[Override] | OverrideIndex,
                           at: datetime) -> str | None:
    """Who is on call at ``at`` once overrides are applied; build an OverrideIndex for speed."""
    person = on_call(rotation, at)
    if person is None:
        return None
    override = winning_override(overrides, rotation.id, at)
    return override.person if override is not None else person
