"""What the commands share: the ``--config`` option, loading the file or exiting with its errors."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from app.config import ConfigError, HotlineConfig, load_config
from app.settings import Settings


def config_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
        default=None, help="Configuration file (default: $HOTLINE_CONFIG or the demo).",
    )(func)


def load_or_exit(config_path: Path | None) -> HotlineConfig:
    path = config_path or Settings.from_env().config_path
    try:
        return load_config(path)
    except ConfigError as exc:
        click.echo(f"invalid configuration:\n{exc}", err=True)
        sys.exit(1)
