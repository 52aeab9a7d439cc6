"""The calls CSV: written whole to a temporary file within a time budget, then sent with its
length; a filter too large for one request is offered as parts instead (decision 0021)."""

from __future__ import annotations

import csv
import io
import re
import tempfile
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import IO, Any, cast
from zoneinfo import ZoneInfo

from flask import Response, current_app, render_template
from sqlalchemy import Connection, Engine, String, func, select, type_coerce

from app.config import HotlineConfig
from app.storage.models import Attempt, Call
from app.web.admin.calls import current_filter
from app.web.admin.filters import NEWEST_FIRST, CallFilter, call_conditions
from app.web.admin.web import bp, engine, now, runtime, zone

CSV_COLUMNS = ("started_local", "started_utc", "call_sid", "caller", "hotline_number", "line",
               "contract", "outcome", "answered_by", "time_to_answer_seconds", "attempts",
               "people_rung", "ended_utc", "identified_by", "passes")
WORKER_TIMEOUT = 30.0  # gunicorn's (app/gunicorn_conf.py), unless WEB_TIMEOUT says otherwise
CHECK_EVERY = 500  # rows between two looks at the clock
CHUNK = 64 * 1024
_FORMULA_STARTS = "=+-@\t\r"
_FORMULA = re.compile(r"^[=+\-@\t\r]")
_NUMBER = re.compile(r"^[+-]?\d[\d ]*$")
# The instants as the driver gives them (SQLite: text, PostgreSQL: datetime), read by _utc:
# SQLAlchemy's own conversion of SQLite's text was a third of the cost of a row.
_COLUMNS = (Call.call_sid, type_coerce(Call.started_at, String), Call.caller, Call.hotline_number,
            Call.contract, Call.contract_name, Call.outcome, Call.answered_by,
            Call.time_to_answer_seconds, type_coerce(Call.ended_at, String), Call.identified_by,
            Attempt.step, Attempt.person, Attempt.pass_number)


def export_seconds(env: Mapping[str, str]) -> float:
    """Half the worker's timeout: the other half is left for sending the finished file."""
    raw = env.get("WEB_TIMEOUT", "").strip()
    return (float(raw) if raw else WORKER_TIMEOUT) / 2


@bp.get("/calls.csv")
def calls_csv() -> Response | str:
    f, _errors = current_filter()
    deadline = time.monotonic() + float(current_app.config["EXPORT_SECONDS"])
    out = tempfile.TemporaryFile()  # noqa: SIM115 (_chunks closes it after the last byte)
    try:
        complete = write_csv(out, engine(), f, runtime().config, zone(), deadline)
    except BaseException:
        out.close()
        raise
    if not complete:
        out.close()
        return render_template("admin/export_parts.html", parts=parts(f, zone()), f=f)
    size = out.tell()
    out.seek(0)
    stamp = f"{now().astimezone(zone()):%Y%m%d-%H%M}"  # a file name: no zone, no space
    response = Response(_chunks(out, size), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="hotline-calls-{stamp}.csv"'})
    response.content_length = size  # a cut-off download is an error, never a shorter file
    return response


def _chunks(out: IO[bytes], size: int) -> Iterator[bytes]:
    """The file's bytes; closed before the last chunk goes out (a server stops reading at
    Content-Length and may never ask for more)."""
    try:
        while size > 0:
            chunk = out.read(min(CHUNK, size))
            size -= len(chunk)
            if size <= 0 or not chunk:
                out.close()
            if not chunk:
                return
            yield chunk
    finally:
        out.close()


def write_csv(out: IO[bytes], db_engine: Engine, f: CallFilter, config: HotlineConfig,
              tz: ZoneInfo, deadline: float) -> bool:
    """Write the CSV of ``f`` to ``out``; False (``out`` unusable) if ``deadline`` came first."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=False)
    writer = csv.writer(text)
    writer.writerow(CSV_COLUMNS)
    names = {p.id: p.name for p in config.people.values()}
    with db_engine.connect() as conn:
        for count, values in enumerate(_csv_values(conn, f, config, names, tz), 1):
            writer.writerow([_cell(v) for v in values])
            if count % CHECK_EVERY == 0 and time.monotonic() > deadline:
                text.detach()
                return False
    text.flush()
    text.detach()
    return True


def _csv_values(conn: Connection, f: CallFilter, config: HotlineConfig, names: dict[str, str],
                tz: ZoneInfo) -> Iterator[list[Any]]:
    """One list of cells per call: its rows joined with its attempts, read as a stream."""
    stmt = (select(*_COLUMNS).outerjoin(Attempt, Attempt.call_sid == Call.call_sid)
            .where(*call_conditions(f)).order_by(*NEWEST_FIRST, Attempt.step))
    current: list[Any] | None = None
    people: list[str] = []
    passes = 0
    for row in conn.execution_options(stream_results=True, yield_per=2000).execute(stmt):
        if current is None or row[0] != current[0]:
            if current is not None:
                yield [*_cells(current, people, config, names, tz), passes]
            current, people, passes = list(row), [], 0
        step, person, pass_number = cast(tuple[Any, Any, Any], tuple(row)[-3:])
        person = str(person or "")
        if step is not None:  # the outer join's row of a call without attempts has none
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
    return datetime.fromisoformat(value).replace(tzinfo=UTC)  # SQLite: stored as UTC


def _cell(value: Any) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas; phone numbers stay as they are."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if not text or text[0] not in _FORMULA_STARTS:
        return text
    return "'" + text if _FORMULA.match(text) and not _NUMBER.match(text) else text


def parts(f: CallFilter, tz: ZoneInfo) -> list[tuple[str, str]]:
    """(from, to) local days splitting ``f``'s calls in months, or in days within a month."""
    with engine().connect() as conn:
        first, last = conn.execute(select(func.min(Call.started_at), func.max(Call.started_at))
                                   .where(*call_conditions(f))).one()
    if first is None or last is None:
        return []
    low, high = _local_day(f.start or first, tz), _local_day(f.end or last, tz, f.end is not None)
    if (high - low).days <= 31:
        return [(d.isoformat(), d.isoformat())
                for d in (low + timedelta(days=i) for i in range((high - low).days + 1))]
    out: list[tuple[str, str]] = []
    start = low
    while start <= high:
        following = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
        out.append((start.isoformat(), min(following - timedelta(days=1), high).isoformat()))
        start = following
    return out


def _local_day(at: datetime, tz: ZoneInfo, exclusive_end: bool = False) -> date:
    return (at - timedelta(microseconds=1) if exclusive_end else at).astimezone(tz).date()
