"""Runs the scripts in tests/node/ (Twilio's Node helper library) with JSON in and JSON out."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

from tests.support.constants import REPO

NODE_DIR = REPO / "tests" / "node"
INSTALL_HINT = "run `npm ci --prefix tests/node` (from the repository root) first"


class NodeToolsMissing(RuntimeError):
    """Node.js or the packages of tests/node/ are not installed."""


def run_node(script: str, payload: Any = None, timeout: float = 60.0) -> Any:
    """Run ``tests/node/<script>`` with ``payload`` as JSON on stdin; return its JSON output."""
    node = shutil.which("node")
    if node is None:
        raise NodeToolsMissing(f"the tests need Node.js (>= 20) on PATH; then {INSTALL_HINT}")
    if not (NODE_DIR / "node_modules" / "twilio" / "package.json").is_file():
        raise NodeToolsMissing(f"{NODE_DIR / 'node_modules'} is missing: {INSTALL_HINT}")
    done = subprocess.run(
        [node, str(NODE_DIR / script)], input=json.dumps(payload), capture_output=True,
        text=True, timeout=timeout, cwd=NODE_DIR, check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"node {script} failed ({done.returncode}):\n{done.stderr.strip()}")
    return json.loads(done.stdout)
