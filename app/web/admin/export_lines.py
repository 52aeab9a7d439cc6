"""The calls CSV's lines: one per call from its rows (app.storage.call_export), formatted from
the database's UTC text and protected against formula injection (decision 0021).

A line costs a few string operations: the local time is the UTC text with the hour replaced,
from a table of the zone's offset per UTC hour; repeated values (numbers, contracts, outcomes,
people) are formatted once; only text that can start a formula goes through the check; the
cells are joined with commas, and only a line whose cells need quotes goes through csv."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.config import HotlineConfig

FORMULA_STARTS = "=+-@\t\r"
_FORMULA = re.compile(r"^[=+\-@\t\r]")
_NUMBER = re.compile(r"^[+-]?\d[\d ]*$")
_HOUR = timedelta(hours=1)
_COMMAS = 14  # between the 15 cells of a line
_MEMO_LIMIT = 10_000  # distinct values remembered per column; memory stays flat


def cell(value: Any) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas; phone numbers stay as they are."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if not text or text[0] not in FORMULA_STARTS or text[0] in "+-" and text[1:].isdecimal():
        return text
    return "'" + text if _FORMULA.match(text) and not _NUMBER.match(text) else text


class _Memo(dict[Any, Any]):
    """``make(key)`` for each key, made once (forgotten all at once past the limit)."""

    def __init__(self, make: Callable[[Any], Any]) -> None:
        super().__init__()
        self._make = make

    def __missing__(self, key: Any) -> Any:
        if len(self) >= _MEMO_LIMIT:
            self.clear()
        value = self[key] = self._make(key)
        return value


class CallLines:
    """The CSV lines of one export (its memos live as long as it)."""

    def __init__(self, config: HotlineConfig, tz: ZoneInfo) -> None:
        self._tz = tz
        names = {p.id: p.name for p in config.people.values()}
        self._local_hours = _Memo(self._local_hour)
        self._numbers = _Memo(lambda n: (cell(n), cell(config.line_for(n).name if n else "")))
        self._contracts = _Memo(cell)
        self._outcomes = _Memo(lambda o: cell(o or "in-progress"))
        self._answerers = _Memo(lambda a: cell(names.get(a or "", a)))
        self._identified = _Memo(cell)
        self._rung = _Memo(lambda p: names.get(str(p or ""), str(p or "") or "?"))
        self._passes = _Memo(lambda n: int(n or 1))

    def lines(self, rows: Iterable[Sequence[Any]]) -> Iterator[str]:
        """A call's rows (one per attempt, together, by step) make its line, as the csv
        module writes it (``\\r\\n`` at the end)."""
        rung, pass_numbers = self._rung, self._passes
        current: Sequence[Any] | None = None
        people: list[str] = []
        passes = 0
        for row in rows:
            if current is None or row[0] != current[0]:
                if current is not None:
                    yield self._line(current, people, passes)
                current, people, passes = row, [], 0
            if row[11] is not None:  # the outer join's row of a call without attempts has none
                people.append(rung[row[12]])
                if (number := pass_numbers[row[13]]) > passes:
                    passes = number
        if current is not None:
            yield self._line(current, people, passes)

    def _line(self, row: Sequence[Any], people: list[str], passes: int) -> str:
        sid, started, caller, number, contract, contract_name, outcome, answered_by, tta, \
            ended, identified_by = row[:11]
        rung = " > ".join(people)
        fields = [
            *self._started(started),
            sid if sid and sid[0] not in FORMULA_STARTS else cell(sid),
            caller if caller and caller[0] not in FORMULA_STARTS else cell(caller),
            *self._numbers[number], self._contracts[contract_name or contract],
            self._outcomes[outcome], self._answerers[answered_by],
            str(tta) if tta.__class__ is float and tta > 0 else cell(tta), str(len(people)),
            rung if rung and rung[0] not in FORMULA_STARTS else cell(rung),
            _utc_text(ended), self._identified[identified_by], str(passes),
        ]
        line = ",".join(fields)
        if line.count(",") != _COMMAS or '"' in line or "\n" in line or "\r" in line:
            return _quoted(fields)
        return line + "\r\n"

    def _started(self, text: str | None) -> tuple[str, str]:
        """(local, UTC) of a start; the local one to the second, cut (not rounded)."""
        if text is None:
            return "", ""
        if _canonical(text):
            hour = self._local_hours[text[:13]]
            if hour:
                return hour + text[13:19], _utc_text(text)
        at = _utc(text)
        return at.astimezone(self._tz).isoformat(" ", "seconds")[:19], at.isoformat()

    def _local_hour(self, utc_hour: str) -> str:
        """``YYYY-MM-DD HH`` local for a UTC hour; "" if the offset is not whole hours and the
        same through the hour (then minutes would change too, or it changes within)."""
        start = datetime.fromisoformat(utc_hour + ":00:00").replace(tzinfo=UTC)
        offset = start.astimezone(self._tz).utcoffset()
        last = (start + _HOUR - timedelta(microseconds=1)).astimezone(self._tz).utcoffset()
        if offset is None or offset != last or offset % _HOUR:
            return ""
        return (start + offset).isoformat(" ")[:13]


def _quoted(fields: list[str]) -> str:
    """The line as the csv module writes it, for fields with commas, quotes or line breaks."""
    out = io.StringIO(newline="")
    csv.writer(out).writerow(fields)
    return out.getvalue()


def _canonical(text: str) -> bool:
    """``YYYY-MM-DD HH:MM:SS.ffffff``, as SQLAlchemy stores instants on SQLite."""
    return len(text) == 26 and text[10] == " " and text[19] == "."


def _utc_text(text: str | None) -> str:
    """``datetime.isoformat()`` of the UTC instant (no fraction when it is zero)."""
    if text is None:
        return ""
    if not _canonical(text):
        return _utc(text).isoformat()
    if text.endswith(".000000"):
        return f"{text[:10]}T{text[11:19]}+00:00"
    return f"{text[:10]}T{text[11:]}+00:00"


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)  # UTC text (call_export)
