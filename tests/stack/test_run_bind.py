"""`hotline run` listens on loopback unless told otherwise (--host, env HOTLINE_HOST)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli.run import run_command
from tests.support.constants import AUTH_TOKEN, REPO, TEST_CONFIG
from tests.support.ports import free_port
from tests.support.processes import healthy, stop_gracefully
from tests.support.waiting import wait_until

pytestmark = pytest.mark.stack
# Another address of this machine: all of 127/8 reaches the loopback interface, but a socket
# bound to 127.0.0.1 answers only there, exactly as it ignores the machine's network addresses.
OTHER_ADDRESS = "127.0.0.2"


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


@pytest.mark.parametrize(("options", "env_host", "elsewhere"), [
    ([], None, False),
    (["--host", "0.0.0.0"], None, True),
    ([], "0.0.0.0", True),
], ids=["default-loopback", "option", "environment"])
def test_hotline_run_binds_loopback_unless_told(
    tmp_path: Path, options: list[str], env_host: str | None, elsewhere: bool
) -> None:
    port = free_port()
    env = {
        **os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'hotline.db'}",
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "HOTLINE_CONFIG": str(TEST_CONFIG),
        "HOTLINE_VAR_DIR": str(tmp_path / "var"), "PORT": str(port), "SECRET_KEY": "stack-test",
    }
    env.pop("REDIS_URL", None)
    env.pop("HOTLINE_HOST", None)
    if env_host:
        env["HOTLINE_HOST"] = env_host
    log_path = tmp_path / "run.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "run", "--web-workers", "1", *options],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until(lambda: healthy(base) or process.poll() is not None, 60, "hotline run")
            assert process.poll() is None, log_path.read_text()
            assert reachable(OTHER_ADDRESS, port) is elsewhere, log_path.read_text()
            shown = "0.0.0.0" if elsewhere else "127.0.0.1"
            assert f"listening on http://{shown}:{port}" in log_path.read_text()
        finally:
            stop_gracefully(process)
    assert process.returncode == 0, log_path.read_text()[-3000:]


def test_the_port_check_looks_where_hotline_run_will_listen() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(run_command, ["--port", str(port)], env={"HOTLINE_HOST": None})
    assert result.exit_code == 1
    assert f"port {port} is in use" in result.output
