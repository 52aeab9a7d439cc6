"""Database engines: URL rules, SQLite and PostgreSQL settings, one cached engine per URL."""

from __future__ import annotations

import os
import threading
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from app.settings import default_database_url

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Execution option asking SQLite to take the write lock at BEGIN (BEGIN IMMEDIATE), so a
# read-then-write transaction cannot be overtaken by another writer between its read and write.
WRITE_LOCK = "hotline_write_lock"

_engines: dict[str, Engine] = {}
_engines_pid = os.getpid()
_engines_lock = threading.Lock()


def normalize_url(url: str) -> str:
    """Send PostgreSQL URLs to psycopg 3 (``postgres://`` is what most hosting hands out)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    """A new engine for ``url``: SQLite in WAL mode with a busy timeout, or PostgreSQL."""
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **kwargs)
    if parsed.database and parsed.database != ":memory:":
        _create_private(os.path.abspath(parsed.database))
    engine = create_engine(url, **kwargs)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _create_private(path: str) -> None:
    """Create the database file readable by this user only (SQLite would make it 0644); its
    -wal and -shm files take the same mode from it."""
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass  # an empty file is an empty database; an existing one keeps its mode


def get_engine(url: str | None = None) -> Engine:
    """The process's engine for ``url`` (default: ``default_database_url()``), made once.

    After a fork the parent's pooled connections must not be shared, so a child starts afresh.
    """
    global _engines_pid
    url = normalize_url(url or default_database_url())
    with _engines_lock:
        if _engines_pid != os.getpid():
            for engine in _engines.values():
                engine.dispose(close=False)
            _engines.clear()
            _engines_pid = os.getpid()
        if url not in _engines:
            _engines[url] = make_engine(url)
        return _engines[url]


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling would BEGIN lazily, before the first write only;
    # switch it off and let the "begin" hook below say BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_on_begin(connection: Any) -> None:
    immediate = connection.get_execution_options().get(WRITE_LOCK)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def dispose_engines() -> None:
    """Close every cached engine's connections (tests, and a worker on its way out)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
