"""Extra checks of every document the simulator receives: one simulator's own, or run-wide."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

# Called with the URL requested and the body answered (2xx, not blank); returns problems.
DocumentChecker = Callable[[str, bytes], Iterable[str]]

_run_wide: list[DocumentChecker] = []


@contextmanager
def checking_documents(checker: DocumentChecker) -> Iterator[None]:
    """Apply ``checker`` to the documents of every :class:`Simulator` while inside.

    Meant for a test run (a pytest fixture wraps each test in it); a simulator's own
    ``document_checker`` applies as well.
    """
    _run_wide.append(checker)
    try:
        yield
    finally:
        _run_wide.remove(checker)


def document_problems(own: DocumentChecker | None, url: str, body: bytes) -> list[str]:
    """What the simulator's own checker and the run-wide ones find wrong with ``body``."""
    checkers = ([own] if own else []) + list(_run_wide)
    return [problem for check in checkers for problem in check(url, body)]
