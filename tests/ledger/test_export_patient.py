"""`ptbill export --what patient-transactions`: the patients' payments, refunds and write-offs,
one row each with what it was applied to, reconciling with `ptbill report`'s collections by
patient (payments less refunds, docs/ledger.md "Patient money").

The ledger (tests.ledger.test_patient_money): V-1 and V-2 each leave P-1 a coinsurance of
16.00 when Medicare pays. P-1 pays 10.00 (to V-1) and 20.00 (6.00 to V-1, 14.00 credit), is
refunded 4.00 of the credit, V-2's decision comes and the 10.00 credit left is applied to it,
and the 6.00 V-2 still leaves is written off."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from ptbill.config.profiles import Config
from ptbill.errors import InputError
from ptbill.ledger import models as m
from ptbill.ledger.db import Ledger
from ptbill.ledger.patient_pay import pay, refund, write_off
from ptbill.reports.export import ExportQuery, check, write
from ptbill.reports.report import build_report
from tests.ledger.helpers import PAID_DAY, WHO
from tests.ledger.test_patient_money import _owed, _paid, _post, sent  # noqa: F401

D = Decimal
PAY_DAY = PAID_DAY + dt.timedelta(days=1)
OFF_DAY = PAID_DAY + dt.timedelta(days=2)


@pytest.fixture
def moved(ledger: Ledger, config: Config, sent: dict) -> Ledger:  # noqa: F811
    """The ledger after P-1's money moved (the module's docstring)."""
    _post(ledger, config, _paid(sent, "V-1"))
    with ledger.transaction() as s:
        pay(s, patient="P-1", amount=D("10.00"), method="card", reference="A1", on=PAY_DAY, who=WHO)
        pay(s, patient="P-1", amount=D("20.00"), method="check", reference="", on=PAY_DAY, who=WHO)
        refund(
            s, patient="P-1", amount=D("4.00"), method="check", reference="R9", on=PAY_DAY, who=WHO
        )
    _post(ledger, config, _paid(sent, "V-2", number=2))
    assert _owed(ledger, OFF_DAY).balance == D("6.00")  # 16.00 less the 10.00 credit
    with ledger.transaction() as s:
        write_off(s, patient="P-1", reason="hardship", on=OFF_DAY, who=WHO)
    return ledger


def _export(ledger: Ledger, fmt: Any, **kw: Any) -> list[dict[str, Any]]:
    out = io.StringIO()
    with ledger.transaction() as s:
        query = ExportQuery("patient-transactions", **kw)  # type: ignore[arg-type]
        check(s, query)
        write(s, query, fmt, out)
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(out.getvalue())))
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_each_payment_refund_and_write_off_with_what_it_paid(moved: Ledger) -> None:
    ledger = moved
    with ledger.transaction() as s:
        clinic = s.scalar(select(m.Clinic.key).join(m.Visit, m.Visit.clinic_id == m.Clinic.id))
    expected = [
        (str(PAY_DAY), clinic, "P-1", "payment", "card", "A1", "10.00", "10.00", "V-1 10.00"),
        (str(PAY_DAY), clinic, "P-1", "payment", "check", "", "20.00", "20.00",
         "V-1 6.00; V-2 10.00"),
        (str(PAY_DAY), clinic, "P-1", "refund", "check", "R9", "4.00", "-4.00", ""),
        (str(OFF_DAY), clinic, "P-1", "writeoff", "none", "", "6.00", "0.00", "V-2 6.00"),
    ]  # fmt: skip
    names = ("on_date", "clinic", "patient", "kind", "method", "reference", "amount")
    names += ("collected", "applied_to")
    for fmt in ("csv", "jsonl"):
        rows = _export(ledger, fmt)
        got = [tuple("" if r[n] is None else str(r[n]) for n in names) for r in rows]
        assert got == expected, fmt
    assert _export(ledger, "jsonl")[3]["note"] == "hardship"
    assert [r["kind"] for r in _export(ledger, "csv", since=OFF_DAY)] == ["writeoff"]
    assert [r["kind"] for r in _export(ledger, "csv", until=PAY_DAY)] == ["payment"] * 2 + [
        "refund"
    ]
    assert len(_export(ledger, "csv", clinic=clinic)) == 4
    with pytest.raises(InputError, match="no clinic 'nowhere'"):
        _export(ledger, "csv", clinic="nowhere")


def test_the_export_reconciles_with_the_reports_patient_collections(moved: Ledger) -> None:
    ledger = moved
    with ledger.transaction() as s:
        report = build_report(s, OFF_DAY)
    collected = sum((D(r["collected"]) for r in _export(ledger, "jsonl")), D(0))
    assert collected == D("26.00")  # 10.00 + 20.00 - 4.00 (a write-off brings nothing in)
    assert collected == sum(report["collections_by_patient"].values(), D(0))
    as_of_pay_day = _export(ledger, "csv", until=PAY_DAY)
    with ledger.transaction() as s:
        then = build_report(s, PAY_DAY)["collections_by_patient"]
    assert sum((D(r["collected"]) for r in as_of_pay_day), D(0)) == sum(then.values(), D(0))
