"""The claim an 837P carries, built from a visit, its coding and its configuration context.

`Claim` holds exactly what the 837P writer needs, already in claim terms (relationship codes,
diagnosis codes without the dot, one line per billed code). `claim_from_visit` refuses, with an
InputError that names the visit and field, what the claim cannot be written without.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from ptbill.coding.context import VisitContext
from ptbill.domain.coded import CodedVisit
from ptbill.domain.records import quick_init
from ptbill.domain.visit import Address, BillingProvider, Provider, Visit
from ptbill.errors import InputError
from ptbill.x12.cob import LineAdjudication, OtherPayer
from ptbill.x12.values import NOT_TEXT, remember

MAX_DIAGNOSES = 12  # HI in loop 2300 (billing-rules C-2)
MAX_POINTERS = 4  # SV107
MAX_MODIFIERS = 4  # SV101-3..6
_ICD10 = re.compile(r"^[A-Z][0-9][0-9A-Z]{1,5}$")  # without the point
# PAT01 (patient's relationship to the insured) for the visit format's relationships.
RELATIONSHIP_CODES = {"spouse": "01", "child": "19", "other": "G8"}


@quick_init
@dataclass(frozen=True, slots=True)
class Person:
    last: str
    first: str
    address: Address | None
    birth_date: dt.date | None
    sex: str | None


@quick_init
@dataclass(frozen=True, slots=True)
class ClaimProvider:
    """A referring, rendering or supervising provider (an individual, identified by NPI)."""

    npi: str
    last: str
    first: str
    taxonomy: str | None = None


@quick_init
@dataclass(frozen=True, slots=True)
class ClaimLine:
    code: str
    modifiers: tuple[str, ...]
    charge: Decimal
    units: int
    pointers: tuple[int, ...]
    date_of_service: dt.date
    control_number: str  # REF*6R: unique per line; it comes back in the 835's REF*6R
    # 2430: the earlier payers' decisions on the line (a secondary or tertiary claim).
    adjudications: tuple[LineAdjudication, ...] = ()


@quick_init
@dataclass(frozen=True, slots=True)
class Claim:
    claim_id: str  # CLM01; the 835 returns it in CLP01
    place_of_service: str
    frequency_code: str  # 1 original, 7 replacement, 8 void
    original_claim_id: str | None  # the payer's claim control number, for 7 and 8
    diagnoses: tuple[str, ...]  # ICD-10-CM without the dot, principal first
    billing: BillingProvider
    payer_id: str
    payer_name: str
    filing_indicator: str  # SBR09: MB Medicare Part B, MC Medicaid, CI commercial...
    member_id: str
    group_number: str | None
    subscriber: Person
    patient: Person | None  # None when the patient is the subscriber
    relationship: str  # PAT01 when the patient is not the subscriber
    referring: ClaimProvider | None
    rendering: ClaimProvider | None  # only when it is not the billing provider
    prior_authorization: str | None
    lines: tuple[ClaimLine, ...]
    pay_to: Address | None = None  # 2010AB, when payment goes to another address
    supervising: ClaimProvider | None = None  # 2310D, when not the rendering provider
    sequence: str = "P"  # SBR01: P primary, S secondary, T tertiary (ptbill.x12.cob)
    other_payers: tuple[OtherPayer, ...] = ()  # 2320/2330A/2330B, in the order they paid

    @property
    def total_charge(self) -> Decimal:
        return sum((line.charge for line in self.lines), Decimal(0))


class _Refusals:
    """Builds the InputErrors of one visit: its file, its id, the field, the problem, the fix."""

    def __init__(self, origin: str, visit_id: str) -> None:
        self.origin, self.visit_id = origin, visit_id

    def __call__(self, field: str, problem: str, fix: str) -> InputError:
        return InputError(self.origin, problem, fix, visit_id=self.visit_id, field=field)

    def identifier(self, value: str | None, field: str, limit: int) -> str | None:
        """Ids are written as given (they come back unchanged in 835s and 277CAs), so they
        must already be X12 text."""
        if value is not None and (not value or len(value) > limit or NOT_TEXT.search(value)):
            raise self(
                field,
                f"not an id an 837P can carry (1 to {limit} letters, digits or "
                "plain punctuation; no * : ^ ~)",
                "correct the id",
            )
        return value


def _provider(p: Provider | None, role: str, refuse: _Refusals) -> ClaimProvider | None:
    if p is None:
        return None
    if not p.last_name:
        raise refuse(
            f"{role}.last_name",
            f"the {role.replace('_', ' ')} has no last name",
            "add the provider's name: the claim names every provider it lists",
        )
    return ClaimProvider(p.npi, p.last_name, p.first_name or "", p.taxonomy)


# The diagnosis lists found good, as given -> as written (a patient's visits repeat theirs; a
# run of claims checks each distinct list once). Bounded; immutable values, shared.
_WRITTEN: dict[tuple[str, ...], tuple[str, ...]] = {}


def _diagnoses(visit: Visit, refuse: _Refusals) -> tuple[str, ...]:
    given = tuple(visit.diagnoses)
    found = _WRITTEN.get(given)
    if found is not None:
        return found
    return remember(_WRITTEN, given, _checked_diagnoses(given, refuse), 4096)


def _checked_diagnoses(given: tuple[str, ...], refuse: _Refusals) -> tuple[str, ...]:
    codes = tuple(d.replace(".", "").upper() for d in given)
    if not codes:
        raise refuse("diagnoses", "no diagnosis", "add the ICD-10-CM codes treated")
    if len(codes) > MAX_DIAGNOSES:
        raise refuse(
            "diagnoses",
            f"{len(codes)} diagnoses; an 837P carries at most {MAX_DIAGNOSES}",
            "keep the 12 that the billed services point to",
        )
    if len(set(codes)) != len(codes):
        raise refuse("diagnoses", "a diagnosis code is listed twice", "list each code once")
    if not all(_ICD10.match(c) for c in codes):
        raise refuse(
            "diagnoses",
            "a diagnosis is not written as an ICD-10-CM code",
            "write codes as letter, digits, optional point (M17.11)",
        )
    return codes


def _lines(
    visit: Visit,
    coded: CodedVisit,
    diagnoses: int,
    refuse: _Refusals,
    stored: StoredLines | None,
) -> tuple[ClaimLine, ...]:
    billed = coded.billed_lines
    if not billed:
        raise refuse(
            "services",
            "no billable line (every line has 0 units)",
            "document billable services or do not bill this visit",
        )
    if stored is not None and len(stored.control_numbers) != len(billed):
        raise ValueError(
            f"{len(stored.control_numbers)} stored control numbers for {len(billed)} lines"
        )
    out = []
    for number, line in enumerate(billed, start=1):
        where = f"line {number} ({line.code})"
        if line.charge is None:
            raise refuse(where, "no charge", "add the code to the clinic's chargemaster")
        if not 1 <= len(line.diagnosis_pointers) <= MAX_POINTERS or any(
            not 1 <= p <= diagnoses for p in line.diagnosis_pointers
        ):
            raise refuse(
                where,
                "diagnosis pointers must be 1 to 4 positions in the diagnoses",
                "point the line at the diagnoses it treats",
            )
        if len(line.modifiers) > MAX_MODIFIERS:
            raise refuse(
                where,
                f"{len(line.modifiers)} modifiers; a line carries at most 4",
                "keep the four that decide payment",
            )
        out.append(
            ClaimLine(
                line.code,
                line.modifiers,
                line.charge,
                line.units,
                line.diagnosis_pointers,
                visit.date_of_service,
                f"{visit.visit_id}-{number}"
                if stored is None
                else stored.control_numbers[number - 1],
                () if stored is None else stored.adjudications.get(number, ()),
            )
        )
    return tuple(out)


def _people(visit: Visit, refuse: _Refusals) -> tuple[Person, Person | None]:
    """The subscriber, and the patient when the patient is not the subscriber."""
    patient, sub = visit.patient, visit.subscriber
    if patient.address is None:
        raise refuse("patient.address", "no address for the patient", "add the address")
    person = Person(
        patient.last_name, patient.first_name, patient.address, patient.birth_date, patient.sex
    )
    if sub.relationship == "self":
        return person, None
    if not sub.last_name or not sub.first_name:
        raise refuse(
            "subscriber.last_name",
            "the subscriber is not the patient and has no name",
            "add the subscriber's first and last name",
        )
    return Person(sub.last_name, sub.first_name, sub.address, None, None), person


class StoredLines(NamedTuple):
    """What a stored claim's lines carry besides its coding: each billed line's control
    number (REF*6R, in line order) and its earlier payers' decisions (2430s, by line number)."""

    control_numbers: Sequence[str]
    adjudications: Mapping[int, tuple[LineAdjudication, ...]]


def claim_from_visit(
    visit: Visit,
    coded: CodedVisit,
    ctx: VisitContext,
    origin: str = "visit",
    stored: StoredLines | None = None,
) -> Claim:
    """The 837P claim for one coded visit (billed lines only, units > 0); `stored`: the lines
    as a ledger's claim keeps them (else the control numbers are the visit id and the line
    number, and no line has a 2430)."""
    refuse = _Refusals(origin, visit.visit_id)
    refuse.identifier(visit.visit_id, "visit_id", 38)
    diagnoses = _diagnoses(visit, refuse)
    lines = _lines(visit, coded, len(diagnoses), refuse, stored)
    if visit.frequency_code in ("7", "8") and not visit.original_claim_id:
        raise refuse(
            "original_claim_id",
            f"frequency {visit.frequency_code} needs the "
            "payer's claim number of the claim it replaces or voids",
            "copy the payer claim control number (CLP07 of the 835)",
        )
    subscriber, patient = _people(visit, refuse)
    rendering = _provider(visit.rendering_provider, "rendering_provider", refuse)
    if rendering is not None and rendering.npi == ctx.billing_provider.npi:
        rendering = None  # 2310B only when the rendering NPI differs (billing-rules C-5)
    supervising = None  # 2310D only for someone other than the rendering provider
    if (
        visit.supervising_provider is not None
        and visit.supervising_provider.npi != visit.rendering_provider.npi
    ):
        supervising = _provider(visit.supervising_provider, "supervising_provider", refuse)
    episode = visit.episode
    auth = episode.authorization.number if episode and episode.authorization else None
    sub, profile = visit.subscriber, ctx.profile
    return Claim(
        claim_id=visit.visit_id,
        place_of_service=visit.place_of_service,
        frequency_code=visit.frequency_code,
        original_claim_id=refuse.identifier(visit.original_claim_id, "original_claim_id", 50),
        diagnoses=diagnoses,
        billing=ctx.billing_provider,
        payer_id=profile.payer_id,
        payer_name=profile.payer_name,
        filing_indicator=profile.claim_filing_indicator,
        member_id=refuse.identifier(sub.member_id, "subscriber.member_id", 80) or "",
        group_number=refuse.identifier(sub.group_number, "subscriber.group_number", 50),
        subscriber=subscriber,
        patient=patient,
        relationship=RELATIONSHIP_CODES.get(sub.relationship, "18"),
        referring=_provider(visit.referring_provider, "referring_provider", refuse),
        rendering=rendering,
        prior_authorization=refuse.identifier(auth, "episode.authorization.number", 50),
        lines=lines,
        supervising=supervising,
    )


def claims_from_visits(
    items: Iterable[tuple[Visit, CodedVisit, VisitContext]], origin: str = "visit"
) -> list[Claim]:
    return [claim_from_visit(v, c, ctx, origin) for v, c, ctx in items]
