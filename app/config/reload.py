"""Live configuration reload: a changed file replaces the running configuration only if valid.

A watcher thread in each web process looks at the file every few seconds. A valid file becomes
the configuration of the next webhook; an invalid one is reported and the last good one keeps
running. Each good file is also kept as a snapshot in the var folder, so a worker that starts
while the file is broken still answers calls with the last good configuration.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from app.config.loader import ConfigError, load_config
from app.config.model import HotlineConfig
from app.settings import var_dir

log = logging.getLogger(__name__)


def snapshot_path(source: Path) -> Path:
    return var_dir() / f"last-good-config{source.suffix or '.toml'}"


def load_with_snapshot(path: Path) -> tuple[HotlineConfig, list[str]]:
    """Load ``path``; if it is invalid, the last good snapshot (and the errors), else raise."""
    try:
        config = load_config(path)
    except ConfigError as exc:
        snapshot = snapshot_path(path)
        if not snapshot.exists():
            raise
        log.error("configuration %s is invalid, running the last good one:\n%s", path, exc)
        return load_config(snapshot), str(exc).splitlines()
    keep_snapshot(path)
    return config, []


def keep_snapshot(path: Path) -> None:
    target = snapshot_path(path)
    temporary = target.with_suffix(target.suffix + ".tmp")
    temporary.write_bytes(path.read_bytes())
    os.replace(temporary, target)


class ConfigWatcher:
    """Polls ``path`` and calls ``apply`` with each new valid configuration."""

    def __init__(self, path: Path, version: str, apply: Callable[[HotlineConfig], None],
                 report: Callable[[list[str]], None], interval: float = 2.0) -> None:
        self.path, self.version, self.interval = path, version, interval
        self.apply, self.report = apply, report
        self._seen = self._signature()
        self._pid = 0

    def check(self) -> bool:
        """Reload if the file changed; True when a new configuration was applied."""
        signature = self._signature()
        if signature == self._seen:
            return False
        self._seen = signature
        try:
            config = load_config(self.path)
        except ConfigError as exc:
            log.error("configuration %s not reloaded, the last good one keeps running:\n%s",
                      self.path, exc)
            self.report(str(exc).splitlines())
            return False
        self.report([])
        if config.version == self.version:
            return False
        keep_snapshot(self.path)
        self.version = config.version
        self.apply(config)
        log.info("configuration %s reloaded (version %s)", self.path, config.version)
        return True

    def start(self) -> None:
        if self._pid == os.getpid():
            return
        self._pid = os.getpid()
        threading.Thread(target=self._run, name="config-watch", daemon=True).start()

    def _run(self) -> None:
        while True:
            time.sleep(self.interval)
            try:
                self.check()
            except OSError as exc:
                log.error("configuration %s unreadable: %s", self.path, exc)

    def _signature(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size
