"""Process settings from the environment (twelve-factor): paths, URLs and secrets."""

from __future__ import annotations

import os
import secrets
import stat
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_CONFIG = REPO_ROOT / "config" / "demo.toml"
EVENT_QUEUE = "hotline-events"
# Listed before the call log's queue by the worker: a page or a voicemail note goes first.
NOTIFY_QUEUE = "hotline-notify"
EMBEDDED_REDIS_PORT = 6379
EMBEDDED_REDIS_PASSWORD = "embedded-redis-password"  # its file in the var folder


def var_dir() -> Path:
    """Where the embedded defaults keep state (database, Redis data, spool, demo token), for
    this user alone (0700)."""
    path = Path(os.environ.get("HOTLINE_VAR_DIR", REPO_ROOT / "var"))
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder = path.stat()
    # An older version left it 0755; a shared folder (sticky, like /tmp) or another's stays.
    if folder.st_mode & 0o077 and not folder.st_mode & stat.S_ISVTX and folder.st_uid == os.getuid():
        path.chmod(0o700)
    return path


def default_database_url(env: dict[str, str] | None = None) -> str:
    """``DATABASE_URL``, or a SQLite file in the var folder (the embedded default)."""
    env = dict(os.environ if env is None else env)
    return env.get("DATABASE_URL") or f"sqlite:///{var_dir() / 'hotline.db'}"


def default_spool_path(env: dict[str, str] | None = None) -> Path:
    """The local append-only file events go to while Redis is unreachable."""
    env = dict(os.environ if env is None else env)
    return Path(env.get("HOTLINE_SPOOL") or var_dir() / "spool" / "events.jsonl")


def write_private_file(target: Path, data: bytes) -> None:
    """Replace ``target`` with ``data`` whole, readable by this user only (mode 0600).

    Through a temporary file of its own in the same folder: processes writing the same target
    at once never see each other's temporary file, and a reader sees the old or the new file.
    """
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def is_demo(env: Mapping[str, str]) -> bool:
    """The local demo: no TWILIO_AUTH_TOKEN, so a random one is drawn into the var folder."""
    return not (env.get("TWILIO_AUTH_TOKEN") or env.get("TWILIO_AUTH_TOKEN_SECONDARY"))


def public_url_warning(public_base_url: str | None, demo: bool) -> str | None:
    """What an unset PUBLIC_BASE_URL lets through, outside the demo; None when it is set."""
    if public_base_url or demo:
        return None
    return ("PUBLIC_BASE_URL is not set: webhook signatures are checked against the host the "
            "request names (Host, or X-Forwarded-Host behind TRUSTED_PROXY_COUNT), so a request "
            "Twilio signed for another deployment with the same auth token (say, staging) is "
            "accepted here. Set PUBLIC_BASE_URL to the address Twilio calls.")


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
    metrics_token: str | None = None  # unset: no /metrics, and webhooks are not timed
    ready_log_lag_seconds: float = 300.0  # /readyz: how far behind the call log may be

    @property
    def redis_url_or_default(self) -> str:
        """``REDIS_URL``, or where ``hotline run`` starts its own Redis."""
        return self.redis_url or embedded_redis_url()

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        tokens = tuple(
            t for t in (env.get("TWILIO_AUTH_TOKEN"), env.get("TWILIO_AUTH_TOKEN_SECONDARY")) if t
        )
        demo = is_demo(env)
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
            metrics_token=env.get("METRICS_TOKEN") or None,
            ready_log_lag_seconds=float(env.get("READY_LOG_LAG_SECONDS") or 300),
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


def embedded_redis_password() -> str:
    """The password of the Redis ``hotline run`` starts when REDIS_URL is unset: drawn once and
    kept in the var folder (0600), so the same user's processes and commands find it."""
    return demo_secret(EMBEDDED_REDIS_PASSWORD, 32)


def embedded_redis_url(port: int = EMBEDDED_REDIS_PORT) -> str:
    """Where that Redis listens, with its password."""
    return f"redis://:{embedded_redis_password()}@127.0.0.1:{port}/0"
