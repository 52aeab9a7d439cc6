"""The test configuration and the numbers, people and credentials it names."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
TEST_CONFIG = DATA / "hotline.toml"
AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
SECRET_KEY = "test-secret"
ACCOUNT_SID = "AC" + "1" * 32
# Wednesday of the rotation's 48th week: dana is on call, alice is next, then erin, then carol.
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
HOTLINE = "+49305550100"
ACME = "+49301234567"
ALICE, BOB, DANA = "+4915155500001", "+4915155500002", "+4915155500003"
ERIN, CAROL = "+4915155500004", "+4915155500009"
