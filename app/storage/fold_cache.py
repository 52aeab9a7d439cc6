"""The calls this process folded last, by database and call, so a job folds only its new events.

An entry is used only while its keys are exactly the call's stored keys besides the ones the
job itself just inserted (checked under the call's lock), so another worker's events, a
deleted event or a recreated database make it a full rebuild instead.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable

from app.calls.fold import FoldedCall

CAPACITY = 2_000  # calls of a few kB each: the calls of a storm in progress fit

_lock = threading.Lock()
_entries: OrderedDict[tuple[str, str], FoldedCall] = OrderedDict()


def cached(database: str, call_sid: str) -> FoldedCall | None:
    with _lock:
        found = _entries.get((database, call_sid))
        if found is not None:
            _entries.move_to_end((database, call_sid))
        return found


def remember(database: str, folded: Iterable[FoldedCall]) -> None:
    with _lock:
        for call in folded:
            _entries[(database, call.call_sid)] = call
            _entries.move_to_end((database, call.call_sid))
        while len(_entries) > CAPACITY:
            _entries.popitem(last=False)


def forget_all() -> None:
    with _lock:
        _entries.clear()
