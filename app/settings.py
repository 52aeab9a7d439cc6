"""Process settings from the environment (twelve-factor): paths, URLs and secrets."""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_CONFIG = REPO_ROOT / "config" / "demo.toml"
EVENT_QUEUE = "hotline-events"
# Listed before the call log's queue by the worker: a page or a voicemail note goes first.
NOTIFY_QUEUE = "hotline-notify"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def var_dir() -> Path:
    """Where the embedded defaults keep state (database, Redis data, spool, demo token)."""
    path = Path(os.environ.get("HOTLINE_VAR_DIR", REPO_ROOT / "var"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_database_url(env: dict[str, str] | None = None) -> str:
    """``DATABASE_URL``, or a SQLite file in the var folder (the embedded default)."""
    env = dict(os.environ if env is None else env)
    return env.get("DATABASE_URL") or f"sqlite:///{var_dir() / 'hotline.db'}"


def default_spool_path(env: dict[str, str] | None = None) -> Path:
    """The local append-only file events go to while Redis is unreachable."""
    env = dict(os.environ if env is None else env)
    return Path(env.get("HOTLINE_SPOOL") or var_dir() / "spool" / "events.jsonl")


@dataclass(frozen=True)
class Settings:
    config_path: Path
    redis_url: str | None
    auth_tokens: tuple[str, ...]
    account_sid: str | None
    public_base_url: str | None
    secret_key: str
    trusted_proxies: int
    spool_path: Path
    demo_token: bool = False
    database_url: str = ""
    refresh_seconds: float = 5.0

    @property
    def redis_url_or_default(self) -> str:
        """``REDIS_URL``, or where ``hotline run`` starts its own Redis."""
        return self.redis_url or DEFAULT_REDIS_URL

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        tokens = tuple(
            t for t in (env.get("TWILIO_AUTH_TOKEN"), env.get("TWILIO_AUTH_TOKEN_SECONDARY")) if t
        )
        demo = not tokens
        return cls(
            config_path=Path(env.get("HOTLINE_CONFIG") or DEMO_CONFIG),
            redis_url=env.get("REDIS_URL") or None,
            auth_tokens=tokens or (demo_secret("demo-auth-token", 16),),
            account_sid=env.get("TWILIO_ACCOUNT_SID") or None,
            public_base_url=(env.get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
            secret_key=env.get("SECRET_KEY") or demo_secret("demo-secret-key", 32),
            trusted_proxies=int(env.get("TRUSTED_PROXY_COUNT") or 0),
            spool_path=default_spool_path(env),
            demo_token=demo,
            database_url=default_database_url(env),
            refresh_seconds=float(env.get("HOTLINE_REFRESH_SECONDS") or 5),
        )


def demo_secret(name: str, size: int) -> str:
    """A random secret kept in the var folder, so a local demo and the CLI agree on it.

    Only used when the environment gives none (TWILIO_AUTH_TOKEN, SECRET_KEY): a real
    deployment sets both.
    """
    path = var_dir() / name
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:  # this process created it: nobody else can have drawn another value
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_hex(size))
    for _ in range(100):  # another process may be between creating and writing it
        value = path.read_text().strip()
        if value:
            return value
        time.sleep(0.01)
    raise RuntimeError(f"{path} stays empty; delete it to draw a new secret")
