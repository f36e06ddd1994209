"""`ptbill serve` (the workbench), `ptbill user add` and `ptbill token create`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import sys
from typing import TYPE_CHECKING

import click

from ptbill.cli.common import err, user_errors
from ptbill.errors import InputError
from ptbill.web.settings import ROLES, MiB, WebSettings

if TYPE_CHECKING:  # the web stack loads only when a web command runs
    from ptbill.web.db import Database

DATE = click.DateTime(formats=["%Y-%m-%d"])


def _db(ctx: click.Context) -> str | None:
    root = ctx.find_root().obj or {}
    return root.get("db")


def _database(ctx: click.Context) -> Database:
    from ptbill.web.db import open_database

    return open_database(_db(ctx))


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to listen on (127.0.0.1: this machine only).",
)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--workers", type=click.IntRange(1, 64), default=1, show_default=True, help="Worker processes."
)
@click.option(
    "--as-of",
    "as_of",
    type=DATE,
    default=None,
    help="The business date the pages and actions use. Default: the latest date in "
    "the data (there is no clock).",
)
@click.option(
    "--secure-cookies/--no-secure-cookies",
    default=None,
    help="Mark cookies Secure (needed behind HTTPS). Default: PTBILL_SECURE_COOKIES.",
)
@click.option(
    "--max-upload-mb",
    type=click.FloatRange(0.01, 1024),
    default=None,
    help="Largest file an upload may be (default 20, or PTBILL_MAX_UPLOAD_MB).",
)
@click.pass_context
@user_errors
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    workers: int,
    as_of: dt.datetime | None,
    secure_cookies: bool | None,
    max_upload_mb: float | None,
) -> None:
    """Run the biller's workbench (web pages and the REST API under /api/v1)."""
    import uvicorn

    from ptbill.web.db import open_database

    root = ctx.find_root().obj or {}
    settings = WebSettings.from_env()
    changes: dict[str, object] = {
        "db": root.get("db") or settings.db,
        "config": root.get("config") or settings.config,
        "data": root.get("data") or settings.data,
    }
    if as_of is not None:
        changes["as_of"] = as_of.date()
    if secure_cookies is not None:
        changes["secure_cookies"] = secure_cookies
    if max_upload_mb is not None:
        changes["max_upload_bytes"] = int(max_upload_mb * MiB)
    settings = dataclasses.replace(settings, **changes)  # type: ignore[arg-type]
    # Every worker process builds the app from the environment (ptbill.web.app_from_env).
    os.environ.update(settings.to_env())
    open_database(root.get("db")).dispose()  # migrate once, before the workers start
    err.print(f"ptbill workbench on http://{host}:{port}/ (API docs: /api/docs)")
    uvicorn.run(
        "ptbill.web.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=False,
    )


@click.group()
def user() -> None:
    """Workbench users (admin, biller, viewer)."""


@user.command("add")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    required=True,
    help="admin and biller may change the ledger; viewer only reads.",
)
@click.option(
    "--password-stdin",
    is_flag=True,
    required=True,
    help="Read the password from standard input (never from the command line).",
)
@click.pass_context
@user_errors
def user_add(ctx: click.Context, name: str, role: str, password_stdin: bool) -> None:
    """Add a user who logs in with a password (read from standard input)."""
    from ptbill.web.accounts import add_user

    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise InputError(
            "standard input",
            None,
            "password",
            "no password was given",
            "pipe the password in: printf '%s\\n' \"$PASSWORD\" | ptbill user add "
            "NAME --role ROLE --password-stdin",
        )
    db = _database(ctx)
    try:
        with db.sessions.begin() as session:
            add_user(session, name, role, password)
    finally:
        db.dispose()
    click.echo(f"user {name} added ({role})")


@click.group()
def token() -> None:
    """API tokens (`Authorization: Bearer TOKEN`)."""


@token.command("create")
@click.argument("name")
@click.pass_context
@user_errors
def token_create(ctx: click.Context, name: str) -> None:
    """Make an API token for user NAME and print it (it is shown only this once)."""
    from ptbill.web.accounts import create_token

    db = _database(ctx)
    try:
        with db.sessions.begin() as session:
            value = create_token(session, name)
    finally:
        db.dispose()
    click.echo(value)
