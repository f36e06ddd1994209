"""Alembic: the schema is created on first use, brought up to date on upgrade, and matches the
models."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.orm import Session

from ptbill.config.profiles import Config
from ptbill.ledger import models as m
from ptbill.ledger.db import Ledger
from ptbill.ledger.engine import make_engine
from ptbill.ledger.importer import import_files
from ptbill.ledger.migrate import alembic_config, downgrade, upgrade
from ptbill.ledger.models import Base
from tests.ledger.helpers import write_visits

LEDGER_TABLES = {t.name for t in Base.metadata.sorted_tables if not t.name.startswith("web_")}


def _heads() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def test_first_use_creates_the_schema_at_the_latest_migration(db_url: str) -> None:
    with Ledger(db_url) as ledger, ledger.engine.connect() as conn:
        assert set(MigrationContext.configure(conn).get_current_heads()) == _heads()
        assert set(inspect(conn).get_table_names()) >= LEDGER_TABLES


def test_the_models_and_the_migrations_agree(db_url: str) -> None:
    with Ledger(db_url) as ledger, ledger.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_object": lambda obj, name, kind, *_: (
                    (kind != "table" or name in LEDGER_TABLES)
                    and not (
                        kind in ("index", "column", "unique_constraint", "foreign_key_constraint")
                        and getattr(getattr(obj, "table", None), "name", "").startswith("web_")
                    )
                ),
            },
        )
        diffs = [
            d
            for d in compare_metadata(context, Base.metadata)
            if not (
                isinstance(d, tuple) and d[0] == "remove_table" and d[1].name not in LEDGER_TABLES
            )
        ]
        assert diffs == []


def test_an_older_schema_is_upgraded_on_open(db_url: str) -> None:
    from sqlalchemy import create_engine

    from ptbill.ledger.engine import make_engine

    engine = make_engine(db_url) if db_url.startswith("sqlite") else create_engine(db_url)
    upgrade(engine, "0001")  # the ledger as first released
    with engine.connect() as conn:
        assert set(MigrationContext.configure(conn).get_current_heads()) == {"0001"}
    engine.dispose()
    with Ledger(db_url) as ledger, ledger.engine.connect() as conn:
        assert set(MigrationContext.configure(conn).get_current_heads()) == _heads()


def test_opening_again_changes_nothing(db_url: str) -> None:
    Ledger(db_url).close()
    with Ledger(db_url) as ledger, ledger.engine.connect() as conn:
        assert set(MigrationContext.configure(conn).get_current_heads()) == _heads()


def test_the_shared_texts_migrate_down_and_up_with_their_content(
    db_url: str, config: Config, tmp_path: Path
) -> None:
    """Migration 0002 moves the four JSON texts of claim versions and lines into `texts`, once
    per distinct text; going back to 0001 and up again keeps every text as it was."""
    from ptbill.demo.generator import generate

    path = write_visits(tmp_path / "v.jsonl", generate(120, 3, start=dt.date(2025, 3, 3), days=3))
    with Ledger(db_url) as ledger, ledger.transaction() as s:
        import_files(s, [path], as_of=dt.date(2025, 4, 1), config=config, who="test")
        before = _texts(s)
        distinct = s.scalar(select(func.count(m.StoredText.id)))
    # One row per distinct text, however many rows use it.
    used = [t for rows in before for row in rows for t in row if t is not None]
    assert distinct == len(set(used)) and distinct < len(used)
    engine = make_engine(db_url) if db_url.startswith("sqlite") else create_engine(db_url)
    downgrade(engine, "0001")
    with engine.connect() as conn:
        old = conn.execute(
            text("SELECT findings_json, pricing_notes_json FROM claim_versions ORDER BY id")
        ).all()
        assert [tuple(r) for r in old] == before[0]
        old = conn.execute(
            text("SELECT explanation_json, price_json FROM claim_lines ORDER BY id")
        ).all()
        assert [tuple(r) for r in old] == before[1]
        assert "texts" not in inspect(conn).get_table_names()
    engine.dispose()
    with Ledger(db_url) as ledger, ledger.transaction() as s:  # opening upgrades again
        assert _texts(s) == before
        assert s.scalar(select(func.count(m.StoredText.id))) == distinct


def _texts(s: Session) -> tuple[list[tuple[str, str | None]], list[tuple[str, str | None]]]:
    versions = s.execute(
        select(m.ClaimVersion.findings_json, m.ClaimVersion.pricing_notes_json)
        .select_from(m.ClaimVersion)
        .order_by(m.ClaimVersion.id)
    )
    lines = s.execute(
        select(m.ClaimLine.explanation_json, m.ClaimLine.price_json)
        .select_from(m.ClaimLine)
        .order_by(m.ClaimLine.id)
    )
    return [tuple(r) for r in versions], [tuple(r) for r in lines]


def test_patient_work_items_are_linked_to_their_patient_down_and_up(db_url: str) -> None:
    """Migration 0009 links the refund and collections items (no claim, reference
    `patient:ID`) to the patient of that id, when one clinic has it; an id two clinics share
    stays unlinked (no guess), as do other items. Going back to 0008 drops the link only."""
    engine = make_engine(db_url) if db_url.startswith("sqlite") else create_engine(db_url)
    upgrade(engine, "0008")
    with engine.begin() as conn:
        for cid, key, npi in ((1, "elm", "1234567893"), (2, "oak", "1245319599")):
            conn.execute(
                text(
                    "INSERT INTO clinics (id, key, name, npi, tax_id) VALUES (:i, :k, :k, :n, '1')"
                ),
                {"i": cid, "k": key, "n": npi},
            )
        for pid, cid, ext in ((1, 1, "P-1"), (2, 2, "P-1"), (3, 2, "P-2"), (4, 1, "P-3")):
            conn.execute(
                text(
                    "INSERT INTO patients (id, clinic_id, external_id, first_name, last_name, "
                    "birth_date, sex) VALUES (:p, :c, :e, 'A', 'B', '1950-01-01', 'F')"
                ),
                {"p": pid, "c": cid, "e": ext},
            )
        items = [
            (1, "patient:P-1", "refund", "patient"),  # two clinics' P-1: not linked
            (2, "patient:P-2", "refund", "patient"),
            (3, "patient:P-3", "collections", "statements"),
            (4, "CLP-X", "unmatched", "remittance:1"),
        ]
        for wid, ref, kind, source in items:
            conn.execute(
                text(
                    "INSERT INTO work_items (id, reference, kind, category, action, detail, "
                    "due_date, status, created_on, source) VALUES (:w, :r, :k, 'c', 'a', 'd', "
                    "'2025-01-01', 'open', '2025-01-01', :s)"
                ),
                {"w": wid, "r": ref, "k": kind, "s": source},
            )
    upgrade(engine, "0009")
    with engine.connect() as conn:
        linked = conn.execute(text("SELECT id, patient_id FROM work_items ORDER BY id")).all()
        assert [tuple(r) for r in linked] == [(1, None), (2, 3), (3, 4), (4, None)]
    downgrade(engine, "0008")
    with engine.connect() as conn:
        assert "patient_id" not in {c["name"] for c in inspect(conn).get_columns("work_items")}
        assert conn.execute(text("SELECT COUNT(*) FROM work_items")).scalar() == 4
    engine.dispose()


def test_the_heads_read_from_the_scripts_are_alembics() -> None:
    from ptbill.ledger.migrate import _heads as read_from_text

    assert read_from_text() == _heads()
    assert len(read_from_text()) >= 1


def test_a_ledger_at_the_latest_schema_opens_without_alembic(tmp_path: Path) -> None:
    """Opening a ledger checks its schema from alembic's table alone: importing alembic and
    every migration script cost each command a tenth of a second."""
    url = f"sqlite:///{tmp_path / 'l.db'}"
    Ledger(url).close()  # made at the latest schema
    code = (
        "import sys; from ptbill.ledger.db import Ledger; "
        "Ledger(sys.argv[1], read_only=True).close(); Ledger(sys.argv[1]).close(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, url], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
