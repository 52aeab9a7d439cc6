"""``hotline admin``: add (prompted or from stdin), list, remove and tokens, on a real database."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from flask import Flask

from app.cli.admin import admin_group
from app.storage import upgrade
from tests.support.admin import sign_in
from tests.support.constants import TEST_CONFIG


def run(admin_db_url: str, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(admin_group, [*args, "--database-url", admin_db_url], input=stdin)
    return result.exit_code, result.output


def test_add_from_a_prompt_then_sign_in(console: Flask, admin_db_url: str) -> None:
    code, out = run(admin_db_url, "add", "Dora", "--role", "admin",
                    stdin="a long passphrase\na long passphrase\n")
    assert code == 0 and "added dora (admin)" in out
    assert "a long passphrase" not in out  # the prompt does not echo it
    assert sign_in(console.test_client(), "dora", "a long passphrase").status_code == 303


def test_add_from_stdin_and_the_rules(admin_db_url: str) -> None:
    assert run(admin_db_url, "add", "ops-bot", "--role", "viewer", "--password-stdin",
               stdin="0123456789ab\n")[0] == 0
    code, out = run(admin_db_url, "add", "ops-bot", "--role", "viewer", "--password-stdin",
                    stdin="0123456789ab\n")
    assert code == 1 and "exists already" in out
    code, out = run(admin_db_url, "add", "shorty", "--role", "viewer", "--password-stdin", stdin="short\n")
    assert code == 1 and "at least 10 characters" in out
    code, out = run(admin_db_url, "add", "bad name", "--role", "viewer", "--password-stdin",
                    stdin="0123456789ab\n")
    assert code == 1 and "invalid username" in out
    code, out = run(admin_db_url, "add", "x", "--role", "root", "--password-stdin", stdin="0123456789ab\n")
    assert code == 2 and "'root' is not one of" in out


def test_list_and_remove(console: Flask, admin_db_url: str) -> None:
    code, out = run(admin_db_url, "list")
    assert code == 0 and [line.split()[:2] for line in out.splitlines()] == [
        ["ann", "admin"], ["victor", "viewer"]]
    assert run(admin_db_url, "remove", "victor", stdin="n\n")[0] == 1  # asked, and declined
    assert run(admin_db_url, "remove", "victor", "--yes") == (0, "removed victor\n")
    assert sign_in(console.test_client(), "victor").status_code == 401
    assert run(admin_db_url, "remove", "victor", "--yes")[0] == 1


def test_list_shows_when_in_the_hotlines_zone(admin_db_url: str) -> None:
    result = CliRunner().invoke(admin_group, ["list", "--database-url", admin_db_url,
                                              "--config", str(TEST_CONFIG)])
    zones = {line.split()[-1] for line in result.output.splitlines()}
    assert result.exit_code == 0 and zones <= {"CET", "CEST"} and zones, result.output
    assert "UTC" not in result.output


def test_tokens(console: Flask, admin_db_url: str) -> None:
    code, token = run(admin_db_url, "token", "victor", "--label", "tickets")
    assert code == 0 and token.startswith("hl_")
    api = console.test_client()
    headers = {"Authorization": f"Bearer {token.strip()}"}
    assert api.get("/api/calls", headers=headers).status_code == 200
    assert run(admin_db_url, "token", "victor", "--revoke-all") == (0, "revoked 1 token(s) of victor\n")
    assert api.get("/api/calls", headers=headers).status_code == 401
    assert run(admin_db_url, "token", "nobody")[0] == 1


def test_a_database_without_the_schema_is_explained(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0002")
    code, out = run(url, "list")
    assert code == 1 and "hotline migrate" in out


def test_an_engineer_account_names_a_person_of_the_configuration(
        console: Flask, admin_db_url: str) -> None:
    config = ["--config", str(TEST_CONFIG)]
    stdin = "0123456789ab\n"
    code, out = run(admin_db_url, "add", "al", "--role", "engineer", "--person", "zoe",
                    *config, "--password-stdin", stdin=stdin)
    assert code == 2 and "no person 'zoe' in the configuration" in out
    code, out = run(admin_db_url, "add", "al", "--role", "engineer", "--password-stdin",
                    stdin=stdin)
    assert code == 1 and "needs the person id" in out
    code, out = run(admin_db_url, "add", "al", "--role", "engineer", "--person", "alice",
                    *config, "--password-stdin", stdin=stdin)
    assert code == 0 and "added al (engineer, person alice)" in out
    assert "person alice" in run(admin_db_url, "list")[1]
    assert sign_in(console.test_client(), "al", "0123456789ab").headers["Location"] == "/admin/me"
    code, out = run(admin_db_url, "role", "victor", "--role", "engineer", "--person", "bob",
                    *config)
    assert code == 0 and "victor is now engineer" in out
    code, out = run(admin_db_url, "role", "victor", "--role", "viewer", "--person", "bob", *config)
    assert code == 1 and "only an engineer account belongs to a person" in out
