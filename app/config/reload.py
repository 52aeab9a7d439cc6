"""Live configuration reload: a changed file replaces the running configuration only if valid.

A watcher thread in each web process looks at the file every few seconds. A valid file becomes
the configuration of the next webhook; an invalid one is reported and the last good one keeps
running. Each good file is also kept as a snapshot in the var folder, one per file, so a worker
that starts while that file is broken still answers calls with its last good version.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from app.config.loader import ConfigError, load_config, parse_config
from app.config.model import HotlineConfig
from app.settings import var_dir, write_private_file

log = logging.getLogger(__name__)


def snapshot_path(source: Path) -> Path:
    """Where the last good copy of ``source`` is kept: its name says which file it stands for.

    Keyed by the absolute path as given, symlinks not followed: a file swapped in through a
    symlink (a Kubernetes config map) stays the same file from one version to the next.
    """
    where = os.path.abspath(source)
    key = hashlib.sha256(where.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return var_dir() / f"last-good-config.{source.stem}.{key}{source.suffix or '.toml'}"


def load_with_snapshot(path: Path) -> tuple[HotlineConfig, list[str]]:
    """Load ``path``; if it is invalid, its own last good snapshot (and the errors), else raise."""
    try:
        config, raw = read_config(path)
    except ConfigError as exc:
        return _fallback(path, exc)
    keep_snapshot(path, raw)
    return config, []


def read_config(path: Path) -> tuple[HotlineConfig, bytes]:
    """The valid configuration in ``path`` and the very bytes it was validated from."""
    try:
        raw = path.read_bytes()
    except OSError as exc:  # as load_config words it
        raise ConfigError(str(path), [("", f"cannot read the file: {exc.strerror}")]) from exc
    return parse_config(raw, source=str(path), yaml_format=path.suffix in (".yaml", ".yml")), raw


def _fallback(path: Path, error: ConfigError) -> tuple[HotlineConfig, list[str]]:
    """The snapshot of ``path`` with ``error``'s lines, or ``error`` itself when there is none."""
    last_good = _last_good(path)
    if last_good is None:
        raise error
    log.error("configuration %s is invalid, running its last good version:\n%s", path, error)
    return last_good, str(error).splitlines()


def _last_good(path: Path) -> HotlineConfig | None:
    """The snapshot of ``path``, if there is one and it still loads."""
    try:
        snapshot = snapshot_path(path)
        return load_config(snapshot) if snapshot.exists() else None
    except (OSError, ConfigError) as exc:  # unreadable, or not valid for this version any more
        log.error("the last good copy of %s is unusable:\n%s", path, exc)
        return None


def keep_snapshot(path: Path, raw: bytes | None = None) -> bool:
    """Keep ``raw`` (the bytes of ``path`` that were validated) as its snapshot; False on failure.

    Never raises: a worker that cannot write the copy still starts and serves calls.
    """
    try:
        write_private_file(snapshot_path(path), path.read_bytes() if raw is None else raw)
    except OSError as exc:
        log.error("could not keep the last good copy of %s (the snapshot): %s", path, exc)
        return False
    return True


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
            config, raw = read_config(self.path)
        except ConfigError as exc:
            log.error("configuration %s not reloaded, the last good one keeps running:\n%s",
                      self.path, exc)
            self.report(str(exc).splitlines())
            return False
        self.report([])
        if config.version == self.version:
            return False
        keep_snapshot(self.path, raw)
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
