"""The pure domain stays pure when it runs, not only in its import lines."""

from __future__ import annotations

import json
import subprocess
import sys

PURE = ("app.calls.flow", "app.calls.ledger", "app.config", "app.contracts", "app.escalation",
        "app.prompts", "app.schedule", "app.settings", "app.guard.port", "app.sla.report",
        "app.schedule.periods", "app.sla.hours", "app.sla.export", "app.allowances",
        "app.allowances.export")
FRAMEWORKS = ("flask", "werkzeug", "jinja2", "twilio", "redis", "rq", "sqlalchemy", "alembic")


def loaded_after_importing(modules: tuple[str, ...]) -> list[str]:
    """The framework modules a fresh interpreter holds after importing ``modules``."""
    script = (
        "import importlib, json, sys\n"
        f"for name in {list(modules)!r}: importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {FRAMEWORKS!r})))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_importing_the_domain_loads_no_framework() -> None:
    assert loaded_after_importing(PURE) == []


def test_the_check_sees_a_framework_when_one_is_loaded() -> None:
    assert "flask" in loaded_after_importing(("app.web",))
