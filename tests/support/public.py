"""What bench/ may use of the test helpers: the real stack, its Redis and PostgreSQL, the call
driver, the soak's calls and the call log checks. bench/ imports nothing else from tests/."""

from __future__ import annotations

from tests.support.backlog import log_backlog, log_idle, settled_backlog
from tests.support.calls import CallDriver, latency_ms
from tests.support.postgres import PostgresProcess
from tests.support.processes import Stack
from tests.support.redis import RedisProcess
from tests.support.soak import random_plan, write_soak_config
from tests.support.sql import drain_log, stored_calls

__all__ = [
    "CallDriver",
    "PostgresProcess",
    "RedisProcess",
    "Stack",
    "drain_log",
    "latency_ms",
    "log_backlog",
    "log_idle",
    "random_plan",
    "settled_backlog",
    "stored_calls",
    "write_soak_config",
]
