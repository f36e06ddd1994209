"""Applying 999, TA1 and 277CA acknowledgements to the ledger.

- 999 (and TA1): a rejected transaction set (AK2/IK5 R) rejects every claim the set carried
  (found by GS06 -> submission, ST02 -> transaction set); a rejected group, or interchange (TA1
  TA104 R, found by TA101 = our ISA13), rejects all its claims. An accepted 999 changes no
  claim: the 277CA decides per claim.
- 277CA: each claim (TRN02 = our CLM01) is accepted into adjudication (A1/A2/A5) or rejected
  (A3/A4/A6/A7/A8/E0/E3/E4); the payer's claim number (REF*1K) is kept for replacements. A
  rejection at the information receiver (2200B) or billing provider (2200C) rejects the claims
  beneath it; with no claim beneath it, every claim of the batch it answers (its TRN02 is our
  BHT03: interchange control number and transaction set), of that provider's NPI.
- A rejection is a `rejection` work item: correct and resubmit before the timely-filing limit
  (a rejected claim does not stop the clock, billing-rules C-8).

A file applies once: its sha256 is unique in `acknowledgements`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ptbill.denials.classify import payer_due_date, rejection_category
from ptbill.errors import AlreadyApplied, unreadable
from ptbill.ledger import models as m
from ptbill.ledger.refs import bulk_insert
from ptbill.ledger.states import State, allowed, audit_row
from ptbill.x12 import Acknowledgments, ClaimAcknowledgment, X12Error
from ptbill.x12.kinds import input_error
from ptbill.x12.read_277ca import ProviderAck, ReceiverAck, rejecting
from ptbill.x12.read_ack import read_ack


@dataclass
class AckSummary:
    kind: str
    accepted: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # references that match no claim
    unchanged: list[str] = field(default_factory=list)  # already past this point
    warnings: list[str] = field(default_factory=list)  # odd but readable (ISA13 used twice)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "unknown": self.unknown,
            "unchanged": self.unchanged,
            "warnings": self.warnings,
        }


def read_ack_file(
    path: str, warnings: list[str] | None = None
) -> Acknowledgments | list[ClaimAcknowledgment]:
    """A 999 (with any TA1), a TA1 or a 277CA, by its envelope; InputError otherwise (a file of
    another kind is named, with the command that reads it)."""
    try:
        return read_ack(path, warnings)
    except X12Error as e:
        raise input_error(path, e, "ack") from None
    except OSError as e:
        raise unreadable(path, e) from None


def apply_ack_file(session: Session, path: str, *, as_of: dt.date, who: str) -> AckSummary:
    warnings: list[str] = []
    parsed = read_ack_file(path, warnings)
    content = Path(path).read_text(encoding="utf-8", errors="replace")
    summary = apply_acks(session, parsed, as_of=as_of, who=who, file_name=path, content=content)
    summary.warnings += warnings
    return summary


def apply_acks(
    session: Session,
    parsed: Acknowledgments | list[ClaimAcknowledgment],
    *,
    as_of: dt.date,
    who: str,
    file_name: str = "(parsed)",
    content: str | None = None,
) -> AckSummary:
    """Apply a parsed 999 or TA1 (Acknowledgments) or 277CA (list of ClaimAcknowledgment)."""
    kind = parsed.kind if isinstance(parsed, Acknowledgments) else "277CA"
    text = content if content is not None else repr(parsed)
    sha = hashlib.sha256(text.encode()).hexdigest()
    before = session.scalar(select(m.Acknowledgement).where(m.Acknowledgement.sha256 == sha))
    if before is not None:
        raise _already(file_name, before)
    ack = m.Acknowledgement(
        kind=kind, sha256=sha, file_name=file_name[-300:], content=text, received_on=as_of
    )
    session.add(ack)
    try:
        session.flush()
    except IntegrityError:
        raise _already(file_name, None) from None
    run = _Apply(session, ack, as_of, who)
    if isinstance(parsed, Acknowledgments):
        run.apply_999(parsed)
    else:
        run.apply_277(parsed)
    run.finish()
    return run.summary


def _digits(text: str, most: int) -> bool:
    """Digits only, at most `most` of them (a control number fits the ledger's columns)."""
    return text.isascii() and text.isdigit() and len(text) <= most


def _already(file_name: str, before: m.Acknowledgement | None) -> AlreadyApplied:
    on, row = (before.received_on, before.id) if before else (None, None)
    return AlreadyApplied(file_name, "acknowledgement", "acknowledgement", on, row)


class _Apply:
    def __init__(self, session: Session, ack: m.Acknowledgement, as_of: dt.date, who: str) -> None:
        self.s, self.ack, self.as_of, self.who = session, ack, as_of, who
        self.summary = AckSummary(ack.kind)
        self.results: list[dict[str, Any]] = []
        self.audit: list[dict[str, Any]] = []
        self.work: list[dict[str, Any]] = []
        self.payers: dict[int, m.Payer] = {}

    def _payer(self, claim: m.Claim) -> m.Payer:
        if claim.payer_id not in self.payers:
            self.payers[claim.payer_id] = self.s.get(m.Payer, claim.payer_id)  # type: ignore[assignment]
        return self.payers[claim.payer_id]

    def _claims_of(
        self, gcn: str | None, st02: str | None = None, icn: str | None = None
    ) -> list[m.Claim]:
        q = (
            select(m.Claim)
            .join(m.SubmissionClaim, m.SubmissionClaim.claim_id == m.Claim.id)
            .join(m.Submission, m.Submission.id == m.SubmissionClaim.submission_id)
        )
        if gcn is not None:
            q = q.where(m.Submission.group_control_number == int(gcn))
        if icn is not None:
            q = q.where(m.Submission.interchange_control_number == int(icn))
        if st02 is not None:
            q = q.where(m.SubmissionClaim.transaction_set == st02.zfill(4))
        return list(self.s.scalars(q))

    def apply_999(self, a: Acknowledgments) -> None:
        for ta1 in a.interchanges:
            if ta1.accepted:
                continue
            why = f"TA1 rejected interchange {ta1.control_number}: {ta1.message or ta1.status}"
            icn = ta1.control_number
            claims = self._claims_of(None, icn=icn) if _digits(icn, 9) else []
            if not claims:
                self.summary.unknown.append(f"interchange {ta1.control_number}")
                self._result(None, f"interchange {ta1.control_number}", "rejected", why)
            for claim in claims:
                self._reject(claim, why, [])
        for g in a.groups:
            if not g.group_control_number.isdigit():
                self.summary.unknown.append(f"group {g.group_control_number}")
                continue
            sets = {t.control_number: t for t in g.transactions}
            claims = self._claims_of(g.group_control_number)
            if not claims:
                self.summary.unknown.append(f"group {g.group_control_number}")
            for claim in claims:
                link = self.s.scalar(
                    select(m.SubmissionClaim.transaction_set)
                    .where(m.SubmissionClaim.claim_id == claim.id)
                    .order_by(m.SubmissionClaim.id.desc())
                )
                t = next((t for st02, t in sets.items() if st02.zfill(4) == link), None)
                if t is not None and not t.accepted:
                    errors = "; ".join(
                        t.messages
                        + [f"{s.segment_id} at {s.position}: {s.message}" for s in t.segments]
                    )
                    self._reject(
                        claim,
                        f"999 rejected transaction set {t.control_number}: {errors or t.status}",
                        [],
                    )
                elif t is None and not g.accepted:
                    self._reject(
                        claim,
                        f"999 rejected group {g.group_control_number}: "
                        f"{'; '.join(g.messages) or g.status}",
                        [],
                    )
                else:
                    self._result(
                        claim, claim.claim_number, "accepted", "999: transaction set accepted"
                    )
                    self.summary.accepted.append(claim.claim_number)

    def apply_277(self, acks: list[ClaimAcknowledgment]) -> None:
        for a in acks:
            numbers = [c.claim_id for c in a.claims]
            found = {
                c.claim_number: c
                for c in self.s.scalars(select(m.Claim).where(m.Claim.claim_number.in_(numbers)))
            }
            for c in a.claims:
                claim = found.get(c.claim_id)
                detail = "; ".join(c.reasons()) or c.status
                if claim is None:
                    self.summary.unknown.append(c.claim_id)
                    self._result(None, c.claim_id, c.status, f"no such claim: {detail}")
                    continue
                if c.payer_claim_control_number:
                    claim.payer_control_number = c.payer_claim_control_number
                if c.status == "rejected":
                    self._reject(claim, f"277CA rejected: {detail}", c.rejection_codes())
                elif c.status == "accepted":
                    self._accept(claim, f"277CA accepted: {detail}")
                else:
                    self._result(claim, claim.claim_number, "unknown", f"277CA: {detail}")
                    self.summary.unchanged.append(claim.claim_number)
            self._unlisted(a)

    def _unlisted(self, a: ClaimAcknowledgment) -> None:
        """A receiver or billing provider rejected with no claim beneath it rejects every claim
        of the batch it answers (a provider: those of its NPI), unnamed."""
        for r in a.receivers:
            if r.status == "rejected" and not r.claims:
                self._reject_batch(r, None, rejecting("receiver", r.reports))
        for p in a.providers:
            above = p.receiver
            if above is not None and above.status == "rejected" and not above.claims:
                continue  # the whole batch is rejected already
            if p.status == "rejected" and not p.claims:
                self._reject_batch(above, p, rejecting("billing provider", p.reports))

    def _reject_batch(
        self, receiver: ReceiverAck | None, provider: ProviderAck | None, statuses: list[Any]
    ) -> None:
        batch = receiver.batch if receiver is not None and receiver.batch else "-"
        words = "; ".join(f"{level}: {s.message}" for level, s in statuses)
        who = f"billing provider {provider.npi or provider.name}" if provider else "the batch"
        why = f"277CA rejected {who} of batch {batch}: {words}"
        claims = self._batch_claims(batch, provider.npi if provider else None)
        if provider is not None and provider.npi is None:
            claims = []  # a provider without its NPI: its claims cannot be told apart
        if not claims:
            reference = f"batch {batch}" + (f" provider {provider.npi}" if provider else "")
            self.summary.unknown.append(reference)
            self._result(None, reference, "rejected", f"no claim of the ledger found: {why}")
        for claim in claims:
            self._reject(claim, why, [s.code for _, s in statuses])

    def _batch_claims(self, batch: str, npi: str | None) -> list[m.Claim]:
        """The claims of the transaction set whose BHT03 is `batch` (ptbill writes the
        interchange control number, 9 digits, and the ST02, 4 digits), of billing NPI `npi`."""
        if len(batch) != 13 or not _digits(batch, 13):
            return []
        claims = self._claims_of(None, st02=batch[9:], icn=batch[:9])
        if npi is None:
            return claims
        clinics = {
            visit: clinic_npi
            for visit, clinic_npi in self.s.execute(
                select(m.Visit.id, m.Clinic.npi)
                .join(m.Clinic, m.Clinic.id == m.Visit.clinic_id)
                .where(m.Visit.id.in_([c.visit_pk for c in claims]))
            )
        }
        return [c for c in claims if clinics.get(c.visit_pk) == npi]

    def _result(self, claim: m.Claim | None, reference: str, status: str, detail: str) -> None:
        self.results.append(
            {
                "ack_id": self.ack.id,
                "claim_id": claim.id if claim else None,
                "version": claim.version if claim else None,
                "reference": reference[:50],
                "status": status,
                "detail": detail,
            }
        )

    def _first(self, claim: m.Claim, verdict: str) -> None:
        if claim.version == 1 and claim.first_response is None:
            claim.first_response = verdict

    def _accept(self, claim: m.Claim, why: str) -> None:
        self._result(claim, claim.claim_number, "accepted", why)
        self._first(claim, "accepted")
        if claim.state == State.SUBMITTED:
            self.audit.append(
                audit_row(claim.id, claim.state, State.ACCEPTED, self.who, self.as_of, why)
            )
            claim.state = str(State.ACCEPTED)
            self.summary.accepted.append(claim.claim_number)
        else:
            self.summary.unchanged.append(claim.claim_number)

    def _reject(self, claim: m.Claim, why: str, codes: list[str]) -> None:
        self._result(claim, claim.claim_number, "rejected", why)
        self._first(claim, "rejected")
        if not allowed(claim.state, State.REJECTED):
            self.summary.unchanged.append(claim.claim_number)
            return
        self.audit.append(
            audit_row(claim.id, claim.state, State.REJECTED, self.who, self.as_of, why)
        )
        claim.state = str(State.REJECTED)
        self.summary.rejected.append(claim.claim_number)
        payer = self._payer(claim)
        due = payer_due_date(
            "correct_and_resubmit",
            payer,
            date_of_service=claim.date_of_service,
            determined_on=self.as_of,
            processed=False,
        )
        self.work.append(
            {
                "claim_id": claim.id,
                "reference": claim.claim_number,
                "visit_id": claim.claim_number,
                "kind": "rejection",
                "category": rejection_category(codes),
                "carc": None,
                "rarc": None,
                "amount": claim.charge,
                "action": "correct_and_resubmit",
                "detail": f"{why}. Fix the claim (re-import the corrected visit), then "
                f"`ptbill correct {claim.claim_number}` and submit again",
                "due_date": due,
                "status": "open",
                "created_on": self.as_of,
                "closed_on": None,
                "resolution": None,
                "source": f"ack:{self.ack.id}",
            }
        )

    def finish(self) -> None:
        bulk_insert(self.s, m.AckResult, self.results)
        bulk_insert(self.s, m.AuditEntry, self.audit)
        bulk_insert(self.s, m.WorkItem, self.work)
