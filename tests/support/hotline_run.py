"""`hotline run` started for real in a temporary folder, waited on until healthy, and the
processes it leaves, read from /proc."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from app.devtools.embedded_redis import free_port
from tests.support.processes import NO_PROXY

HOTLINE = Path(sys.executable).with_name("hotline")


def env_for(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "PORT"}}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'hotline.db'}"
    env["HOTLINE_VAR_DIR"] = str(tmp_path / "var")
    return env


class HotlineRun:
    """`hotline run` in a temp dir with its output in a file; killed outright if a test fails."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.port = free_port()
        self.log = tmp_path / "run.log"

    def __enter__(self) -> tuple[subprocess.Popen[bytes], int, Path]:
        argv = [str(HOTLINE), "run", "--port", str(self.port), "--web-workers", "2"]
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                argv, cwd=self.tmp_path, env=env_for(self.tmp_path),
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        return self.process, self.port, self.log

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            family = descendants(self.process.pid)
            self.process.kill()
            self.process.wait()
            for pid in family:
                kill(pid)


def wait_healthy(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, f"hotline run exited early:\n{log.read_text()}"
        try:
            with NO_PROXY.open(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                if response.status == 200 and response.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"/healthz did not answer within 20 s:\n{log.read_text()}")


def proc_stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text[text.rindex(")") + 2:].split()  # fields after the command name: state, ppid...


def alive(pid: int) -> bool:
    fields = proc_stat(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = proc_stat(int(entry.name))
            if fields is not None and int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def descendants(pid: int) -> set[int]:
    family: set[int] = set()
    todo = [pid]
    while todo:
        for child in children(todo.pop()):
            if child not in family:
                family.add(child)
                todo.append(child)
    return family


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
