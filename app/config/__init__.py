"""The hotline configuration file: schema, validation and the frozen objects the call path reads."""

from app.config.loader import ConfigError, load_config, parse_config
from app.config.model import HotlineConfig, HotlineSettings

__all__ = ["ConfigError", "HotlineConfig", "HotlineSettings", "load_config", "parse_config"]
