"""Medicare therapy thresholds: KX above the yearly amount only with medical necessity
documented, never below it, and the targeted medical review threshold (M-3..M-6)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from ptbill.coding.modifiers import kx_decision
from ptbill.config.profiles import PayerProfile
from ptbill.reference.constants import KX_THRESHOLD, REVIEW_THRESHOLD, constant
from ptbill.scrub.findings import Hit
from ptbill.scrub.params import NoParams
from ptbill.scrub.registry import rule
from ptbill.scrub.review import Review


class _Amounts:
    """The therapy amount before and with this visit, estimated exactly as the coder does
    (coding.engine), so scrub findings and the coder's KX decision never disagree."""

    def __init__(self, r: Review) -> None:
        # The coded visit, not the review: the review keeps this object, and a reference
        # back would make a cycle that only the garbage collector frees.
        self.coded = r.coded
        ep = r.episode
        self.ytd = ep.therapy_amount_ytd if ep else Decimal(0)
        self.documented = bool(ep and ep.kx_medical_necessity_documented)

    @property
    def visit(self) -> tuple[Decimal | None, str]:
        # The coder's own estimate (CodedVisit.therapy_amount), so KX and its checks agree.
        return self.coded.therapy_amount, self.coded.therapy_amount_basis

    @property
    def total(self) -> Decimal:
        amount = self.visit[0]
        return self.ytd + (amount or Decimal(0))


def _kx_payer(profile: PayerProfile) -> bool:
    return profile.kx_threshold


def _amounts(r: Review) -> _Amounts | None:
    if not r.billed:
        return None
    return r.shared("kx_amounts", _Amounts)


@rule(
    "KX-NOT-DOCUMENTED",
    "threshold",
    "error",
    ("M-3", "M-6", "NGS-KX-2024", "PALMETTO-119"),
    when=_kx_payer,
)
def kx_not_documented(r: Review, p: NoParams) -> Iterator[Hit]:
    """The visit passes the KX threshold, but medical necessity is not documented.

    *What it checks*: for a payer with `kx_threshold`: the year's therapy amount before this
    visit (`therapy_amount_ytd`) plus this visit's estimated amount passes the year's KX
    threshold (reference constants), and `kx_medical_necessity_documented` is false, so the
    lines carry no KX.
    *Why payers care*: above the threshold every therapy line needs KX, which attests that the
    service is medically necessary and documented; lines without it are denied (PR-119,
    M-3, NGS-KX-2024, PALMETTO-119).
    *Fails*: a 2026 Medicare visit with `"therapy_amount_ytd": "2470.00"` and no KX attestation.
    *Passes*: the same with `"kx_medical_necessity_documented": true` (the coder adds KX).
    *Fix*: document medical necessity and set kx_medical_necessity_documented; if it is not
    medically necessary, do not bill Medicare (give the patient an ABN before the service).
    """
    a = _amounts(r)
    if a is None or a.documented:
        return
    amount, basis = a.visit
    decision = kx_decision(r.dos.year, a.ytd, amount, basis, documented=True)
    if decision.apply:
        limit = constant(KX_THRESHOLD, r.dos.year)
        yield Hit(
            f"therapy amount ${a.ytd} before this visit + this visit's "
            f"{f'${amount} ({basis})' if amount is not None else 'unknown amount'} passes the "
            f"{r.dos.year} KX threshold ${limit.value if limit else '?'}, but medical "
            "necessity is not documented: the lines carry no KX and will be denied",
            "document medical necessity and set kx_medical_necessity_documented; "
            "otherwise give an ABN and do not bill Medicare",
        )


@rule("KX-BELOW-THRESHOLD", "threshold", "warning", ("M-3", "M-6", "NORIDIAN-KX"), when=_kx_payer)
def kx_below(r: Review, p: NoParams) -> Iterator[Hit]:
    """KX on a line while the year's therapy amount is still below the threshold.

    *What it checks*: no line carries KX when the therapy amount with this visit is within the
    year's KX threshold.
    *Why payers care*: KX attests that the threshold is passed and medical necessity is
    documented (M-3); on a claim below it the attestation is false, and routine KX use is an
    audit flag (NORIDIAN-KX).
    *Fails*: `"modifiers": ["KX"]` on a 97110 line with `"therapy_amount_ytd": "0"`.
    *Passes*: the same line without KX.
    *Fix*: remove KX; the coder adds it when the threshold is passed.
    """
    a = _amounts(r)
    if a is None:
        return
    with_kx = [(n, x) for n, x in r.billed if "KX" in x.modifiers]
    if not with_kx:
        return
    amount, basis = a.visit
    decision = kx_decision(r.dos.year, a.ytd, amount, basis, documented=True)
    if decision.decided and not decision.apply:  # undecided: KX-AMOUNT-UNKNOWN says so
        limit = constant(KX_THRESHOLD, r.dos.year)
        for n, x in with_kx:
            yield Hit(
                f"{x.code} carries KX, but the therapy amount with this visit "
                f"(${a.total}) is within the {r.dos.year} KX threshold "
                f"${limit.value if limit and limit.value else '?'}",
                f"remove KX from {x.code}",
                n,
            )


@rule(
    "KX-REVIEW-THRESHOLD",
    "threshold",
    "warning",
    ("M-5", "NGS-KX-2024", "NORIDIAN-KX"),
    when=_kx_payer,
)
def kx_review(r: Review, p: NoParams) -> Iterator[Hit]:
    """The year's therapy amount reaches the targeted medical review threshold ($3,000).

    *What it checks*: for a payer with `kx_threshold`, the therapy amount with this visit
    passes the year's targeted medical review threshold (reference constants: $3,000 through
    2027).
    *Why payers care*: coding does not change (KX continues), but claims past the review
    threshold are eligible for targeted medical review (M-5), so the documentation must be
    complete.
    *Fails*: `"therapy_amount_ytd": "2990.00"` and a visit worth more than $10.
    *Passes*: `"therapy_amount_ytd": "1200.00"`.
    *Fix*: make sure the plan, progress reports and notes support medical necessity before
    sending.
    """
    a = _amounts(r)
    if a is None:
        return
    review = constant(REVIEW_THRESHOLD, r.dos.year)
    if review is not None and review.value is not None and a.total > review.value:
        yield Hit(
            f"the therapy amount with this visit (${a.total}) passes the {r.dos.year} "
            f"targeted medical review threshold ${review.value}: the claim may be "
            "reviewed",
            "check that the plan, progress reports and notes support medical necessity",
        )


@rule("KX-THRESHOLD-UNKNOWN", "threshold", "warning", ("M-4", "SOURCES.md §3"), when=_kx_payer)
def kx_unknown(r: Review, p: NoParams) -> Iterator[Hit]:
    """No KX threshold for the year of service in the reference data.

    *What it checks*: for a payer with `kx_threshold`, the reference constants hold the KX
    threshold of the date of service's year.
    *Why payers care*: without the year's amount neither the coder nor the scrubber can decide
    KX (M-4); the claim may need KX.
    *Fails*: a Medicare visit dated 2027-01-04 (no 2027 threshold in the data).
    *Passes*: a visit dated 2026-03-02.
    *Fix*: add the year's threshold, with its source, to reference/data/constants.csv.
    """
    if _amounts(r) is None:
        return
    limit = constant(KX_THRESHOLD, r.dos.year)
    if limit is None or limit.value is None:
        yield Hit(
            f"no {r.dos.year} KX threshold in the reference data: KX was not decided",
            f"add the {r.dos.year} KX threshold to reference/data/constants.csv",
        )


@rule("KX-AMOUNT-UNKNOWN", "threshold", "warning", ("M-3", "M-6"), when=_kx_payer)
def kx_amount_unknown(r: Review, p: NoParams) -> Iterator[Hit]:
    """KX left to the biller: this visit's Medicare amount is unknown.

    *What it checks*: for a payer with `kx_threshold`, the coder knew this visit's Medicare
    amount (the year's PFS amount, or, when the year's RVUs are missing and the profile's
    `kx_when_rvus_missing` is "estimate", its estimate from the latest bundled RVUs with the
    year's own conversion factor and GPCIs), or the amount before the visit already passes the
    year's KX threshold.
    *Why payers care*: the threshold counts allowed amounts (M-3). Without the visit's amount
    nobody can tell whether it passes the threshold, so the coder adds no KX; a line past the
    threshold without KX is denied (M-6), and KX below it is a false attestation. Charges are
    never taken for the amount.
    *Fails*: a 2026 Medicare visit with `"therapy_amount_ytd": "2470.00"`, no 2026 RVUs in the
    reference data and `kx_when_rvus_missing = "leave_to_biller"` in the payer profile.
    *Passes*: the same with `kx_when_rvus_missing = "estimate"` (the default).
    *Fix*: import CMS's PFS file for the year (`ptbill reference import pfs FILE`), or decide
    KX by hand from the visit's expected allowed amount.
    """
    a = _amounts(r)
    if a is None:
        return
    amount, basis = a.visit
    limit = constant(KX_THRESHOLD, r.dos.year)
    if amount is not None or limit is None or limit.value is None:
        return  # known, or no threshold for the year (KX-THRESHOLD-UNKNOWN)
    if not kx_decision(r.dos.year, a.ytd, None, basis, documented=True).decided:
        yield Hit(
            f"KX left to the biller: this visit's Medicare amount is unknown ({basis}); "
            f"${a.ytd} before it is within the {r.dos.year} KX threshold ${limit.value}, "
            "and this visit may pass it",
            f"import CMS's {r.dos.year} PFS file (`ptbill reference import pfs FILE`) and "
            "re-code, or decide KX from the visit's expected allowed amount",
        )
