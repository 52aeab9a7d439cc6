"""The calls CSV: written whole to a temporary file within a time budget, then sent with its
length; a filter too large for one request is offered as parts instead (decision 0021)."""

from __future__ import annotations

import csv
import io
import tempfile
import time
from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta
from itertools import islice
from typing import IO
from zoneinfo import ZoneInfo

from flask import Response, current_app, render_template
from sqlalchemy import Engine, func, select

from app.config import HotlineConfig
from app.storage.call_export import export_rows
from app.storage.models import Call
from app.web.admin.calls import current_filter
from app.web.admin.export_lines import CallLines
from app.web.admin.filters import NEWEST_FIRST, CallFilter, call_conditions
from app.web.admin.web import bp, engine, now, runtime, zone

CSV_COLUMNS = ("started_local", "started_utc", "call_sid", "caller", "hotline_number", "line",
               "contract", "outcome", "answered_by", "time_to_answer_seconds", "attempts",
               "people_rung", "ended_utc", "identified_by", "passes")
WORKER_TIMEOUT = 30.0  # gunicorn's (app/gunicorn_conf.py), unless WEB_TIMEOUT says otherwise
CHECK_EVERY = 500  # rows between two looks at the clock
CHUNK = 64 * 1024


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
    with db_engine.connect() as conn, export_rows(conn, call_conditions(f), NEWEST_FIRST) as rows:
        lines = CallLines(config, tz).lines(rows)
        while chunk := list(islice(lines, CHECK_EVERY)):
            text.write("".join(chunk))
            if len(chunk) == CHECK_EVERY and time.monotonic() > deadline:
                text.detach()
                return False
    text.flush()
    text.detach()
    return True


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
