"""The schedule domain imports only the standard library, holidays and itself."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import app.schedule

ALLOWED = {"holidays", "app"}


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_schedule_imports_no_framework() -> None:
    package = Path(app.schedule.__file__).parent
    for path in sorted(package.glob("*.py")):
        for name in imported_modules(path):
            top = name.partition(".")[0]
            assert top in sys.stdlib_module_names or top in ALLOWED, f"{path.name}: {name}"
            if top == "app":
                assert name.startswith("app.schedule"), f"{path.name}: {name}"
