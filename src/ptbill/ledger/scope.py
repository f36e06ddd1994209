"""Which clinics a read or a change may reach: the one tenancy mechanism of the ledger.

A billing company keeps several clinics (billing providers, `clinics` rows) in one ledger. A
`Scope` names the clinics a caller may see (`None`: every clinic, for the database owner at
the command line and the company-wide roles); every query that reads clinic-owned rows takes
one and adds its predicate, so a list, a count, a chart, a total or a search cannot reach
another clinic's rows, and a row of another clinic is simply not found.

What belongs to a clinic:

- a patient and a visit (their `clinic_id`), and a claim through its patient; everything of
  a claim (versions, lines, work items, appeals, payments, audit entries) through the claim;
- a work item with no claim: a patient's refund or collections item belongs to its patient's
  clinic (`work_items.patient_id`); a payment that matched no claim belongs to the clinic its
  835 paid (the payee's NPI); any other (an eligibility answer of no claim, an exchange file)
  belongs to no clinic: only an unscoped caller sees it;
- a file that spans clinics is split for viewing: an 837P submission shows a scoped caller
  only the claims of its clinics (and is listed when it carries one of them), an
  acknowledgement only its results for those claims, an 835 only its claim payments for those
  claims and the payments (BPR/TRN) paid to those clinics (by the payee's NPI), with the
  totals of what is shown. A payment that matched no claim belongs to the clinic its payee
  NPI names.

Use: `scope.claims()` is a predicate on `m.Claim`; `patients()`, `visits()`,
`claim_payments()` (needs `m.Payment` joined), `payments()`, `submissions()`,
`acknowledgements()`, `remittances()`, `work_items()` likewise; `scope.claim_ids(column)`
filters any row that carries a claim id. Add the predicate to the query's WHERE: that is all
a new query needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, String, cast, exists, literal, select, true, tuple_
from sqlalchemy.orm import Session

from ptbill.config.profiles import Config
from ptbill.errors import InputError
from ptbill.ledger import models as m
from ptbill.ledger import payer_models as pm


@dataclass(frozen=True, slots=True)
class Scope:
    """The clinics (their `clinics.id`) a caller may reach; `None`: all of them."""

    clinics: frozenset[int] | None = None

    @classmethod
    def of(cls, clinic_ids: Iterable[int] | None) -> Scope:
        return cls(None if clinic_ids is None else frozenset(clinic_ids))

    @property
    def everything(self) -> bool:
        return self.clinics is None

    def allows(self, clinic_id: int | None) -> bool:
        return self.clinics is None or clinic_id in self.clinics

    def narrow(self, clinic_id: int) -> Scope:
        """This scope cut down to one clinic (which the caller checked it allows)."""
        return Scope(frozenset({clinic_id}))

    # --- predicates -------------------------------------------------------------------------

    def _ids(self) -> list[int]:
        return sorted(self.clinics or ())

    def clinic_rows(self) -> ColumnElement[bool]:
        """The `clinics` rows themselves."""
        return true() if self.clinics is None else m.Clinic.id.in_(self._ids())

    def patients(self) -> ColumnElement[bool]:
        return true() if self.clinics is None else m.Patient.clinic_id.in_(self._ids())

    def visits(self) -> ColumnElement[bool]:
        return true() if self.clinics is None else m.Visit.clinic_id.in_(self._ids())

    def _patient_ids(self) -> Select[int]:
        return select(m.Patient.id).where(m.Patient.clinic_id.in_(self._ids()))

    def patient_ids(self, column: Any) -> ColumnElement[bool]:
        """Rows whose `column` holds the id of a patient of these clinics."""
        return true() if self.clinics is None else column.in_(self._patient_ids())

    def claims(self) -> ColumnElement[bool]:
        return self.patient_ids(m.Claim.patient_id)

    def claim_ids(self, column: Any) -> ColumnElement[bool]:
        """Rows whose `column` holds the id of a claim of these clinics (a NULL claim id, a
        row of no clinic, is reached only by an unscoped caller)."""
        if self.clinics is None:
            return true()
        return column.in_(select(m.Claim.id).where(self.claims()))

    def work_items(self) -> ColumnElement[bool]:
        """Work items of these clinics: of their claims, of their patients (refunds and
        collections, no claim), and those of a payment that matched no claim in an 835 paid to
        their NPI (by the item's source and CLP01)."""
        if self.clinics is None:
            return true()
        unmatched = (
            select(
                literal("remittance:") + cast(m.Payment.remittance_id, String),
                m.ClaimPayment.clp01,
            )
            .join(m.Payment, m.Payment.id == m.ClaimPayment.payment_id)
            .where(m.ClaimPayment.claim_id.is_(None), m.Payment.payee_npi.in_(self.npis()))
        )
        return self.claim_ids(m.WorkItem.claim_id) | (
            m.WorkItem.claim_id.is_(None)
            & (
                self.patient_ids(m.WorkItem.patient_id)
                | tuple_(m.WorkItem.source, m.WorkItem.reference).in_(unmatched)
            )
        )

    def npis(self) -> Select[str]:
        return select(m.Clinic.npi).where(m.Clinic.id.in_(self._ids()))

    def claim_payments(self) -> ColumnElement[bool]:
        """Claim payments (CLP) of these clinics: matched to their claims, or unmatched in a
        payment to their NPI. The query must join `m.Payment`."""
        if self.clinics is None:
            return true()
        return self.claim_ids(m.ClaimPayment.claim_id) | (
            m.ClaimPayment.claim_id.is_(None) & m.Payment.payee_npi.in_(self.npis())
        )

    def provider_adjustments(self) -> ColumnElement[bool]:
        """PLB adjustments of these clinics: of their claims, or of no claim in a payment to
        their NPI. The query must join `m.Payment`."""
        if self.clinics is None:
            return true()
        return self.claim_ids(m.ProviderAdjustment.claim_id) | (
            m.ProviderAdjustment.claim_id.is_(None) & m.Payment.payee_npi.in_(self.npis())
        )

    def payments(self) -> ColumnElement[bool]:
        """Payments (BPR/TRN) to these clinics' NPIs, or paying one of their claims."""
        if self.clinics is None:
            return true()
        return m.Payment.payee_npi.in_(self.npis()) | exists(
            select(m.ClaimPayment.id).where(
                m.ClaimPayment.payment_id == m.Payment.id,
                self.claim_ids(m.ClaimPayment.claim_id),
            )
        )

    def remittances(self) -> ColumnElement[bool]:
        if self.clinics is None:
            return true()
        return exists(
            select(m.Payment.id).where(m.Payment.remittance_id == m.Remittance.id, self.payments())
        )

    def submissions(self) -> ColumnElement[bool]:
        if self.clinics is None:
            return true()
        return exists(
            select(m.SubmissionClaim.id).where(
                m.SubmissionClaim.submission_id == m.Submission.id,
                self.claim_ids(m.SubmissionClaim.claim_id),
            )
        )

    def acknowledgements(self) -> ColumnElement[bool]:
        if self.clinics is None:
            return true()
        return exists(
            select(m.AckResult.id).where(
                m.AckResult.ack_id == m.Acknowledgement.id, self.claim_ids(m.AckResult.claim_id)
            )
        )


EVERYTHING = Scope(None)


def clinic_of_claim(session: Session, claim_number: str) -> int | None:
    """The clinic of a claim (None: no such claim)."""
    return session.scalar(
        select(m.Patient.clinic_id)
        .join(m.Claim, m.Claim.patient_id == m.Patient.id)
        .where(m.Claim.claim_number == claim_number)
    )


def clinic_ids(
    session: Session, keys: Iterable[str], what: str = "--clinic", configured: Iterable[str] = ()
) -> list[int]:
    """The ids of the clinics with these keys; an unknown key is an InputError naming the
    clinics the ledger knows (`what`: the option or field that named it), and one of the
    `configured` clinics the ledger has not met yet says so."""
    keys = list(dict.fromkeys(keys))
    found = dict(
        session.execute(select(m.Clinic.key, m.Clinic.id).where(m.Clinic.key.in_(keys))).all()
    )
    missing = [k for k in keys if k not in found]
    if missing and missing[0] in configured:
        raise InputError(
            what,
            f"clinic {missing[0]!r} is configured but has nothing in the ledger yet",
            "import its visits first",
        )
    if missing:
        known = session.scalars(select(m.Clinic.key).order_by(m.Clinic.key)).all()
        raise InputError(
            what,
            f"no clinic {missing[0]!r}",
            f"use one of: {', '.join(known) or '(none yet: import its visits first)'}",
        )
    return [found[k] for k in keys]


def ensure_clinics(session: Session, config: Config, keys: Iterable[str]) -> None:
    """Rows for the configured clinics among `keys` that the ledger has not met yet (so that
    users can be given a clinic before its first import; the importer refreshes the row)."""
    keys = list(keys)
    have = set(session.scalars(select(m.Clinic.key).where(m.Clinic.key.in_(keys))))
    for key in keys:
        clinic = config.clinic(key)
        if key not in have and clinic is not None:
            session.add(m.Clinic(key=key, name=clinic.name, npi=clinic.npi, tax_id=clinic.tax_id))
    session.flush()


def scope_of(session: Session, keys: Iterable[str], configured: Iterable[str] = ()) -> Scope:
    """The scope of the command line's `--clinic KEY ...` (none given: every clinic;
    `configured`: the configuration's clinics, for the message of one not imported yet)."""
    keys = list(keys)
    return EVERYTHING if not keys else Scope.of(clinic_ids(session, keys, configured=configured))


# --- what a change touched (a change held to some clinics is refused whole past them) ------------


def claim_clinics(session: Session, claim_numbers: Iterable[str]) -> set[int | None]:
    """The clinics of these claims."""
    numbers = list(claim_numbers)
    found: set[int | None] = set()
    for i in range(0, len(numbers), 500):
        found |= set(
            session.scalars(
                select(m.Patient.clinic_id)
                .join(m.Claim, m.Claim.patient_id == m.Patient.id)
                .where(m.Claim.claim_number.in_(numbers[i : i + 500]))
                .distinct()
            )
        )
    return found


def remittance_clinics(session: Session, remittance_id: int) -> set[int | None]:
    """The clinics an 835 touched: of its matched claims, and of its payees' NPIs (None: a
    payee NPI that names no clinic)."""
    found: set[int | None] = set(
        session.scalars(
            select(m.Patient.clinic_id)
            .join(m.Claim, m.Claim.patient_id == m.Patient.id)
            .join(m.ClaimPayment, m.ClaimPayment.claim_id == m.Claim.id)
            .join(m.Payment, m.Payment.id == m.ClaimPayment.payment_id)
            .where(m.Payment.remittance_id == remittance_id)
            .distinct()
        )
    )
    for npi in session.scalars(
        select(m.Payment.payee_npi).where(m.Payment.remittance_id == remittance_id).distinct()
    ):
        found |= set(session.scalars(select(m.Clinic.id).where(m.Clinic.npi == npi))) or {None}
    return found


def import_clinics(session: Session, files: Iterable[str]) -> set[int | None]:
    """The clinics of the visits stored from these files (by the name the importer keeps)."""
    names = [f[-300:] for f in files]
    return set(
        session.scalars(select(m.Visit.clinic_id).where(m.Visit.source_file.in_(names)).distinct())
    )


def eligibility_clinics(session: Session, inbound_id: int) -> set[int | None]:
    """The clinics of the patients a 271 answered about."""
    return set(
        session.scalars(
            select(m.Patient.clinic_id)
            .join(pm.EligibilityCheck, pm.EligibilityCheck.patient_id == m.Patient.id)
            .where(pm.EligibilityCheck.inbound_id == inbound_id)
            .distinct()
        )
    )


def status_clinics(session: Session, inbound_id: int) -> set[int | None]:
    """The clinics of the claims a 277 answered about."""
    return set(
        session.scalars(
            select(m.Patient.clinic_id)
            .join(m.Claim, m.Claim.patient_id == m.Patient.id)
            .join(pm.ClaimStatusCheck, pm.ClaimStatusCheck.claim_id == m.Claim.id)
            .where(pm.ClaimStatusCheck.inbound_id == inbound_id)
            .distinct()
        )
    )


def refuse_outside(name: str, allowed: Any, clinics: set[int | None]) -> None:
    """Refuse a file that touched a clinic `allowed` (a predicate on a clinic id) does not
    admit; the caller's transaction is rolled back, so nothing of the file stays."""
    if any(not allowed(c) for c in clinics):
        raise InputError(
            file=name,
            visit_id=None,
            field=None,
            problem="the file concerns clinics outside those you act for",
            fix="a file that spans clinics is posted or imported whole by whoever acts for "
            "all of them (a company admin, or the command line without --clinic)",
        )
