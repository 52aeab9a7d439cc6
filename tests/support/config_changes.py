"""Variants of a configuration file for tests: a copy with one change, and the problems a
broken one is refused with."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import tomli_w

from app.config import ConfigError, parse_config


def with_change(path: Path, change) -> bytes:  # type: ignore[no-untyped-def]
    data = tomllib.loads(path.read_text())
    change(data)
    return tomli_w.dumps(data).encode()


def problems_of(raw: bytes) -> dict[str, str]:
    with pytest.raises(ConfigError) as info:
        parse_config(raw, source="t.toml")
    return dict(info.value.problems)
