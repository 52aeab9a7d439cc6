"""The call log in SQL: models, engines, migrations, storing events and the queries.

Everything here is derived from the append-only ``events`` table: ``calls``, ``attempts`` and
``voicemails`` are rebuilt from a call's events each time one of them arrives.
"""

# Every table on Base.metadata, for migrations and schema checks: the console's accounts, the
# notifications' ledger and the alerts.
from app.storage import accounts, alerts, call_days, incidents, notifications, waiting  # noqa: F401
from app.storage.db import (
    default_database_url,
    dispose_engines,
    get_engine,
    make_engine,
    normalize_url,
)
from app.storage.migrate import upgrade
from app.storage.queries import call_with_attempts, recent_calls
from app.storage.store import SynchronousSink, rebuild_calls, store_events

__all__ = [
    "call_with_attempts",
    "default_database_url",
    "dispose_engines",
    "get_engine",
    "make_engine",
    "normalize_url",
    "rebuild_calls",
    "recent_calls",
    "SynchronousSink",
    "store_events",
    "upgrade",
]
