"""``hotline admin``: console accounts (add, list, remove, password, role) and API tokens."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from app.cli.common import config_option, hotline_zone, load_or_exit
from app.schedule.readable import DATE, local_time
from app.storage.db import get_engine
from app.storage.users import (
    ROLES,
    AccountError,
    add_user,
    issue_token,
    list_users,
    remove_user,
    revoke_tokens,
    set_password,
    set_role,
)

F = TypeVar("F", bound=Callable[..., Any])


def database_option(func: F) -> F:
    return click.option(
        "--database-url", envvar="DATABASE_URL", metavar="URL",
        help="Defaults to $DATABASE_URL, else the SQLite file in the var folder.",
    )(func)


def open_session(database_url: str | None) -> Session:
    engine = get_engine(database_url or None)
    if not inspect(engine).has_table("users"):
        raise click.ClickException("no accounts table in this database: run `hotline migrate` first")
    return Session(engine)


@click.group("admin")
def admin_group() -> None:
    """Accounts of the admin console, and tokens for its JSON API."""


def role_option(func: F) -> F:
    return click.option("--role", type=click.Choice(ROLES), required=True,
                        help="admin: may change overrides and follow-ups; viewer: reads only; "
                             "engineer: their own shifts, calls and allowance (needs --person)."
                        )(func)


def person_option(func: F) -> F:
    return config_option(click.option(
        "--person", "person_id", default=None, metavar="ID",
        help="The person of the configuration an engineer account belongs to.")(func))  # type: ignore[return-value]


def checked_person(person_id: str | None, config_path: Path | None) -> str | None:
    """The person id if the configuration knows it (the file is read only when one is given)."""
    if person_id is None:
        return None
    people = load_or_exit(config_path).people
    if person_id not in people:
        raise click.BadParameter(f"no person {person_id!r} in the configuration; known: "
                                 f"{', '.join(people)}", param_hint="--person")
    return person_id


def password_stdin_option(func: F) -> F:
    return click.option(
        "--password-stdin", is_flag=True,
        help="Read the password from the first line of standard input (for scripts).")(func)


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@admin_group.command("add")
@click.argument("username")
@role_option
@person_option
@password_stdin_option
@database_option
def add_command(username: str, role: str, person_id: str | None, config_path: Path | None,
                password_stdin: bool, database_url: str | None) -> None:
    """Create an account; the password is asked twice unless it comes on standard input."""
    person_id = checked_person(person_id, config_path)
    password = read_password(password_stdin)
    with open_session(database_url) as session:
        try:
            user = add_user(session, username, password, role, person_id)
        except AccountError as exc:
            raise click.ClickException(str(exc)) from None
        session.commit()
        person = f", person {user.person_id}" if user.person_id else ""
        click.echo(f"added {user.username} ({user.role}{person})")


@admin_group.command("list")
@database_option
@config_option
def list_command(database_url: str | None, config_path: Path | None) -> None:
    """Show every account, its role and when it was created (in the hotline's zone)."""
    zone = hotline_zone(config_path)
    with open_session(database_url) as session:
        users = list_users(session)
        if not users:
            click.echo("No accounts yet: hotline admin add NAME --role admin")
        width = max((len(u.username) for u in users), default=0)
        for user in users:
            person = f"  person {user.person_id}" if user.person_id else ""
            click.echo(f"{user.username.ljust(width)}  {user.role.ljust(8)}  "
                       f"created {local_time(user.created_at, zone, DATE)}{person}")


@admin_group.command("remove")
@click.argument("username")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@database_option
def remove_command(username: str, yes: bool, database_url: str | None) -> None:
    """Delete an account with its API tokens; its browser sessions end at once."""
    if not yes:
        click.confirm(f"Remove {username} and its API tokens?", abort=True)
    with open_session(database_url) as session:
        if not remove_user(session, username):
            raise click.ClickException(f"no user {username!r}")
        session.commit()
        click.echo(f"removed {username}")


@admin_group.command("password")
@click.argument("username")
@password_stdin_option
@database_option
def password_command(username: str, password_stdin: bool, database_url: str | None) -> None:
    """Set a new password for USERNAME (asked twice); every session of the account ends."""
    password = read_password(password_stdin)
    with open_session(database_url) as session:
        try:
            user = set_password(session, username, password)
        except AccountError as exc:
            raise click.ClickException(str(exc)) from None
        session.commit()
        click.echo(f"password of {user.username} changed; their sessions have ended")


@admin_group.command("role")
@click.argument("username")
@role_option
@person_option
@database_option
def role_command(username: str, role: str, person_id: str | None, config_path: Path | None,
                 database_url: str | None) -> None:
    """Give USERNAME another role (an engineer: and a person); every session of the account ends."""
    person_id = checked_person(person_id, config_path)
    with open_session(database_url) as session:
        try:
            changed = set_role(session, username, role, person_id)
        except AccountError as exc:
            raise click.ClickException(str(exc)) from None
        session.commit()
    name = username.strip().lower()
    click.echo(f"{name} is now {role}; their sessions have ended" if changed
               else f"{name} is {role} already; nothing changed")


@admin_group.command("token")
@click.argument("username")
@click.option("--label", default=None, help="What the token is for, e.g. the ticketing tool.")
@click.option("--revoke-all", is_flag=True, help="Revoke every token of the user instead.")
@database_option
def token_command(username: str, label: str | None, revoke_all: bool,
                  database_url: str | None) -> None:
    """Print a new API token for USER (shown once; keep it secret), or revoke them all."""
    with open_session(database_url) as session:
        try:
            if revoke_all:
                count = revoke_tokens(session, username)
            else:
                token = issue_token(session, username, label, datetime.now(UTC))
        except AccountError as exc:
            raise click.ClickException(str(exc)) from None
        session.commit()
    click.echo(f"revoked {count} token(s) of {username}" if revoke_all else token)
