"""The demo visits written as FHIR R4, HL7 v2 and CSV (`ptbill demo-data --format`) import into
claims identical, field by field, to importing the same visits as JSON."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlalchemy import select

from ptbill.cli.main import cli
from ptbill.config.profiles import Config
from ptbill.ledger import models as m
from ptbill.ledger.db import Ledger
from ptbill.ledger.importer import import_files

AS_OF = dt.date(2025, 4, 1)
CLAIM = (
    "claim_number",
    "state",
    "date_of_service",
    "charge",
    "expected_allowed",
    "expected_payment",
)
VERSION = ("frequency_code", "original_claim_id", "scrub_status", "findings_json", "charge",
           "expected_payment", "pricing_notes_json")  # fmt: skip
LINE = ("line_number", "code", "modifiers", "units", "charge", "pointers", "minutes",
        "assistant_minutes", "date_of_service", "price_status", "expected_allowed",
        "expected_payment", "expected_patient", "explanation_json", "price_json")  # fmt: skip


def _demo(tmp_path: Path, fmt: str, n: int) -> Path:
    out = tmp_path / f"demo.{fmt}"
    result = CliRunner().invoke(
        cli, ["demo-data", "--visits", str(n), "--format", fmt, "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out


def _claims(url: str) -> dict[str, Any]:
    """Every claim's fields, its version's and its lines', by claim number."""
    with Ledger(url) as ledger, ledger.transaction() as s:
        out: dict[str, Any] = {}
        for claim, version in s.execute(
            select(m.Claim, m.ClaimVersion).join(
                m.ClaimVersion,
                (m.ClaimVersion.claim_id == m.Claim.id)
                & (m.ClaimVersion.version == m.Claim.version),
            )
        ).all():
            lines = s.scalars(select(m.ClaimLine).where(m.ClaimLine.version_id == version.id)).all()
            out[claim.claim_number] = (
                [getattr(claim, f) for f in CLAIM],
                [getattr(version, f) for f in VERSION],
                sorted([getattr(x, f) for f in LINE] for x in lines),
            )
        return out


def _import(url: str, path: Path, config: Config, fmt: str | None) -> None:
    with Ledger(url) as ledger, ledger.transaction() as s:
        import_files(s, [str(path)], as_of=AS_OF, config=config, who="test", fmt=fmt)


def _fresh(db_url: str, tmp_path: Path, name: str) -> str:
    """An empty ledger of the test's kind: a new SQLite file, or the PostgreSQL one cleared."""
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / name}.db"
    from tests.ledger.conftest import _reset_postgres

    _reset_postgres(db_url)
    return db_url


def test_each_format_imports_the_claims_json_does(
    db_url: str, tmp_path: Path, config: Config
) -> None:
    # 1,000 visits; 200 on PostgreSQL (what is compared does not depend on the database).
    n = 1000 if db_url.startswith("sqlite") else 200
    _import(db_url, _demo(tmp_path, "json", n), config, None)
    expected = _claims(db_url)
    assert len(expected) == n
    blocked = sum(1 for c in expected.values() if c[0][1] == "blocked")
    assert 0 < blocked < n  # the demo's labelled mistakes block some claims, not all
    for fmt in ("fhir", "hl7", "csv"):
        url = _fresh(db_url, tmp_path, fmt)
        _import(url, _demo(tmp_path, fmt, n), config, None)  # the format recognised
        got = _claims(url)
        assert got.keys() == expected.keys(), fmt
        different = [k for k in expected if got[k] != expected[k]]
        assert not different, (fmt, different[:3], expected[different[0]], got[different[0]])
