"""Codes: is each billed code known, payable for this payer, described when it must be, and
billed the way its class (timed or untimed) requires."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from ptbill.scrub.findings import Hit
from ptbill.scrub.params import NoParams, Params, param
from ptbill.scrub.registry import rule
from ptbill.scrub.review import Needs, Review
from ptbill.scrub.rules._text import units


@rule("CODE-UNKNOWN", "coverage", "error", ("U-3", "CMS-CPM5-20.2"), needs=Needs.UNKNOWN_CODE)
def code_unknown(r: Review, p: NoParams) -> Iterator[Hit]:
    """A billed code that is not in the PT code catalog.

    *What it checks*: every billed line's CPT/HCPCS code is in ptbill's code catalog
    (reference/data/codes.csv), which says whether it is timed, its PFS status and its MUE.
    *Why payers care*: units, bundling and payment all depend on the code's class and status,
    which the engine must take from a maintained code table (billing-rules.md U-3); an unknown
    code is usually a typo that the payer rejects as invalid.
    *Fails*: `{"code": "97999"}` (not a code in the catalog).
    *Passes*: `{"code": "97110", "minutes": 24, ...}`.
    *Fix*: correct the code; if it really is a code the clinic bills, ask for it to be added to
    the catalog with its CMS values.
    """
    known = r.code_info
    if all(known.values()):
        return  # the usual visit: every code is in the catalog
    for n, line in r.billed:
        if known[line.code] is None:
            yield Hit(
                f"{line.code} is not in the PT code catalog: its class, payment status "
                "and unit limits are unknown",
                f"check {line.code} for a typo; bill a catalog code",
                n,
            )


@dataclass(frozen=True, slots=True)
class BundledParams(Params):
    statuses: tuple[str, ...] = param(
        ("B", "P"), "PFS status codes the payer never pays separately"
    )


@rule(
    "CODE-BUNDLED",
    "bundled",
    "error",
    ("U-3", "FCSO-CO97", "R-2"),
    params=BundledParams,
    enabled=False,
)
def code_bundled(r: Review, p: BundledParams) -> Iterator[Hit]:
    """A code the payer never pays separately (Medicare PFS status B), such as 97010.

    *What it checks*: the PFS status of each billed code against the bundled statuses
    (parameter `statuses`, default B and P). Switched on for Medicare.
    *Why payers care*: Medicare bundles hot/cold packs (97010, status B) into the other services
    of the day and denies the line with CARC 97 / RARC M15 (billing-rules.md U-3, R-2,
    FCSO-CO97).
    *Fails*: a Medicare visit billing `{"code": "97010"}`.
    *Passes*: the same visit without 97010 (the packs stay in the note).
    *Fix*: take the bundled code off the claim; keep it documented in the treatment note.
    """
    statuses = p.statuses
    for n, line in r.billed:
        info = r.code_info[line.code]
        if info is not None and info.mpfs_status in statuses:
            yield Hit(
                f"{line.code} has PFS status {info.mpfs_status} (bundled): "
                f"{r.profile.name} never pays it separately (CARC 97)",
                f"remove {line.code} from the claim; document it in the note only",
                n,
            )


_NOT_PAYABLE = {
    "I": "not valid for Medicare (another code is used)",
    "N": "non-covered",
    "X": "excluded by statute",
    "E": "excluded by regulation",
}


@dataclass(frozen=True, slots=True)
class NotPayableParams(Params):
    statuses: tuple[str, ...] = param(
        ("I", "N", "X", "E"), "PFS status codes the payer does not accept at all"
    )
    replacements: Mapping[str, str] = param(
        {"97014": "G0283"}, "code -> the code the payer uses instead"
    )


@rule(
    "CODE-NOT-PAYABLE",
    "coverage",
    "error",
    ("U-3", "PABAU-97014", "UNDENY-G0283", "R-2"),
    params=NotPayableParams,
    enabled=False,
)
def code_not_payable(r: Review, p: NotPayableParams) -> Iterator[Hit]:
    """A code the payer does not accept at all (Medicare PFS status I, N, X or E), such as
    97014.

    *What it checks*: the PFS status of each billed code against `statuses`; `replacements`
    names the code the payer uses instead (97014 -> G0283). Switched on for Medicare.
    *Why payers care*: Medicare does not recognise 97014 (status I, not valid for Medicare) and
    uses G0283 for unattended electrical stimulation; non-covered and excluded codes are denied
    as not covered (billing-rules.md U-3; vendor sources PABAU-97014, UNDENY-G0283).
    *Fails*: a Medicare visit billing `{"code": "97014"}`.
    *Passes*: the same visit billing `{"code": "G0283"}`.
    *Fix*: bill the payer's code for the service (G0283 for 97014), or take the line off and
    follow the payer's non-covered-service (ABN) process.
    """
    statuses = p.statuses
    for n, line in r.billed:
        info = r.code_info[line.code]
        if info is None or info.mpfs_status not in statuses:
            continue
        what = _NOT_PAYABLE.get(info.mpfs_status, "not payable")
        instead = p.replacements.get(line.code)
        fix = (
            f"bill {instead} instead of {line.code}"
            if instead
            else f"remove {line.code}, or give the patient the payer's advance notice (ABN) "
            "before a non-covered service"
        )
        yield Hit(
            f"{line.code} has PFS status {info.mpfs_status}: {what} for "
            f"{r.profile.name}" + (f"; the payer's code is {instead}" if instead else ""),
            fix,
            n,
        )


@dataclass(frozen=True, slots=True)
class RestrictedParams(Params):
    statuses: tuple[str, ...] = param(("R",), "PFS status codes with restricted coverage")


@rule(
    "CODE-RESTRICTED",
    "coverage",
    "warning",
    ("U-3", "R-2"),
    params=RestrictedParams,
    enabled=False,
)
def code_restricted(r: Review, p: RestrictedParams) -> Iterator[Hit]:
    """A code with restricted coverage (Medicare PFS status R), such as 97026.

    *What it checks*: the PFS status of each billed code against `statuses` (default R).
    Switched on for Medicare.
    *Why payers care*: status R codes are paid only in special circumstances, so the payer
    reviews them and denies them when the coverage condition is not documented (R-2, CARC 96).
    *Fails*: a Medicare visit billing `{"code": "97026"}`.
    *Passes*: the same visit without 97026.
    *Fix*: confirm the payer's coverage condition is met and documented, or take the line off.
    """
    statuses = p.statuses
    for n, line in r.billed:
        info = r.code_info[line.code]
        if info is not None and info.mpfs_status in statuses:
            yield Hit(
                f"{line.code} has PFS status {info.mpfs_status}: {r.profile.name} "
                "covers it only in restricted circumstances",
                f"document the coverage condition for {line.code}, or remove it",
                n,
            )


@rule(
    "CODE-NEEDS-DESCRIPTION",
    "documentation",
    "error",
    ("U-3", "SOURCES.md §1a"),
    needs=Needs.UNLISTED,
)
def code_needs_description(r: Review, p: NoParams) -> Iterator[Hit]:
    """An unlisted or contractor-priced code (PFS status C) billed without a description.

    *What it checks*: every billed code whose PFS status is C (97039, 97139, 97799) has a
    `description` on its service.
    *Why payers care*: an unlisted code says nothing about what was done; the payer prices it by
    hand from the description on the claim and rejects it without one (codes.csv status C,
    reference/data/SOURCES.md 1a).
    *Fails*: `{"code": "97139", "minutes": 15}`.
    *Passes*: `{"code": "97139", "minutes": 15, "description": "..."}`.
    *Fix*: add a short plain description of the service to the line.
    """
    for n, line in r.billed:
        info = r.code_info[line.code]
        if info is None or info.mpfs_status != "C":
            continue
        if not any(s.description and s.description.strip() for s in r.services_of(line)):
            yield Hit(
                f"{line.code} is an unlisted / contractor-priced code (PFS status C) and "
                "has no description of the service",
                f"add a description of what was done under {line.code}",
                n,
            )


@rule("CODE-TIMED-NO-MINUTES", "units", "error", ("U-1", "U-9", "D-9"), needs=Needs.UNBILLED)
def timed_no_minutes(r: Review, p: NoParams) -> Iterator[Hit]:
    """A timed code documented without minutes.

    *What it checks*: every documented timed code (catalog `timed` = true) has minutes.
    *Why payers care*: a timed code is billed in 15-minute units of direct time, so its units
    come from its minutes (U-1); without them the coder bills no unit and the note does not
    support the service (U-9, D-9).
    *Fails*: `{"code": "97110"}` (no minutes).
    *Passes*: `{"code": "97110", "minutes": 24}`.
    *Fix*: document the minutes of direct one-on-one time for the code.
    """
    for n, line in enumerate(r.coded.lines, start=1):
        if line.minutes is not None or line.units:  # units sent alone: UNITS-UNCHECKED
            continue
        info = r.code_info[line.code]
        if info is not None and info.timed:
            yield Hit(
                f"{line.code} is a timed code but no minutes are documented, so it earns no unit",
                f"document the minutes spent on {line.code}",
                n,
            )


@dataclass(frozen=True, slots=True)
class UntimedParams(Params):
    multi_unit_codes: tuple[str, ...] = param(
        ("97598", "97546", "98981"), "untimed codes whose definition counts an increment"
    )


@rule(
    "UNITS-UNTIMED-MULTIPLE",
    "units",
    "error",
    ("U-2", "U-32", "C-11"),
    params=UntimedParams,
    needs=Needs.UNTIMED_UNITS,
)
def untimed_multiple(r: Review, p: UntimedParams) -> Iterator[Hit]:
    """An untimed (service-based) code billed with more than one unit.

    *What it checks*: untimed codes carry 1 unit, except codes whose definition counts an
    increment (`multi_unit_codes`: add-ons per 20 sq cm, per hour, per 20 minutes).
    *Why payers care*: an untimed code is one unit for the service however long it took
    (U-2, U-32, C-11); more units read as billing the service twice.
    *Fails*: `{"code": "97012", "units": 2}`.
    *Passes*: `{"code": "97012"}` (1 unit).
    *Fix*: bill 1 unit; if the service really was done twice in separate sessions, document
    both sessions.
    """
    for n, line in r.billed:
        if line.units <= 1:
            continue
        info = r.code_info[line.code]
        if info is not None and info.timed is False and line.code not in p.multi_unit_codes:
            yield Hit(
                f"{line.code} is untimed (one unit per service) but is billed with "
                f"{units(line.units)}",
                f"bill 1 unit of {line.code}",
                n,
            )
