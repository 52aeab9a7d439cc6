"""The shipped Prometheus rules (deploy/prometheus) pass promtool's check and their unit tests."""

from __future__ import annotations

import subprocess

from tests.support.prometheus import RULE_TESTS, RULES, promtool


def test_promtool_checks_the_rules() -> None:
    checked = subprocess.run([promtool(), "check", "rules", str(RULES)], capture_output=True,
                             text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 10 rules found" in checked.stdout


def test_the_rules_unit_tests_pass() -> None:
    tested = subprocess.run([promtool(), "test", "rules", RULE_TESTS.name], capture_output=True,
                            text=True, timeout=60, cwd=RULE_TESTS.parent)
    assert tested.returncode == 0, tested.stdout + tested.stderr
