"""`ptbill serve` (the workbench); `ptbill user ...` and `ptbill token ...` (who may use it);
`ptbill access-log` (the security audit)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from ptbill.cli.common import err, print_json, user_errors
from ptbill.errors import InputError
from ptbill.web.settings import CLINIC_ROLES, COMPANY_ROLES, ROLES, MiB, WebSettings

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
    help="The business date the pages and actions use. Default: today in the company's "
    "time zone (`ptbill --today` freezes it).",
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

    from ptbill.web.db import open_database, over_budget

    root = ctx.find_root().obj or {}
    settings = WebSettings.from_env()
    changes: dict[str, object] = {
        "db": root.get("db") or settings.db,
        "config": root.get("config") or settings.config,
        "data": root.get("data") or settings.data,
    }
    if as_of is not None:
        changes["as_of"] = as_of.date()
    if root.get("today") is not None:
        changes["today"] = root["today"]
    if secure_cookies is not None:
        changes["secure_cookies"] = secure_cookies
    if max_upload_mb is not None:
        changes["max_upload_bytes"] = int(max_upload_mb * MiB)
    settings = dataclasses.replace(settings, **changes)  # type: ignore[arg-type]
    # Every worker process builds the app from the environment (ptbill.web.app_from_env).
    os.environ.update(settings.to_env())
    database = open_database(root.get("db"))  # migrate once, before the workers start
    try:
        warning = over_budget(database.engine, workers, settings.pool_size)
    finally:
        database.dispose()
    if warning:
        err.print(warning)
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


def _password_from_stdin(usage: str) -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise InputError(
            file="standard input",
            visit_id=None,
            field="password",
            problem="no password was given",
            fix=f"pipe the password in: printf '%s\\n' \"$PASSWORD\" | {usage}",
        )
    return password


@contextmanager
def _admin_session(ctx: click.Context) -> Iterator[Any]:
    """One transaction on the ledger for a user or token command; what it refuses is named
    by the command's options."""
    from ptbill.web.admin import CLI_WORDS, named_as

    db = _database(ctx)
    try:
        with named_as(CLI_WORDS), db.sessions.begin() as session:
            yield session
    finally:
        db.dispose()


def _config(ctx: click.Context) -> Any:
    from ptbill.config import load_config

    return load_config((ctx.find_root().obj or {}).get("config"))


def _actor() -> str:
    """Who makes a change at the command line (the security audit's `who`)."""
    from ptbill.cli.ledger_cmds import who

    return who()


def _as_json_or(rows: list[dict[str, Any]], as_json: bool, line: Any) -> None:
    if as_json:
        print_json(rows)
        return
    for r in rows:
        click.echo(line(r))


@click.group()
def user() -> None:
    """Workbench users: a company-wide role (admin, manager) or roles per clinic (biller,
    viewer)."""


@user.command("add")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    required=True,
    help="admin (changes anything, manages users) and manager (reads every clinic) are "
    "company-wide; biller (changes) and viewer (reads) are given at the clinics named.",
)
@click.option(
    "--clinic",
    "clinics",
    multiple=True,
    metavar="KEY",
    help="A clinic where the user has the role (biller, viewer); repeat for several.",
)
@click.option(
    "--password-stdin",
    is_flag=True,
    required=True,
    help="Read the password from standard input (never from the command line).",
)
@click.pass_context
@user_errors
def user_add(
    ctx: click.Context, name: str, role: str, clinics: tuple[str, ...], password_stdin: bool
) -> None:
    """Add a user who logs in with a password (read from standard input)."""
    from ptbill.web import admin

    password = _password_from_stdin(
        "ptbill user add NAME --role ROLE [--clinic KEY] --password-stdin"
    )
    with _admin_session(ctx) as session:
        admin.add_user(session, _config(ctx), _actor(), name, role, password, clinics)
    where = f" at {', '.join(clinics)}" if clinics else ""
    click.echo(f"user {name} added ({role}{where})")


@user.command("grant")
@click.argument("name")
@click.option("--clinic", required=True, metavar="KEY", help="The clinic.")
@click.option("--role", type=click.Choice(CLINIC_ROLES), required=True)
@click.pass_context
@user_errors
def user_grant(ctx: click.Context, name: str, clinic: str, role: str) -> None:
    """Give a user a role at one clinic (replacing the role they had there)."""
    from ptbill.web import admin

    with _admin_session(ctx) as session:
        admin.grant(session, _config(ctx), _actor(), name, clinic, role)
    click.echo(f"user {name}: {role} at {clinic}")


@user.command("revoke")
@click.argument("name")
@click.option("--clinic", required=True, metavar="KEY", help="The clinic.")
@click.option("--role", type=click.Choice(CLINIC_ROLES), default=None, help="(Any role.)")
@click.pass_context
@user_errors
def user_revoke(ctx: click.Context, name: str, clinic: str, role: str | None) -> None:
    """Take away a user's role at one clinic: their sessions end at once, and so do their
    tokens narrowed to that clinic (all their tokens when no access is left)."""
    from ptbill.web import admin

    with _admin_session(ctx) as session:
        had = admin.revoke(session, _config(ctx), _actor(), name, clinic)
    click.echo(f"user {name}: no role at {clinic}" + ("" if had else " (had none)"))


@user.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice([*COMPANY_ROLES, "none"]))
@click.pass_context
@user_errors
def user_role(ctx: click.Context, name: str, role: str) -> None:
    """Set a user's company-wide role (admin, manager), or none (only their clinics' roles)."""
    from ptbill.web import admin

    with _admin_session(ctx) as session:
        admin.set_role(session, _actor(), name, role)
    click.echo(f"user {name}: company-wide role {role}")


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
@user_errors
def user_list(ctx: click.Context, as_json: bool) -> None:
    """The users, their roles (company-wide and per clinic) and whether they may log in."""
    from ptbill.web.accounts import list_users

    with _admin_session(ctx) as session:
        rows = list_users(session)

    def line(u: dict[str, Any]) -> str:
        roles = [u["company_role"]] if u["company_role"] else []
        roles += [f"{r}@{k}" for k, r in u["clinics"].items()]
        state = "" if u["active"] else "  (disabled)"
        return f"{u['name']}  {' '.join(roles) or '(no access)'}{state}"

    _as_json_or(rows, as_json, line)


def _set_active(ctx: click.Context, name: str, active: bool) -> None:
    from ptbill.web import admin

    with _admin_session(ctx) as session:
        admin.set_active(session, _actor(), name, active)
    click.echo(f"user {name} {'enabled' if active else 'disabled'}")


@user.command("disable")
@click.argument("name")
@click.pass_context
@user_errors
def user_disable(ctx: click.Context, name: str) -> None:
    """Refuse the user at once: sessions ended, tokens refused (401)."""
    _set_active(ctx, name, False)


@user.command("enable")
@click.argument("name")
@click.pass_context
@user_errors
def user_enable(ctx: click.Context, name: str) -> None:
    """Let a disabled user log in again (their tokens work again unless revoked)."""
    _set_active(ctx, name, True)


@user.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, required=True, help="Read it from standard input.")
@click.pass_context
@user_errors
def user_passwd(ctx: click.Context, name: str, password_stdin: bool) -> None:
    """Set a user's password (read from standard input); their sessions end."""
    from ptbill.web import admin

    password = _password_from_stdin("ptbill user passwd NAME --password-stdin")
    with _admin_session(ctx) as session:
        admin.set_password(session, _actor(), name, password)
    click.echo(f"user {name}: password changed")


@user.command("unlock")
@click.argument("name")
@click.pass_context
@user_errors
def user_unlock(ctx: click.Context, name: str) -> None:
    """Lift a login lockout (after repeated failed logins) for a user."""
    from ptbill.web import admin

    with _admin_session(ctx) as session:
        admin.unlock(session, _actor(), name)
    click.echo(f"user {name} unlocked")


@click.group()
def token() -> None:
    """API tokens (`Authorization: Bearer TOKEN`)."""


@token.command("create")
@click.argument("name")
@click.option("--clinic", default=None, metavar="KEY", help="Narrow the token to one clinic.")
@click.option(
    "--expires", type=DATE, default=None, help="The day the token stops working (00:00 UTC)."
)
@click.pass_context
@user_errors
def token_create(
    ctx: click.Context, name: str, clinic: str | None, expires: dt.datetime | None
) -> None:
    """Make an API token for user NAME and print it (it is shown only this once)."""
    from ptbill.web import admin

    with _admin_session(ctx) as session:
        value = admin.create_token(
            session, _config(ctx), _actor(), name, clinic, expires.date() if expires else None
        )
    click.echo(value)


@token.command("list")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
@user_errors
def token_list(ctx: click.Context, name: str | None, as_json: bool) -> None:
    """The API tokens (of user NAME): id, user, first characters, clinic, expiry, revoked."""
    from ptbill.web.accounts import list_tokens

    with _admin_session(ctx) as session:
        rows = list_tokens(session, name)

    def line(t: dict[str, Any]) -> str:
        parts = [str(t["id"]), t["user"], f"{t['prefix']}...", t["clinic"] or "(all clinics)"]
        if t["expires_at"]:
            parts.append(f"expires {t['expires_at']:%Y-%m-%d}")
        if t["revoked"]:
            parts.append("revoked")
        return "  ".join(parts)

    _as_json_or(rows, as_json, line)


@token.command("revoke")
@click.argument("token_id", type=click.IntRange(1, 2**31 - 1), metavar="ID")
@click.pass_context
@user_errors
def token_revoke(ctx: click.Context, token_id: int) -> None:
    """Revoke a token (its id from `ptbill token list`): refused at once (401)."""
    from ptbill.web import admin

    with _admin_session(ctx) as session:
        owner = admin.revoke_token(session, _actor(), token_id)
    click.echo(f"token {token_id} of {owner} revoked")


@click.command("access-log")
@click.option("--clinic", "clinics", multiple=True, metavar="KEY", help="Of this clinic.")
@click.option("--patient", "patient_id", type=click.IntRange(1), default=None, help="Patient id.")
@click.option("--event", default=None, help="One kind (read-patient, export, login-failed...).")
@click.option("--since", type=DATE, default=None, help="From this day (UTC).")
@click.option("--until", type=DATE, default=None, help="To this day (UTC), inclusive.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
@user_errors
def access_log(
    ctx: click.Context,
    clinics: tuple[str, ...],
    patient_id: int | None,
    event: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    limit: int,
    as_json: bool,
) -> None:
    """The security audit, newest first: who read which patient's record or exported what,
    per clinic and date range; refused and locked-out logins; user and token changes."""
    from ptbill.ledger.scope import clinic_ids
    from ptbill.web.security import events

    with _admin_session(ctx) as session:
        rows = events(
            session,
            clinic_ids=clinic_ids(session, clinics) if clinics else None,
            patient_id=patient_id,
            event=event,
            since=since.date() if since else None,
            until=until.date() if until else None,
            limit=limit,
        )

    def line(e: dict[str, Any]) -> str:
        patient = f"patient {e['patient_id']}" if e["patient_id"] else ""
        return "  ".join(
            x
            for x in (
                f"{e['at']:%Y-%m-%d %H:%M:%S}",
                e["who"],
                e["event"],
                e["clinic"] or "",
                patient,
                e["detail"],
            )
            if x
        )

    _as_json_or(rows, as_json, line)
