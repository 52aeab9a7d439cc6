"""Says which servers the tests will start, and fails when a required one is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.devtools.embedded_redis import EmbeddedRedisError, redis_executable  # noqa: E402
from tests.support.postgres import find_bin_dir, unavailable_reason  # noqa: E402


def version(executable: Path | str, flag: str = "--version") -> str:
    try:
        out = subprocess.run([str(executable), flag], capture_output=True, text=True, timeout=20)
    except OSError as exc:
        return f"cannot run: {exc}"
    lines = (out.stdout + out.stderr).strip().splitlines()
    return lines[0] if lines else f"exit code {out.returncode}"


def postgres_required() -> bool:
    return os.environ.get("CI") == "true" or os.environ.get("HOTLINE_REQUIRE_POSTGRES") == "1"


def main() -> int:
    problems: list[str] = []
    try:
        redis = redis_executable()
        print(f"test services: redis-server  {redis} ({version(redis)})")
    except EmbeddedRedisError as exc:
        problems.append(str(exc))
    reason = unavailable_reason()
    if reason is None:
        bin_dir = find_bin_dir()
        assert bin_dir is not None
        print(f"test services: PostgreSQL    {bin_dir} ({version(bin_dir / 'postgres')})")
    elif postgres_required():
        problems.append(f"{reason} (required: CI=true or HOTLINE_REQUIRE_POSTGRES=1)")
    else:
        print(f"test services: PostgreSQL    missing, its tests will not run here: {reason}")
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    print(f"test services: Chromium      {browser or 'missing (apt-get install chromium)'}")
    for problem in problems:
        print(f"test services: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
