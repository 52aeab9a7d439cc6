"""The calls CSV as the export wrote it before it read the driver's rows and formatted UTC
text itself (decision 0021): SQLAlchemy rows, datetimes, one check per cell. The export's
output must stay byte for byte this. (The joined attempts have their own name here, as in
app.storage.call_export: the engineer filter's EXISTS correlated to the join before.)"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, String, select, type_coerce
from sqlalchemy.orm import aliased

from app.config import HotlineConfig
from app.storage.models import Attempt, Call
from app.web.admin.export import CSV_COLUMNS
from app.web.admin.filters import NEWEST_FIRST, CallFilter, call_conditions

_FORMULA = re.compile(r"^[=+\-@\t\r]")
_NUMBER = re.compile(r"^[+-]?\d[\d ]*$")
_RUNG = aliased(Attempt)
_COLUMNS = (Call.call_sid, type_coerce(Call.started_at, String), Call.caller, Call.hotline_number,
            Call.contract, Call.contract_name, Call.outcome, Call.answered_by,
            Call.time_to_answer_seconds, type_coerce(Call.ended_at, String), Call.identified_by,
            _RUNG.step, _RUNG.person, _RUNG.pass_number)


def reference_csv(out: IO[bytes], db_engine: Engine, f: CallFilter, config: HotlineConfig,
                  tz: ZoneInfo) -> None:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    writer = csv.writer(text)
    writer.writerow(CSV_COLUMNS)
    names = {p.id: p.name for p in config.people.values()}
    with db_engine.connect() as conn:
        for values in _csv_values(conn, f, config, names, tz):
            writer.writerow([_cell(v) for v in values])
    text.flush()
    text.detach()


def _csv_values(conn: Connection, f: CallFilter, config: HotlineConfig, names: dict[str, str],
                tz: ZoneInfo) -> Iterator[list[Any]]:
    stmt = (select(*_COLUMNS).outerjoin(_RUNG, _RUNG.call_sid == Call.call_sid)
            .where(*call_conditions(f)).order_by(*NEWEST_FIRST, _RUNG.step))
    current: list[Any] | None = None
    people: list[str] = []
    passes = 0
    for row in conn.execute(stmt):
        if current is None or row[0] != current[0]:
            if current is not None:
                yield [*_cells(current, people, config, names, tz), passes]
            current, people, passes = list(row), [], 0
        step, person, pass_number = tuple(row)[-3:]
        person = str(person or "")
        if step is not None:
            people.append(names.get(person, person or "?"))
            passes = max(passes, int(pass_number or 1))
    if current is not None:
        yield [*_cells(current, people, config, names, tz), passes]


def _cells(row: list[Any], people: list[str], config: HotlineConfig, names: dict[str, str],
           tz: ZoneInfo) -> list[Any]:
    sid, started_at, caller, number, contract, contract_name, outcome, answered_by, tta, \
        ended_at, identified_by, _step, _person, _pass = row
    started, ended = _utc(started_at), _utc(ended_at)
    return [
        started.astimezone(tz).isoformat(" ", "seconds")[:19] if started else "",
        started.isoformat() if started else "", sid, caller, number,
        config.line_for(number).name if number else "", contract_name or contract,
        outcome or "in-progress", names.get(answered_by or "", answered_by), tta, len(people),
        " > ".join(people), ended.isoformat() if ended else "", identified_by,
    ]


def _utc(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value.astimezone(UTC) if value is not None else None
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if not text or text[0] not in "=+-@\t\r":
        return text
    return "'" + text if _FORMULA.match(text) and not _NUMBER.match(text) else text
