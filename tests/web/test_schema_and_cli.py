"""The web tables' migration (the `web` Alembic branch) and the commands: `ptbill user add`,
`ptbill token create`, `ptbill serve`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from sqlalchemy import MetaData, inspect

from ptbill.cli.main import cli
from ptbill.ledger.migrate import alembic_config
from ptbill.ledger.models import Clinic
from ptbill.web import WebSettings, create_app
from ptbill.web.db import open_database
from ptbill.web.models import ApiToken, Grant, LoginFailure, SecurityEvent, User, WebSession

WEB_MODELS = (User, ApiToken, WebSession, Grant, LoginFailure, SecurityEvent)
WEB_TABLES = {model.__tablename__ for model in WEB_MODELS}


def test_the_web_branch_migrates_to_exactly_the_models(tmp_path: Path) -> None:
    script = ScriptDirectory.from_config(alembic_config())
    web = script.get_revision("web")  # the branch label
    assert web is not None and web.revision == "w001"
    assert web.down_revision == "0001"  # built on the ledger's first schema
    db = open_database(f"sqlite:///{tmp_path / 'fresh.db'}")
    engine = db.engine
    try:
        assert set(inspect(engine).get_table_names()) >= WEB_TABLES
        with engine.connect() as conn:
            heads = set(MigrationContext.configure(conn).get_current_heads())
            assert heads == set(script.get_heads())
            mine = MetaData()
            for model in (*WEB_MODELS, Clinic):  # the grants' clinics (not compared here)
                model.__table__.to_metadata(mine)  # type: ignore[attr-defined]
            diffs = compare_metadata(
                MigrationContext.configure(
                    conn,
                    opts={
                        "compare_type": True,
                        "include_name": lambda name, kind, _: kind != "table" or name in WEB_TABLES,
                        "include_object": lambda _, name, kind, *__: (
                            kind != "table" or name in WEB_TABLES
                        ),
                    },
                ),
                mine,
            )
        assert diffs == []
    finally:
        db.dispose()


def _run(args: list[str], stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, args, input=stdin, obj={})
    return result.exit_code, result.output


def test_user_add_and_token_create(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.db")
    code, out = _run(
        [
            *("--db", db, "user", "add", "maria", "--role", "biller"),
            *("--clinic", "elm-street-pt", "--password-stdin"),
        ],
        "correct horse battery\n",
    )
    assert code == 0 and "user maria added (biller at elm-street-pt)" in out
    assert "correct horse" not in out
    code, out = _run(
        ["--db", db, "user", "add", "maria", "--role", "viewer", "--password-stdin"],
        "another password\n",
    )
    assert code == 2 and "exists already" in out
    code, out = _run(
        ["--db", db, "user", "add", "sam", "--role", "boss", "--password-stdin"], "long enough pw\n"
    )
    assert code == 2 and "boss" in out
    code, out = _run(
        ["--db", db, "user", "add", "sam", "--role", "viewer", "--password-stdin"], "short\n"
    )
    assert code == 2 and "shorter than 8 characters" in out
    code, out = _run(["--db", db, "user", "add", "sam", "--role", "viewer", "--password-stdin"], "")
    assert code == 2 and "no password" in out
    code, out = _run(["--db", db, "token", "create", "nobody"])
    assert code == 2 and "no user 'nobody'" in out
    code, out = _run(["--db", db, "token", "create", "maria"])
    assert code == 0
    token = out.strip()
    assert token.startswith("ptb_")
    app = create_app(WebSettings(db=db))
    try:
        from fastapi.testclient import TestClient

        with TestClient(app) as client:
            ok = client.get("/api/v1/claims", headers={"Authorization": f"Bearer {token}"})
            assert ok.status_code == 200 and ok.json()["total"] == 0
            # The password works on the login form.
            form = client.get("/login").text
            csrf = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            r = client.post(
                "/login",
                data={"username": "maria", "password": "correct horse battery", "csrf_token": csrf},
                follow_redirects=False,
            )
            assert r.status_code == 303
    finally:
        app.state.db.dispose()


def test_serve_answers_on_loopback(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ptbill",
            "--db",
            str(tmp_path / "served.db"),
            "serve",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError("ptbill serve did not answer") from None
                time.sleep(0.2)
        assert r.status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/claims").status_code == 401
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=15)


def test_the_tenancy_migration_keeps_what_each_user_could_reach(tmp_path: Path) -> None:
    """Before 0006 a biller or viewer reached every clinic: after it, a grant at each."""
    from sqlalchemy import text

    from ptbill.ledger.engine import make_engine
    from ptbill.ledger.migrate import downgrade, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        upgrade(engine, "w001")
        with engine.begin() as conn:
            for n, key in enumerate(("elm", "oak"), start=1):
                conn.execute(
                    text(
                        "INSERT INTO clinics (id, key, name, npi, tax_id) "
                        "VALUES (:id, :key, :key, '1234567893', '12-3456789')"
                    ),
                    {"id": n, "key": key},
                )
            for n, (name, role) in enumerate(
                (("al", "admin"), ("bea", "biller"), ("vi", "viewer"))
            ):
                conn.execute(
                    text(
                        "INSERT INTO web_users (id, name, role, password_hash, active, created_at)"
                        " VALUES (:id, :name, :role, 'x', true, '2026-01-01')"
                    ),
                    {"id": n + 1, "name": name, "role": role},
                )
        upgrade(engine)
        with engine.connect() as conn:
            roles = dict(conn.execute(text("SELECT name, role FROM web_users")).all())
            grants = conn.execute(
                text("SELECT user_id, clinic_id, role FROM web_grants ORDER BY user_id, clinic_id")
            ).all()
        assert roles == {"al": "admin", "bea": "clinic", "vi": "clinic"}
        assert [tuple(g) for g in grants] == [
            (2, 1, "biller"),
            (2, 2, "biller"),
            (3, 1, "viewer"),
            (3, 2, "viewer"),
        ]
        downgrade(engine, "w001")
        with engine.connect() as conn:
            roles = dict(conn.execute(text("SELECT name, role FROM web_users")).all())
        assert roles == {"al": "admin", "bea": "biller", "vi": "viewer"}
    finally:
        engine.dispose()
