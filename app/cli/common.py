"""What the commands share: the ``--config`` option, loading the file or exiting with its errors,
the hotline's time zone for printing times."""

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


def hotline_zone(config_path: Path | None) -> str:
    """The hotline's time zone; UTC (said so) when the file cannot be read: the database still can."""
    try:
        return load_config(config_path or Settings.from_env().config_path).hotline.timezone
    except ConfigError as error:
        click.echo(f"times in UTC: the configuration is invalid ({error})", err=True)
        return "UTC"
