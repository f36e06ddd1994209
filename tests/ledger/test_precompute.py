"""Worker processes code, scrub and price ahead of a large import: the ledger they leave must be
the one a single process leaves, row for row, including the visits the importer must redo
itself (context derived from history, two visits of one patient on one day)."""

from __future__ import annotations

import copy
import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ptbill.config.profiles import Config
from ptbill.demo.generator import generate
from ptbill.errors import InputError
from ptbill.ledger import models as m
from ptbill.ledger.db import Ledger
from ptbill.ledger.importer import import_files
from ptbill.ledger.precompute import Precompute
from ptbill.reference.catalog import catalog
from ptbill.reference.importers.fees import import_fee_schedule
from ptbill.reference.snapshot import take_snapshot
from tests.ledger.helpers import WHO, write_visits

AS_OF = dt.date(2025, 3, 31)
CLOCK = {"recorded_at"}  # the audit's wall-clock time of writing, not a billing fact
TABLES = (
    m.Visit,
    m.Claim,
    m.ClaimVersion,
    m.ClaimLine,
    m.WorkItem,
    m.AuditEntry,
    m.Patient,
    m.Payer,
)


def _visits() -> list[dict[str, Any]]:
    visits = generate(240, 11, start=dt.date(2025, 3, 3), days=10)
    # A second visit of a patient on the same day, in the same batch, without its episode
    # context: the importer derives that context from history itself, so no worker sees this
    # visit, and the duplicate checks of the first visit must see it: the importer scrubs both.
    twin = copy.deepcopy(visits[50])
    twin["visit_id"] = twin["visit_id"] + "-B"
    twin.pop("episode", None)
    # A visit id twice in one batch: the last copy wins, and the duplicate checks never see
    # the first.
    first = copy.deepcopy(visits[60])
    first["diagnoses"] = list(reversed(first["diagnoses"]))
    return [*visits[:51], twin, *visits[51:60], first, *visits[60:]]


def _import(url: str, path: str, config: Config, workers: int) -> dict[str, list[tuple]]:
    ledger = Ledger(url)
    try:
        with ledger.transaction() as s:
            summary = import_files(
                s, [path], as_of=AS_OF, config=config, who=WHO, batch_size=40, workers=workers
            )
        assert summary.new == 241 and summary.read == 242 and summary.derived >= 1
        with ledger.transaction() as s:
            return {
                t.__tablename__: [
                    tuple(getattr(row, c.key) for c in t.__table__.columns if c.key not in CLOCK)
                    for row in s.scalars(select(t).order_by(t.id))
                ]
                for t in TABLES
            }
    finally:
        ledger.close()


def test_workers_leave_the_ledger_one_process_leaves(config: Config, tmp_path: Path) -> None:
    path = write_visits(tmp_path / "v.jsonl", _visits())
    alone = _import(f"sqlite:///{tmp_path / 'alone.db'}", path, config, workers=0)
    pooled = _import(f"sqlite:///{tmp_path / 'pooled.db'}", path, config, workers=2)
    assert sum(len(rows) for rows in alone.values()) > 1000
    blocked = [r for r in alone["claims"] if "blocked" in r]
    assert blocked, "the generated month has blocked claims (their work items are compared too)"
    for table, rows in alone.items():
        assert pooled[table] == rows, table


def _dies(path: str, items: list[Any]) -> list[Any]:
    os._exit(3)  # a worker killed (out of memory...) in the middle of a batch


def test_a_worker_that_dies_fails_the_import_cleanly(config: Config, tmp_path: Path) -> None:
    path = write_visits(tmp_path / "v.jsonl", _visits()[:90])
    with Precompute(config, AS_OF, workers=1) as pre:
        pre.task = _dies
        with pytest.raises(InputError) as e:
            list(pre.batches(path, 40))
    assert "worker process" in e.value.problem and "--workers 0" in e.value.fix


def test_workers_read_the_runs_reference_snapshot(config: Config, tmp_path: Path) -> None:
    # Contracts for the fee-schedule payers, imported before the run's snapshot is taken: the
    # workers get the snapshot (its description) and price those visits from it, as the main
    # process does.
    folder, fees = tmp_path / "data", tmp_path / "fees.csv"
    fees.write_text("code,modifier,allowed\n" + "".join(f"{c},,45.00\n" for c in catalog()))
    contracts = [k for k, p in config.payers.items() if p.pricing == "fee_schedule"]
    for key in contracts:
        import_fee_schedule(folder, key, fees)
    with_contracts = config.with_reference(take_snapshot(folder))
    path = write_visits(tmp_path / "v.jsonl", _visits())
    alone = _import(f"sqlite:///{tmp_path / 'alone.db'}", path, with_contracts, workers=0)
    pooled = _import(f"sqlite:///{tmp_path / 'pooled.db'}", path, with_contracts, workers=2)
    bundled = _import(f"sqlite:///{tmp_path / 'bundled.db'}", path, config, workers=2)
    for table, rows in alone.items():
        assert pooled[table] == rows, table

    def contract_allowed(rows: dict[str, list[tuple]]) -> list[object]:
        columns = [c.key for c in m.Claim.__table__.columns if c.key not in CLOCK]
        allowed, payer = columns.index("expected_allowed"), columns.index("payer_id")
        payer_ids = {r[0]: r[1] for r in rows["payers"]}
        return [r[allowed] for r in rows["claims"] if payer_ids[r[payer]] in contracts]

    assert contract_allowed(pooled) and None not in contract_allowed(pooled)
    # Over the bundled data, Medicaid has no contract and the others the configuration's
    # SAMPLE fees: other amounts.
    assert None in contract_allowed(bundled)
    assert contract_allowed(bundled) != contract_allowed(pooled)
