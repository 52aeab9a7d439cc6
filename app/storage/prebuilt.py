"""Statements compiled once per dialect and run on the DBAPI cursor of a connection's transaction.

The call log's rebuild runs a few statements per job; SQLAlchemy's work per execution (building
the execution context, processing every parameter and result row) cost more than the database
did. A ``Prebuilt`` keeps the compiled SQL text and the column types' bind processors, applies
them to each row and hands the rows to the driver directly. Cursor events still fire (with no
execution context, and a listener's returned statement is not used), and a driver's error is
raised as SQLAlchemy's (``DBAPIError``), the connection invalidated if it was lost, as
``Connection.execute`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Dialect
from sqlalchemy.exc import DBAPIError, StatementError


@dataclass(frozen=True)
class Prebuilt:
    """SQL text for the dialect's driver, its parameters in order (qmark) or by name (pyformat),
    and the processors of the parameters whose type converts them."""

    sql: str
    names: tuple[str, ...]
    positional: bool
    processors: Mapping[str, Callable[[Any], Any]]

    @classmethod
    def compile(cls, statement: Any, dialect: Dialect, keys: Sequence[str],
                many: bool = False) -> Prebuilt:
        """``statement`` compiled for rows of exactly these ``keys`` (``many``: for
        ``executemany``, so no RETURNING of generated keys is added)."""
        compiled = statement.compile(dialect=dialect, column_keys=list(keys),
                                     for_executemany=many)
        names = tuple(compiled.positiontup or keys)
        processors = {k: p for k, p in compiled._bind_processors.items() if k in names}
        return cls(compiled.string, names, dialect.positional, processors)

    def parameters(self, row: Mapping[str, Any]) -> Any:
        processors = self.processors
        values = [processors[k](row[k]) if k in processors else row[k] for k in self.names]
        return tuple(values) if self.positional else dict(zip(self.names, values, strict=True))

    def executemany(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        run(conn, self.sql, [self.parameters(r) for r in rows], many=True)

    def fetch(self, conn: Connection, row: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        return run(conn, self.sql, self.parameters(row), many=False)


def fetch_in_turn(conn: Connection, steps: Sequence[tuple[Prebuilt, Mapping[str, Any]]],
                  ) -> list[list[tuple[Any, ...]]]:
    """Each statement with its row, one after the other, and the rows each returns. A driver
    with a pipeline (psycopg) sends them together and waits for the server once."""
    pipeline = _pipeline_of(conn)
    calls = [(p.sql, p.parameters(row)) for p, row in steps]
    if pipeline is None or len(calls) < 2:
        return [run(conn, sql, parameters, many=False) for sql, parameters in calls]
    return _run_pipelined(conn, pipeline, calls)


def executemany_in_turn(conn: Connection,
                        steps: Sequence[tuple[Prebuilt, Sequence[Mapping[str, Any]]]]) -> None:
    """Each statement for its rows, one after the other; with a pipeline (psycopg) the server
    is waited for once, at the end."""
    pipeline = _pipeline_of(conn)
    if pipeline is None or len(steps) < 2:
        for prebuilt, rows in steps:
            prebuilt.executemany(conn, rows)
        return
    try:
        with pipeline():
            for prebuilt, rows in steps:
                prebuilt.executemany(conn, rows)
    except conn.dialect.loaded_dbapi.Error as error:  # reported when the pipeline syncs
        raise _sqlalchemy_error(conn, error, None, steps[-1][0].sql, None) from error


def _pipeline_of(conn: Connection) -> Callable[[], Any] | None:
    """The driver connection's pipeline (psycopg, when its libpq has one), else None."""
    supported = getattr(conn.dialect.loaded_dbapi, "Pipeline", None)
    if supported is None or not supported.is_supported():
        return None
    return getattr(conn.connection.dbapi_connection, "pipeline", None)


def _run_pipelined(conn: Connection, pipeline: Callable[[], Any],
                   calls: Sequence[tuple[str, Any]]) -> list[list[tuple[Any, ...]]]:
    dbapi_connection = conn.connection
    cursors = [dbapi_connection.cursor() for _ in calls]
    sql, parameters = calls[0]
    try:
        with pipeline():
            for cursor, (sql, parameters) in zip(cursors, calls, strict=True):
                conn.dispatch.before_cursor_execute(conn, cursor, sql, parameters, None, False)
                cursor.execute(sql, parameters)
        found = [[tuple(r) for r in c.fetchall()] if c.description else [] for c in cursors]
    except conn.dialect.loaded_dbapi.Error as error:
        raise _sqlalchemy_error(conn, error, cursors[0], sql, parameters) from error
    finally:
        for cursor in cursors:
            cursor.close()
    for cursor, (sql, parameters) in zip(cursors, calls, strict=True):
        conn.dispatch.after_cursor_execute(conn, cursor, sql, parameters, None, False)
    return found


def run(conn: Connection, sql: str, parameters: Any, many: bool) -> list[tuple[Any, ...]]:
    """``sql`` on the connection's DBAPI cursor, in its transaction; the rows it returns."""
    cursor = conn.connection.cursor()
    conn.dispatch.before_cursor_execute(conn, cursor, sql, parameters, None, many)
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
    except conn.dialect.loaded_dbapi.Error as error:
        raise _sqlalchemy_error(conn, error, cursor, sql, parameters) from error
    finally:
        cursor.close()
    conn.dispatch.after_cursor_execute(conn, cursor, sql, parameters, None, many)
    return [tuple(r) for r in rows]


def _sqlalchemy_error(conn: Connection, error: Any, cursor: Any, sql: str,
                      parameters: Any) -> StatementError:
    """The driver's ``error`` as SQLAlchemy raises it; a lost connection is invalidated."""
    if conn.dialect.is_disconnect(error, conn.connection.dbapi_connection, cursor):
        conn.invalidate(error)
    return DBAPIError.instance(sql, parameters, error, conn.dialect.loaded_dbapi.Error)
