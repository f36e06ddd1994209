"""Collections and the net collection rate per clinic (a billing company comparing its
clinics): each dollar of the whole counted once, in one clinic, as of the report's date.

Two clinics of one 835 (paid to Elm Street's NPI): Elm's V-1 billed $143 (2 x 48 + 47) and
Oak's V-7 $149 (2 x 50 + 49, each clinic's chargemaster: demo-clinic.toml), each paid 62.72 by
Medicare (allowed $60 + $20, 80% less 2% sequestration: 64.00 - 1.28; tests.ledger.helpers.
paid_in_full): charges less contractual reductions (CO-45, CO-253) 80.00 - 1.28 = 78.72 each.
Oak's V-7 is then paid its whole charge again (149.00), and the clinic refunds the payer 30.00
of that. That 835's PLB takes 10.00 back for V-7 (Oak's: the claim it names) and 5.00 naming no
claim (Elm's: the payee NPI's clinic). Elm's P-1 pays 20.00, Oak's P-1 25.00."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from ptbill.config.profiles import Config
from ptbill.ledger.db import Ledger
from ptbill.ledger.patient_pay import pay
from ptbill.ledger.payer_refunds import record_payer_refund
from ptbill.ledger.scope import scope_of
from ptbill.reports.report import build_report
from ptbill.reports.report_csv import report_rows
from tests.ledger import helpers as h

D = Decimal
LATER = h.PAID_DAY + dt.timedelta(days=10)
ELM, OAK = "elm-street-pt", "oak-avenue-pt"
BASE = D("80.00") - D("1.28")  # each clinic's charges less their contractual reductions
MONEY = ("provider_adjustments", "payer_refunds", "collections_from_patients")


@pytest.fixture
def two_clinics(ledger: Ledger, config: Config, tmp_path: Path) -> None:
    oak_visit = h.medicare_visit("V-7", dos=dt.date(2025, 3, 5), clinic=OAK)
    visits = [h.medicare_visit("V-1"), oak_visit]
    sent = h.sim_claims(
        h.import_and_submit(ledger, config, h.write_visits(tmp_path / "v.jsonl", visits)).text
    )
    v1, v7 = sent["V-1"], sent["V-7"]
    both = [
        h.decision(v1, h.paid_in_full(v1), icn="A1"),
        h.decision(v7, h.paid_in_full(v7), icn="B1"),
    ]
    h.post_835(ledger, config, h.remit_of(both))
    again = h.remit_of(
        [h.decision(v7, [h.paid(x, x.charge) for x in v7.lines], icn="B9")], number=2
    )
    h.post_835(ledger, config, h.with_plb(again, [("WO:B1", "10.00"), ("FB:X1", "5.00")]), "b.835")
    with ledger.transaction() as s:
        kw: dict[str, Any] = {"method": "check", "on": LATER, "who": h.WHO}
        record_payer_refund(s, claim="V-7", amount=D("30.00"), reference="R1", **kw)
        for clinic, amount, day in ((ELM, "20.00", h.PAID_DAY), (OAK, "25.00", h.PAID_DAY)):
            _pay(s, clinic, amount, day)
        _pay(s, ELM, "7.00", LATER + dt.timedelta(days=1))  # after the report's date


def _pay(s: Session, clinic: str, amount: str, day: dt.date) -> None:
    scope = scope_of(s, [clinic])
    pay(
        s,
        patient="P-1",
        amount=D(amount),
        method="cash",
        reference="",
        on=day,
        who=h.WHO,
        scope=scope,
    )


def _rate(collected: Decimal) -> Decimal:
    return (collected / BASE).quantize(D("0.0001"))


def test_each_clinic_has_its_own_collections_and_they_add_up_to_the_whole(
    ledger: Ledger, two_clinics: None
) -> None:
    elm = D("62.72") - D("5.00") + D("20.00")
    oak = D("62.72") + D("149.00") - D("10.00") - D("30.00") + D("25.00")
    with ledger.transaction() as s:
        r = build_report(s, LATER)
    clinics = r["clinics"]
    assert [tuple(clinics[k][f] for f in MONEY) for k in (ELM, OAK)] == [
        (D("5.00"), D("0.00"), D("20.00")),
        (D("10.00"), D("30.00"), D("25.00")),
    ]
    assert clinics[ELM]["collections_by_payer"] == {"medicare": D("57.72")}
    assert clinics[OAK]["collections_by_payer"] == {"medicare": D("171.72")}
    assert (clinics[ELM]["collections_total"], clinics[OAK]["collections_total"]) == (elm, oak)
    assert r["collections_total"] == elm + oak == D("274.44")
    assert (r["provider_adjustments"], r["payer_refunds"]) == (D("15.00"), D("30.00"))
    assert r["provider_adjustments_of_no_clinic"] == D("0.00")
    assert clinics[ELM]["net_collection_rate"] == _rate(elm) == D("0.9873")
    assert clinics[OAK]["net_collection_rate"] == _rate(oak)
    assert r["net_collection_rate"] == ((elm + oak) / (2 * BASE)).quantize(D("0.0001"))


def test_nothing_after_the_date_counts(ledger: Ledger, two_clinics: None) -> None:
    """The day before the refund: Oak has not sent it back yet; Elm's 7.00 comes later still."""
    with ledger.transaction() as s:
        before = build_report(s, LATER - dt.timedelta(days=1))["clinics"]
        later = build_report(s, LATER + dt.timedelta(days=1))["clinics"]
    assert (before[OAK]["payer_refunds"], before[OAK]["collections_total"]) == (
        D("0.00"),
        D("62.72") + D("149.00") - D("10.00") + D("25.00"),
    )
    assert later[ELM]["collections_from_patients"] == D("27.00")


def test_a_clinics_report_holds_its_row_alone_with_the_same_figures(
    ledger: Ledger, two_clinics: None
) -> None:
    with ledger.transaction() as s:
        whole = build_report(s, LATER)["clinics"]
        for clinic in (ELM, OAK):
            r = build_report(s, LATER, scope_of(s, [clinic]))
            assert list(r["clinics"]) == [clinic]
            own = r["clinics"][clinic]
            assert {k: own[k] for k in (*MONEY, "collections_total", "net_collection_rate")} == {
                k: whole[clinic][k] for k in (*MONEY, "collections_total", "net_collection_rate")
            }
            assert r["collections_total"] == own["collections_total"]


def test_the_csv_has_a_row_per_clinic_figure(ledger: Ledger, two_clinics: None) -> None:
    with ledger.transaction() as s:
        rows = list(report_rows(build_report(s, LATER)))
    got = {(r[2], r[4]): r[5] for r in rows if r[1] == "clinic" and r[3] == "collections_total"}
    assert got == {(ELM, ""): "77.72", (OAK, ""): "196.72"}
    rates = {r[2]: r[5] for r in rows if r[1] == "clinic" and r[3] == "net_collection_rate"}
    assert rates[ELM] == "0.9873"


def test_a_plb_of_no_claim_to_an_npi_no_clinic_has_is_the_wholes_alone(
    ledger: Ledger, two_clinics: None
) -> None:
    """The 835s paid to an NPI of no clinic: the 5.00 naming no claim leaves Elm's row and is
    told apart overall; the 10.00 naming V-7 stays Oak's."""
    from sqlalchemy import update

    from ptbill.ledger import models as m

    with ledger.transaction() as s:
        s.execute(update(m.Payment).values(payee_npi="1000000004"))
        r = build_report(s, LATER)
    clinics = r["clinics"]
    assert (clinics[ELM]["provider_adjustments"], clinics[OAK]["provider_adjustments"]) == (
        D("0.00"),
        D("10.00"),
    )
    assert r["provider_adjustments_of_no_clinic"] == D("5.00")
    assert clinics[ELM]["collections_total"] == D("62.72") + D("20.00")
    each = clinics[ELM]["collections_total"] + clinics[OAK]["collections_total"]
    assert each - D("5.00") == r["collections_total"] == D("274.44")


def test_the_command_line_shows_each_clinics_collections(db_url: str, two_clinics: None) -> None:
    from click.testing import CliRunner

    from ptbill.cli.main import cli

    args = ["--db", db_url, "report", "--as-of", LATER.isoformat()]
    shown = CliRunner().invoke(cli, args)
    assert shown.exit_code == 0, shown.output
    assert "Collections by clinic" in shown.output
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in shown.output.splitlines()]
    rows = {c[0]: c[1:] for c in cells if c and c[0] in (ELM, OAK)}
    # payers (net of PLB and refunds), PLB, refunds, patients, collected, net collection rate
    assert rows[ELM] == ["57.72", "5.00", "0.00", "20.00", "77.72", "98.7%"]  # 77.72 / 78.72
    assert rows[OAK] == ["171.72", "10.00", "30.00", "25.00", "196.72", "249.9%"]  # / 78.72
    as_json = CliRunner().invoke(cli, [*args, "--json"])
    assert '"collections_total": "196.72"' in as_json.output
