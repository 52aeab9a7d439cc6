"""gunicorn's start against a configuration file: every worker boots, and never on another
file's last good configuration."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.storage import dispose_engines, upgrade
from tests.support.constants import TEST_CONFIG
from tests.support.processes import Stack, healthy
from tests.support.waiting import wait_until

pytestmark = pytest.mark.stack
STARTS, WORKERS = 2, 4


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    upgrade(url)
    yield url
    dispose_engines()


def test_every_start_of_several_workers_comes_up(tmp_path: Path, sqlite_url: str, redis_url: str) -> None:
    snapshots: list[Path] = []
    for start in range(STARTS):
        workdir = tmp_path / f"start-{start}"  # a fresh var folder: the workers race to fill it
        workdir.mkdir()
        with Stack(workdir, sqlite_url, redis_url, web_workers=WORKERS) as stack:
            stack.start(workers=0)
        snapshots += (workdir / "var").glob("last-good-config*")
        assert stack.web is not None
        # No PUBLIC_BASE_URL in the stack's environment: each worker says so as it starts.
        assert stack.web.log_path.read_text().count("PUBLIC_BASE_URL is not set") == WORKERS
    assert len(snapshots) == STARTS
    assert {p.read_bytes() for p in snapshots} == {TEST_CONFIG.read_bytes()}
    assert {stat.S_IMODE(p.stat().st_mode) for p in snapshots} == {0o600}  # it holds PINs


def test_a_mistake_in_another_file_is_not_covered_by_the_last_ones_snapshot(
        tmp_path: Path, sqlite_url: str, redis_url: str) -> None:
    with Stack(tmp_path, sqlite_url, redis_url, web_workers=2) as stack:
        stack.start(workers=0)  # file A runs, and its snapshot is kept
    other = tmp_path / "b" / "hotline.toml"
    other.parent.mkdir()
    other.write_text(TEST_CONFIG.read_text().replace('pin = "4711"', 'pin = "47"'))
    with Stack(tmp_path, sqlite_url, redis_url, config_path=other, web_workers=2) as stack:
        web = stack.start_web()
        wait_until(lambda: not web.alive or healthy(stack.base_url), 60, "gunicorn to decide")
        assert not web.alive, "started with file A's people and contracts"
        assert web.process.returncode != 0
        assert "contracts.acme.pin" in web.log_path.read_text()
