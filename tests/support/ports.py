"""A free loopback port: the one ``free_port``, shared with ``hotline run``'s embedded Redis."""

from __future__ import annotations

from app.devtools.embedded_redis import free_port

__all__ = ["free_port"]
