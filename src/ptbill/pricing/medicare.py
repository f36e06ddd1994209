"""The Medicare PFS amount of each billed line of a visit, before the patient/payer split:
fee schedule amount per unit (P-1, P-2), the therapy MPPR (P-3), then the CQ/CO 15% reduction
(M-8, P-5).

Order of MPPR and CQ (billing-rules.md section 9.5 leaves it open): MPPR first, on the PE of
the unreduced units, then CQ on the line after MPPR. The statute pays an assistant's service at
85% of "the amount that would otherwise apply", and the amount that would otherwise apply
already carries the MPPR. Multiplication commutes, so the order changes only which unit ranks
first (by PE before CQ; see mppr.py) and where cents are rounded (settle.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ptbill.domain.coded import CodedLine, CodedVisit
from ptbill.pricing.model import LineMath, LineStatus
from ptbill.pricing.money import HUNDRED, percent_of
from ptbill.pricing.mppr import MpprUnit, explain, full_price_line
from ptbill.pricing.pfs import FeeComponents, fee_components
from ptbill.pricing.sources import Found, GpciTable, RvuTable
from ptbill.reference.constants import CQ_REDUCTION, MPPR, SEQUESTRATION, constant

ASSISTANT_MODIFIERS = ("CQ", "CO")
PE_PLACES = Decimal("0.0001")  # PE parts are shown unrounded enough to check the cents
PART_B_COINSURANCE = Decimal(20)  # P-6

# Status codes of the PFS Relative Value File that pay nothing for the code itself.
NOT_PAID = {
    "B": "bundled (status B): paid only within other services, never on its own",
    "I": "not valid for Medicare (status I): Medicare uses another code",
    "N": "not covered by Medicare (status N)",
    "X": "excluded from the fee schedule by statute (status X)",
    "E": "excluded from the fee schedule by regulation (status E)",
    "P": "bundled or excluded (status P)",
    "M": "a measurement code (status M): reported, not paid",
    "D": "deleted code (status D)",
    "F": "deleted code (status F)",
    "G": "not valid for Medicare (status G): Medicare uses another code",
    "H": "deleted modifier combination (status H)",
    "J": "anesthesia service (status J): not paid from RVUs",
}
CONTRACTOR_PRICED = "C"
NOTED = {
    "R": "restricted coverage (status R): paid only where the MAC covers it",
    "T": "status T: paid only when no other service is paid that day",
}


@dataclass
class PfsLine:
    """One billed line on its way to a price."""

    index: int
    line: CodedLine
    status: LineStatus = "priced"
    basis: list[str] = field(default_factory=list)
    fee: FeeComponents | None = None
    math: LineMath | None = None
    source: str = ""

    def fail(self, status: LineStatus, why: str) -> None:
        self.status = status
        self.basis.append(why)


@dataclass(frozen=True)
class SharePolicy:
    """Who pays what once the allowed amount is known: set by the payer profile."""

    coinsurance_percent: Decimal
    sequestration_percent: Decimal | None
    applies_sequestration: bool
    scale_percent: Decimal = HUNDRED


def _percent(name: str, year: int) -> Decimal | None:
    c = constant(name, year)
    return c.value if c else None


def medicare_sequestration(year: int, override: Decimal | None) -> tuple[Decimal | None, str]:
    if override is not None:
        return override, f"sequestration {override}% (payer profile setting)"
    value = _percent(SEQUESTRATION, year)
    if value is None:
        return None, (
            f"the {year} sequestration rate is blank in the reference data "
            "(constants.csv: not verified): expected payments are BEFORE "
            "sequestration; set sequestration_percent in the payer profile once known"
        )
    return value, f"sequestration {value}% of Medicare's share (P-7; constants.csv {year})"


def pfs_lines(
    coded: CodedVisit,
    locality: Found[str],
    table_found: Found[RvuTable],
    gpci_found: Found[GpciTable],
    policy: SharePolicy,
) -> tuple[list[PfsLine], list[str]]:
    """Each billed line with its PFS math (or why it has none), and notes for the visit."""
    year = coded.date_of_service.year
    lines = [PfsLine(i, line) for i, line in enumerate(coded.lines) if line.units > 0]
    notes: list[str] = []
    table, gpcis = table_found.value, gpci_found.value
    problem = None
    if table is None:
        problem = table_found.text
    elif table.conversion_factor is None:
        problem = f"no {year} conversion factor in {table.release}"
    elif locality.value is None:
        problem = locality.text
    elif gpcis is None:
        problem = gpci_found.text
    elif locality.value not in gpcis.localities:
        problem = f"locality {locality.value} is not in the {year} GPCIs ({gpcis.release})"
    if problem is not None or table is None or gpcis is None or locality.value is None:
        for p in lines:
            p.fail("unpriced", f"not priced: {problem}")
        return lines, notes
    assert table.conversion_factor is not None
    g = gpcis.localities[locality.value]
    notes.append(
        f"{year} PFS: RVUs {table.release}; CF {table.conversion_factor} "
        f"({table.cf_source}); {locality.text}, {g.name}: GPCI work {g.work}, PE {g.pe}, "
        f"MP {g.mp} ({gpcis.release}); non-facility PE in every setting (P-1)"
    )
    if table.caveat:
        notes.append(table.caveat)
    mppr_percent, cq_percent = _percent(MPPR, year), _percent(CQ_REDUCTION, year)
    for p in lines:
        p.source = f"{table.release}; {gpcis.release}"
        row = table.row(p.line.code)
        if row is None:
            p.fail("unpriced", f"not priced: {p.line.code} is not in {table.release}")
            continue
        if row.status in NOT_PAID:
            p.fail("not_paid", f"Medicare pays $0: {p.line.code} is {NOT_PAID[row.status]}")
            continue
        if row.status == CONTRACTOR_PRICED:
            p.fail(
                "unpriced",
                f"not priced: {p.line.code} is contractor-priced (status C): "
                "the MAC sets its amount",
            )
            continue
        if row.work_rvu is None or row.nonfacility_pe_rvu is None:
            p.fail("unpriced", f"not priced: {table.release} has no RVUs for {p.line.code}")
            continue
        if row.status in NOTED:
            p.basis.append(NOTED[row.status])
        p.fee = fee_components(row, g, table.conversion_factor)
        p.basis.append(f"one unit: {p.fee.formula}")
        if any(m in ASSISTANT_MODIFIERS for m in p.line.modifiers) and cq_percent is None:
            p.fail(
                "unpriced", f"not priced: no {year} CQ/CO reduction percent in the reference data"
            )
        if row.mppr_applies and mppr_percent is None:
            p.fail("unpriced", f"not priced: no {year} MPPR percent in the reference data")
    summary = _apply_mppr_and_cq(lines, mppr_percent, cq_percent or Decimal(0), policy, year)
    return lines, [*notes, summary]


def _apply_mppr_and_cq(
    lines: list[PfsLine],
    mppr_percent: Decimal | None,
    cq_percent: Decimal,
    policy: SharePolicy,
    year: int,
) -> str:
    """Set each priced line's math; returns the day's MPPR summary."""
    priced = [p for p in lines if p.status == "priced" and p.fee is not None]
    subject = [p for p in priced if p.fee and p.fee.row.mppr_applies]
    cq = {
        p.index: cq_percent
        if any(m in ASSISTANT_MODIFIERS for m in p.line.modifiers)
        else Decimal(0)
        for p in priced
    }
    units = [
        MpprUnit(p.index, p.line.code, p.line.units, p.fee.pe, p.fee.amount, cq[p.index])
        for p in subject
        if p.fee
    ]
    full_line = full_price_line(units)
    summary = explain(units, full_line)
    for p in priced:
        assert p.fee is not None
        if p.fee.row.mppr_applies and mppr_percent is not None:
            full = 1 if p.index == full_line else 0
            cut = percent_of(p.fee.pe, mppr_percent)
            reduced = p.line.units - full
            if reduced:
                each = f" each, -${cut * reduced}" if reduced > 1 else ""
                mine = "; the line's other unit is the day's full-price unit" if full else ""
                p.basis.append(
                    f"MPPR: {reduced} unit(s) at {mppr_percent}% of the PE part "
                    f"${p.fee.pe.quantize(PE_PLACES)}: -${cut}{each} (P-3){mine}"
                )
            else:
                p.basis.append("MPPR: this line holds the day's full-price unit (highest PE)")
        else:
            full, cut = p.line.units, Decimal(0)
            p.basis.append(f"MPPR does not apply to {p.line.code} (not an always-therapy code)")
        if cq[p.index]:
            p.basis.append(
                f"{'/'.join(m for m in p.line.modifiers if m in ASSISTANT_MODIFIERS)}"
                f": paid at {HUNDRED - cq[p.index]}% of the amount after MPPR "
                f"(M-8, P-5; {year})"
            )
        p.math = LineMath(
            unit_fee=p.fee.amount,
            units=p.line.units,
            full_units=full,
            mppr_cut=cut,
            cq_percent=cq[p.index],
            cq_possible_percent=cq_percent,
            scale_percent=policy.scale_percent,
            coinsurance_percent=policy.coinsurance_percent,
            sequestration_percent=policy.sequestration_percent,
            applies_sequestration=policy.applies_sequestration,
        )
    return summary
