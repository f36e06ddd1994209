"""Patient and subscriber: birth date, sex, member id format and subscriber details. Messages
never repeat a birth date, a name or a member id (PHI)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from ptbill.scrub.findings import Hit
from ptbill.scrub.identifiers import mbi_problem
from ptbill.scrub.params import NoParams, Params, param
from ptbill.scrub.registry import rule
from ptbill.scrub.review import Review


@dataclass(frozen=True, slots=True)
class BirthDateParams(Params):
    max_age: int = param(120, "the oldest plausible age, in years, on the date of service")


@rule("PATIENT-BIRTH-DATE", "patient", "error", ("C-5", "X12-837P-DMG"), params=BirthDateParams)
def birth_date(r: Review, p: BirthDateParams) -> Iterator[Hit]:
    """A patient birth date after the date of service or implausibly long ago.

    *What it checks*: the patient's birth date is on or before the date of service and less
    than `max_age` (120) years before it.
    *Why payers care*: the payer matches the patient by member id, name and birth date
    (837P DMG segment); a wrong birth date fails eligibility and the claim is rejected.
    *Fails*: a birth date after the date of service.
    *Passes*: a birth date decades before it.
    *Fix*: correct the birth date from the patient's insurance card or intake form.
    """
    born = r.visit.patient.birth_date
    if born > r.dos:
        yield Hit(
            f"the patient's birth date is after the date of service {r.dos}",
            "correct the patient's birth date",
        )
    elif (r.dos.year - born.year) > p.max_age:
        yield Hit(
            f"the patient's birth date is more than {p.max_age} years before the date of service",
            "correct the patient's birth date",
        )


@rule("PATIENT-SEX", "patient", "warning", ("X12-837P-DMG",))
def patient_sex(r: Review, p: NoParams) -> Iterator[Hit]:
    """A patient sex recorded as unknown.

    *What it checks*: the patient's `sex` is F or M.
    *Why payers care*: payers match the patient on demographic data (837P DMG03); U often fails
    the match or a sex-specific code edit.
    *Fails*: `"sex": "U"`.
    *Passes*: `"sex": "F"`.
    *Fix*: record the sex on the patient's insurance record.
    """
    if r.visit.patient.sex == "U":
        yield Hit(
            "the patient's sex is recorded as unknown (U)",
            "record the sex shown on the patient's insurance record",
        )


@dataclass(frozen=True, slots=True)
class MemberIdParams(Params):
    format: Literal["any", "mbi"] = param(
        "any", "mbi: the member id must be a Medicare Beneficiary Identifier"
    )


@rule("PATIENT-MEMBER-ID", "patient", "error", ("C-5", "CMS-MBI"), params=MemberIdParams)
def member_id(r: Review, p: MemberIdParams) -> Iterator[Hit]:
    """A missing member id, or one not in the payer's format (the Medicare Beneficiary
    Identifier for Medicare).

    *What it checks*: `subscriber.member_id` is not blank; with `format = "mbi"` (Medicare) it
    is an MBI: 11 characters, no dashes, digit 1-9, letter, letter or digit, digit, letter,
    letter or digit, digit, letter, letter, digit, digit; letters never S, L, O, I, B or Z.
    *Why payers care*: a claim whose member id does not match an enrolled beneficiary is
    rejected as unprocessable (C-5; CMS MBI format specification).
    *Fails*: a Medicare visit with `"member_id": "123-45-6789A"`.
    *Passes*: `"member_id": "1EG4TE5MK73"` (CMS's published example).
    *Fix*: copy the member id exactly from the patient's current card, without dashes.
    """
    mid = r.visit.subscriber.member_id.strip()
    if not mid:
        yield Hit("the subscriber has no member id", "copy the member id from the patient's card")
        return
    if p.format == "mbi":
        why = mbi_problem(mid)
        if why:
            yield Hit(
                f"the member id is not a Medicare Beneficiary Identifier: {why}",
                "copy the MBI from the patient's Medicare card (11 characters, no dashes)",
            )


@dataclass(frozen=True, slots=True)
class RelationshipParams(Params):
    self_only: bool = param(False, "the patient must be the subscriber (Medicare)")


@rule(
    "SUBSCRIBER-RELATIONSHIP",
    "patient",
    "error",
    ("C-5", "X12-837P-SBR"),
    params=RelationshipParams,
)
def subscriber_relationship(r: Review, p: RelationshipParams) -> Iterator[Hit]:
    """A subscriber other than the patient without a name, or where the payer allows only
    self (Medicare).

    *What it checks*: when `relationship` is not `self`, the subscriber's first and last name
    are given; with `self_only` (Medicare) the relationship must be `self`.
    *Why payers care*: the claim identifies the policy holder in the subscriber loop and the
    patient separately (837P SBR/2000C); Medicare beneficiaries are always their own
    subscribers.
    *Fails*: `"relationship": "spouse"` with no subscriber name.
    *Passes*: `"relationship": "spouse", "first_name": ..., "last_name": ...`.
    *Fix*: record the policy holder's name (and birth date) or correct the relationship.
    """
    sub = r.visit.subscriber
    if sub.relationship == "self":
        return
    if p.self_only:
        yield Hit(
            f"subscriber relationship is {sub.relationship!r}, but {r.profile.name} "
            "beneficiaries are always their own subscriber",
            "set relationship to self with the patient's own member id",
        )
    elif not (sub.first_name and sub.last_name):
        yield Hit(
            f"the subscriber is the patient's {sub.relationship} but the subscriber's "
            "name is missing",
            "record the policy holder's first and last name",
        )
