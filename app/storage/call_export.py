"""The rows of the calls CSV: calls left-joined with their attempts in a given order, read as
a stream straight from the driver's cursor (plain tuples: making SQLAlchemy's rows cost
nearly as much CPU as formatting the lines), with the instants as UTC text the export
formats without building datetimes (decision 0021)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain
from typing import Any

from sqlalchemy import ColumnElement, Connection, Dialect, Select, String, UnaryExpression, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from app.storage.models import Attempt, Call

BATCH = 5_000  # rows fetched at a time (PostgreSQL: from a server-side cursor)
# The text both databases give for an instant: SQLite stores it so, PostgreSQL formats it.
UTC_TEXT_FORMAT = "YYYY-MM-DD HH24:MI:SS.US"


class utc_text(FunctionElement[str]):  # noqa: N801 (an SQL function, named as one)
    """An instant column as UTC text ``YYYY-MM-DD HH:MM:SS.ffffff`` (SQLite: as stored)."""

    type = String()
    name = "utc_text"
    inherit_cache = True


@compiles(utc_text)
def _stored_text(element: utc_text, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(utc_text, "postgresql")
def _postgresql_text(element: utc_text, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"to_char({column} AT TIME ZONE 'UTC', '{UTC_TEXT_FORMAT}')"


# The joined attempts under their own name: a condition on Attempt (the engineer filter's
# EXISTS) stays a subquery of its own instead of correlating to the join.
RUNG = aliased(Attempt, name="rung")
# Read by position in app/web/admin/export_lines.py.
EXPORT_COLUMNS = (Call.call_sid, utc_text(Call.started_at), Call.caller, Call.hotline_number,
                  Call.contract, Call.contract_name, Call.outcome, Call.answered_by,
                  Call.time_to_answer_seconds, utc_text(Call.ended_at), Call.identified_by,
                  RUNG.step, RUNG.person, RUNG.pass_number)


@contextmanager
def export_rows(conn: Connection, conditions: Iterable[ColumnElement[bool]],
                order: Sequence[UnaryExpression[Any]]) -> Iterator[Iterator[Sequence[Any]]]:
    """One row per attempt (one with ``step`` None for a call without any), each call's rows
    together in ``order`` and by step. On PostgreSQL a thread reads the next batch while the
    caller works on this one (the server computes rows only when asked)."""
    stmt = (select(*EXPORT_COLUMNS).outerjoin(RUNG, RUNG.call_sid == Call.call_sid)
            .where(*conditions).order_by(*order, RUNG.step))
    sql, params = driver_statement(stmt, conn.dialect)
    raw = conn.connection.dbapi_connection
    assert raw is not None
    if conn.dialect.name != "postgresql":
        cursor = raw.cursor()
        try:
            cursor.execute(sql, params)
            yield chain.from_iterable(iter(lambda: cursor.fetchmany(BATCH), []))
        finally:
            cursor.close()
        return
    reader = BatchReader(raw.cursor(name="call_export"), sql, params)
    try:
        yield chain.from_iterable(reader.batches())
    finally:
        reader.close()


def driver_statement(stmt: Select[*tuple[Any, ...]], dialect: Dialect) -> tuple[str, Any]:
    """``stmt`` as the driver takes it: its SQL (lists expanded) and its parameters converted
    as SQLAlchemy converts them (SQLite: instants as text), by position or by name."""
    state = stmt.compile(dialect=dialect).construct_expanded_state()
    values = {name: convert(state.parameters[name]) if (convert := state.processors.get(name))
              else state.parameters[name] for name in state.parameters}
    if state.positiontup is not None:
        return state.statement, tuple(values[name] for name in state.positiontup)
    return state.statement, values


class BatchReader:
    """A cursor's batches, read by a thread of its own, at most two ahead of the caller."""

    def __init__(self, cursor: Any, sql: str, params: Any) -> None:
        self._cursor = cursor
        self._queue: queue.Queue[list[Any] | BaseException] = queue.Queue(maxsize=2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(sql, params), daemon=True)
        self._thread.start()

    def batches(self) -> Iterator[list[Any]]:
        while batch := self._queue.get():
            if isinstance(batch, BaseException):
                raise batch
            yield batch

    def close(self) -> None:
        """Stop reading; the cursor is closed and the connection free again on return."""
        self._stop.set()
        self._thread.join()
        self._cursor.close()

    def _read(self, sql: str, params: Any) -> None:
        try:
            self._cursor.execute(sql, params)
            while self._put(batch := self._cursor.fetchmany(BATCH)) and batch:
                pass
        except BaseException as error:  # handed to the caller, raised there
            self._put(error)

    def _put(self, item: list[Any] | BaseException) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False
