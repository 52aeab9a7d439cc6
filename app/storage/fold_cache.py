"""The calls this process folded last, by database and call, so a job folds only its new events.

An entry holds the fold token its rebuild wrote into the call's row. It is used only while the
row still holds that token (read under the call's lock): any other rebuild, in another process
or in this one, writes a token of its own, and changing an event by hand sets it to 0, so the
call is then rebuilt from its events. A job takes the entry out while it folds, and puts the
new one back once committed; a forked child starts with none of its parent's.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping

from app.calls.fold import FoldedCall

CAPACITY = 2_000  # calls of a few kB each: the calls of a storm in progress fit

_lock = threading.Lock()
_entries: OrderedDict[tuple[str, str], tuple[int, FoldedCall]] = OrderedDict()


def take(database: str, call_sid: str) -> tuple[int, FoldedCall] | None:
    """The call's entry, (fold token, folded call), now no longer here."""
    with _lock:
        return _entries.pop((database, call_sid), None)


def remember(database: str, folded: Iterable[FoldedCall], tokens: Mapping[str, int]) -> None:
    """The calls as a committed rebuild wrote them, with the token it wrote for each."""
    with _lock:
        for call in folded:
            _entries[(database, call.call_sid)] = (tokens[call.call_sid], call)
            _entries.move_to_end((database, call.call_sid))
        while len(_entries) > CAPACITY:
            _entries.popitem(last=False)


def forget_all() -> None:
    with _lock:
        _entries.clear()


def _in_forked_child() -> None:
    global _lock
    _lock = threading.Lock()  # a thread of the parent may have held it
    _entries.clear()


os.register_at_fork(after_in_child=_in_forked_child)
