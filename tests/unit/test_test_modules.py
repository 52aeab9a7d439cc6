"""No test module imports another: what tests share lives in tests/support (helpers, and fixtures
as plugins named in tests/conftest.py)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.support.constants import REPO

# Scripts that tests run in a subprocess are strings: an import in one counts too.
IMPORT_IN_TEXT = re.compile(r"^\s*(?:from|import)\s+([\w.]+)", re.MULTILINE)


def imported_modules(path: Path, package: str) -> set[str]:
    """Every module ``path`` imports by name, relative imports resolved within ``package``."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.update(IMPORT_IN_TEXT.findall(node.value))
    return found


def imports_of_test_modules(root: Path) -> list[str]:
    """``importer: imported`` for each test module (test_*.py under ``root``) imported elsewhere."""
    tests = {".".join(p.relative_to(root.parent).with_suffix("").parts): p
             for p in root.rglob("test_*.py")}
    found = []
    for path in sorted(root.rglob("*.py")):
        package = ".".join(path.relative_to(root.parent).parent.parts)
        for name in sorted(imported_modules(path, package) & tests.keys()):
            if tests[name] != path:
                found.append(f"{path.relative_to(root.parent)}: {name}")
    return found


def test_no_test_module_imports_another() -> None:
    assert imports_of_test_modules(REPO / "tests") == []


def test_the_check_finds_each_way_of_importing_a_test_module(tmp_path: Path) -> None:
    root = tmp_path / "tests"
    (root / "unit").mkdir(parents=True)
    (root / "unit" / "test_a.py").write_text("HELPER = 1\n")
    (root / "unit" / "test_b.py").write_text("from tests.unit.test_a import HELPER\n")
    (root / "unit" / "test_c.py").write_text("from tests.unit import test_a\n")
    (root / "unit" / "test_d.py").write_text("from .test_a import HELPER\n")
    (root / "unit" / "test_e.py").write_text('SCRIPT = """\nimport tests.unit.test_a\n"""\n')
    (root / "unit" / "helpers.py").write_text("import tests.unit.test_a as a\n")
    (root / "unit" / "test_f.py").write_text("from tests.unit.helpers import a\n")
    assert imports_of_test_modules(root) == [
        f"tests/unit/{name}: tests.unit.test_a"
        for name in ("helpers.py", "test_b.py", "test_c.py", "test_d.py", "test_e.py")]
