"""The call log in SQL: models, engines, migrations, the persisting job and the queries.

Everything here is derived from the append-only ``events`` table: ``calls``, ``attempts`` and
``voicemails`` are rebuilt from a call's events each time one of them arrives.
"""

from app.storage import accounts  # noqa: F401  (the admin console's tables on Base.metadata)
from app.storage.db import (
    default_database_url,
    dispose_engines,
    get_engine,
    make_engine,
    normalize_url,
)
from app.storage.jobs import persist_events, rebuild_calls, store_events
from app.storage.migrate import upgrade
from app.storage.queries import call_with_attempts, recent_calls

__all__ = [
    "call_with_attempts",
    "default_database_url",
    "dispose_engines",
    "get_engine",
    "make_engine",
    "normalize_url",
    "persist_events",
    "rebuild_calls",
    "recent_calls",
    "store_events",
    "upgrade",
]
