"""The examples of docs/visit-format.md, each loaded with ptbill's intake and then coded, scrubbed
and priced through the CLI's JSON contract. What each example claims to show is checked against
values worked out here from the rules (docs/billing-rules.md), not copied from ptbill's output:
units from the 8-minute rules, modifiers from section 3, Medicare amounts from P-1 to P-7 with
the bundled 2025 RVUs, GPCIs and constants read straight from the data files."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ptbill.cli.main import cli
from ptbill.config import load_config
from ptbill.intake import load_visits

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
DATA = ROOT / "src" / "ptbill" / "reference" / "data"
CENT = Decimal("0.01")
# The demo clinic's Medicare locality (config/demo-clinic.toml): Illinois, Rest of Illinois.
LOCALITY = ("06102", "99")


@pytest.fixture(autouse=True)
def _bundled_data_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # The bundled configuration and reference data only: nothing a developer imported.
    monkeypatch.setenv("PTBILL_DATA", str(tmp_path / "data"))
    monkeypatch.delenv("PTBILL_CONFIG", raising=False)


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def run(command: str, path: Path, *extra: str) -> tuple[int, Any]:
    r = CliRunner().invoke(cli, [command, str(path), "--json", *extra], obj={})
    assert r.exit_code in (0, 1), r.output
    return r.exit_code, json.loads(r.stdout)


@dataclass(frozen=True)
class Outcome:
    visit: dict[str, Any]
    coded: dict[str, Any]
    scrubbed: dict[str, Any]
    priced: dict[str, Any]

    @property
    def lines(self) -> list[tuple[str, int, list[str]]]:
        return [(x["code"], x["units"], x["modifiers"]) for x in self.coded["lines"]]

    def findings(self, *severities: str) -> list[str]:
        return [f["rule"] for f in self.scrubbed["findings"] if f["severity"] in severities]


def outcome(
    tmp_path: Path, name: str, change: Callable[[dict[str, Any]], None] | None = None
) -> Outcome:
    """An example (changed, if asked) through intake, `code`, `scrub` a week after its date of
    service, and `price`."""
    source = EXAMPLES / f"visit-{name}.json"
    visit = json.loads(source.read_text(encoding="utf-8"))
    path = source
    if change is not None:
        visit = copy.deepcopy(visit)
        change(visit)
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(visit), encoding="utf-8")
    [loaded] = load_visits(path)
    assert loaded.visit_id == visit["visit_id"]
    as_of = (loaded.date_of_service + dt.timedelta(days=7)).isoformat()
    _, [coded] = run("code", path)
    _, [scrubbed] = run("scrub", path, "--as-of", as_of)
    _, [priced] = run("price", path)
    return Outcome(visit, coded, scrubbed, priced)


# --- Medicare amounts from the rules ---------------------------------------------------------


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _constant(name: str, year: int) -> Decimal:
    [row] = [r for r in _rows("constants.csv") if r["name"] == name and r["year"] == str(year)]
    return Decimal(row["value"])


@dataclass(frozen=True)
class Expected:
    allowed: Decimal
    coinsurance: Decimal
    payment: Decimal


def medicare_2025(lines: list[tuple[str, int, list[str]]]) -> list[Expected]:
    """Each billed line's allowed amount, coinsurance and Medicare payment for a 2025 date of
    service: P-1 (one unit's amount), P-3 (the therapy MPPR), P-5 (CQ at 85% after MPPR), P-6
    (20% coinsurance; no deductible known), P-7 (sequestration of Medicare's share); cents
    rounded half up at the points docs/pricing.md names."""
    codes = {r["code"]: r for r in _rows("codes.csv")}
    [gpci] = [r for r in _rows("gpci_2025.csv") if (r["mac"], r["locality"]) == LOCALITY]
    cf = _constant("pfs_conversion_factor", 2025)
    mppr = _constant("mppr_pe_reduction_percent", 2025) / 100
    cq = _constant("cq_co_payment_reduction_percent", 2025) / 100
    sequestration = _constant("sequestration_reduction_percent", 2025) / 100
    coinsurance = Decimal("0.20")

    def part(code: str, rvu: str, factor: str) -> Decimal:
        return Decimal(codes[code][rvu]) * Decimal(gpci[factor]) * cf

    unit_fee, pe = [], []
    for code, _, _ in lines:
        pe.append(part(code, "nonfacility_pe_rvu", "pe_gpci"))
        whole = part(code, "work_rvu", "pw_gpci") + pe[-1] + part(code, "mp_rvu", "mp_gpci")
        unit_fee.append(money(whole))
    # P-3: of every always-therapy unit of the day the one with the highest PE is paid in full
    # (ties: the higher fee after CQ, then the line listed first); every other one loses half
    # of its PE part.
    units = [
        (i, n)
        for i, (code, count, _) in enumerate(lines)
        if codes[code]["mppr_applies"] == "true"
        for n in range(count)
    ]
    after_cq = [1 - cq if "CQ" in mods else Decimal(1) for _, _, mods in lines]
    full = min(units, key=lambda u: (-pe[u[0]], -unit_fee[u[0]] * after_cq[u[0]], u))
    out = []
    for i, (_, count, mods) in enumerate(lines):
        cut = sum(money(pe[i] * mppr) for j, n in units if j == i and (j, n) != full)
        amount = unit_fee[i] * count - cut
        if "CQ" in mods:
            amount -= money(amount * cq)
        patient = money(amount * coinsurance)
        share = amount - patient
        out.append(Expected(amount, patient, share - money(share * sequestration)))
    return out


def assert_priced_by_the_rules(o: Outcome) -> None:
    expected = medicare_2025(o.lines)
    got = o.priced["lines"]
    assert [x["status"] for x in got] == ["priced"] * len(got)
    for line, e in zip(got, expected, strict=True):
        assert Decimal(line["allowed"]) == e.allowed, line["code"]
        assert Decimal(line["coinsurance"]) == e.coinsurance, line["code"]
        assert Decimal(line["expected_payment"]) == e.payment, line["code"]
    assert Decimal(o.priced["allowed"]) == sum(e.allowed for e in expected)
    assert Decimal(o.priced["expected_payment"]) == sum(e.payment for e in expected)


def set_path(dotted: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(visit: dict[str, Any]) -> None:
        node: Any = visit
        keys = dotted.split(".")
        for key in keys[:-1]:
            node = node[int(key)] if key.isdigit() else node[key]
        if value is None:
            del node[keys[-1]]
        else:
            node[keys[-1]] = value

    return change


# --- the examples ----------------------------------------------------------------------------


def test_the_complete_visit(tmp_path: Path) -> None:
    o = outcome(tmp_path, "complete")
    # U-10: 24 + 13 = 37 timed minutes make 2 units; U-16: 97110 keeps its full unit and the
    # remaining one goes to the larger leftover, 97140's 13 minutes against 97110's 9. M-1: GP.
    assert o.coded["total_timed_minutes"] == 37
    assert o.lines == [("97110", 1, ["GP"]), ("97140", 1, ["GP"])]
    assert o.scrubbed["status"] == "ready"
    assert o.findings("error", "warning") == []
    assert_priced_by_the_rules(o)
    # The page states the amounts: they are the ones the rules give.
    page = (ROOT / "docs" / "visit-format.md").read_text(encoding="utf-8")
    expected = medicare_2025(o.lines)
    for amount in (
        expected[0].allowed,
        expected[1].allowed,
        sum(e.allowed for e in expected),
        sum(e.coinsurance for e in expected),
        sum(e.payment for e in expected),
    ):
        assert f"${amount}" in page


def test_the_evaluation(tmp_path: Path) -> None:
    o = outcome(tmp_path, "evaluation")
    # E-7/U-2: the evaluation is one untimed unit; U-7: its 30 minutes are not timed minutes,
    # so the day has 10 timed minutes, one unit (U-10).
    assert o.coded["total_timed_minutes"] == 10
    assert o.lines == [("97162", 1, ["GP"]), ("97110", 1, ["GP"])]
    assert o.scrubbed["status"] == "ready"
    assert "EVAL-COMPLEXITY" not in o.findings("error", "warning", "info")
    assert_priced_by_the_rules(o)
    # E-1/E-3: 2 history factors and 3 exam elements do not support high complexity.
    high = outcome(tmp_path, "evaluation", set_path("services.0.code", "97163"))
    assert high.scrubbed["status"] == "blocked"
    assert "EVAL-COMPLEXITY" in high.findings("error")


def test_work_by_an_assistant_carries_cq(tmp_path: Path) -> None:
    o = outcome(tmp_path, "cq")
    # U-10: 42 minutes, 3 units; U-16: 97110 two full units, 97530's 12 leftover minutes the
    # third. M-10: 97110's whole blocks, one the therapist's and one the assistant's (CQ);
    # M-9: all of 97530 is the assistant's. M-12: the CQ unit of 97110 on its own line.
    assert o.lines == [
        ("97110", 1, ["GP"]),
        ("97110", 1, ["GP", "CQ"]),
        ("97530", 1, ["GP", "CQ"]),
    ]
    assert o.scrubbed["status"] == "ready"
    assert o.findings("error", "warning") == []
    assert_priced_by_the_rules(o)
    cq_cut = [Decimal(x["cq_reduction"]) for x in o.priced["lines"]]
    assert cq_cut[0] == 0 and cq_cut[1] > 0 and cq_cut[2] > 0  # M-8: only the CQ lines
    # M-9: one assistant minute of twelve is within the 10% de minimis: no CQ on 97530.
    within = outcome(tmp_path, "cq", set_path("services.1.assistant_minutes", 1))
    assert within.lines[2] == ("97530", 1, ["GP"])


def test_above_the_threshold_the_claim_carries_kx(tmp_path: Path) -> None:
    o = outcome(tmp_path, "kx")
    threshold = _constant("kx_threshold_pt_slp_combined_usd", 2025)
    assert Decimal(o.visit["episode"]["therapy_amount_ytd"]) > threshold
    # U-10: 38 minutes, 3 units; U-16: 97110 (1 full + 8) wins the third over 97116 (1 + 0).
    # M-3: above the threshold with medical necessity documented, KX on every line.
    assert o.lines == [("97110", 2, ["GP", "KX"]), ("97116", 1, ["GP", "KX"])]
    assert o.scrubbed["status"] == "ready"
    assert o.findings("error", "warning") == []
    assert_priced_by_the_rules(o)
    # M-6: no documentation, no KX, and the claim is stopped.
    bare = outcome(tmp_path, "kx", set_path("episode.kx_medical_necessity_documented", False))
    assert all("KX" not in mods for _, _, mods in bare.lines)
    assert "KX-NOT-DOCUMENTED" in bare.findings("error")


def test_a_prior_authorization(tmp_path: Path) -> None:
    o = outcome(tmp_path, "authorization")
    # U-31: the commercial profile's per-code method: 20 minutes x1, 10 minutes x1.
    assert o.coded["unit_method"] == "ama"
    assert o.lines == [("97110", 1, ["GP"]), ("97112", 1, ["GP"])]
    assert o.scrubbed["status"] == "ready"
    assert not [r for r in o.findings("error", "warning") if r.startswith("AUTH-")]
    # C-9: a commercial plan's amounts are its contract's: here the demo clinic's SAMPLE
    # contract fees (demo-clinic.toml, labelled as invented), units x the amount per unit.
    fees = load_config().payer("commercial").contract_fees
    assert fees is not None
    assert [(x["status"], Decimal(x["allowed"])) for x in o.priced["lines"]] == [
        ("priced", fees.allowed["97110"]),
        ("priced", fees.allowed["97112"]),
    ]
    assert all("SAMPLE" in x["source"] for x in o.priced["lines"])
    # R-2 (CARC 197): no number, no visits left, too many units, or outside the dates.
    cases = {
        "AUTH-MISSING": set_path("episode.authorization", None),
        "AUTH-EXHAUSTED": set_path("episode.authorization.visits_used", 12),
        "AUTH-DATES": set_path("episode.authorization.end_date", "2025-04-01"),
    }
    for rule, change in cases.items():
        assert rule in outcome(tmp_path, "authorization", change).findings("error"), rule
    units = outcome(tmp_path, "authorization", set_path("episode.authorization.units_used", 35))
    assert "AUTH-EXHAUSTED" in units.findings("error")  # 35 + 2 > 36


def test_a_distinct_service_gets_the_x_modifier(tmp_path: Path) -> None:
    o = outcome(tmp_path, "distinct")
    # M-17: 97140/97530 in separate time blocks; M-16: the modifier on the column-2 code
    # (97530); M-15: Medicare's profile names the reason, XU for a time block, never with 59.
    assert o.lines == [("97140", 1, ["GP"]), ("97530", 1, ["GP", "XU"])]
    assert o.scrubbed["status"] == "ready"
    assert o.findings("error", "warning") == []
    assert_priced_by_the_rules(o)
    # Without the documentation no modifier, and the pair edit stops the claim (M-14).
    bare = outcome(tmp_path, "distinct", set_path("services.1.distinct", None))
    assert bare.lines[1] == ("97530", 1, ["GP"])
    assert "NCCI-PTP" in bare.findings("error")
