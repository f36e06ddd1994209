"""What a biller does with a claim on the worklist: correct it, scrub it again, write it off
(appeals are in ptbill.remit.appeal; the same on many claims at once in ptbill.remit.bulk_actions).

`correct`: the claim is coded, scrubbed and priced again from its stored visit (re-import the
fixed visit first) and becomes a new version: a replacement (frequency 7, REF*F8 the payer's
claim control number) when the payer processed the original, a new original (frequency 1) when
it never did (a front-end rejection). The claim moves to `corrected`; `ptbill submit` sends it.

`rescrub`: a claim not sent yet is coded, scrubbed and priced again from its stored visit with
today's configuration and reference data; it becomes ready, or stays blocked with new items.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.claim_pipeline import PreparedClaim, prepare_claim
from ptbill.coding import VisitContext, resolve
from ptbill.config.profiles import Config
from ptbill.domain.visit import Visit
from ptbill.errors import InputError
from ptbill.ledger import models as m
from ptbill.ledger import versions
from ptbill.ledger.balances import CENT, balances
from ptbill.ledger.bulk import Bulk
from ptbill.ledger.importer import HELD_AFTER_SUBMISSION, same_day_history
from ptbill.ledger.secondary import correct_next, rescrub_next
from ptbill.ledger.states import State, audit_row, check, move
from ptbill.ledger.stored import Stored, stored_of
from ptbill.ledger.submit import stored_visit
from ptbill.ledger.texts import Texts
from ptbill.ledger.work_items import checked_reason, close_open
from ptbill.scrub import Finding

ZERO = Decimal(0)
RESCRUBBABLE = (State.BLOCKED, State.READY)


def find_claim(session: Session, number: str) -> m.Claim:
    claim = session.scalar(select(m.Claim).where(m.Claim.claim_number == number).with_for_update())
    if claim is None:
        raise InputError(
            f"claim {number}",
            "no such claim in the ledger",
            "use the claim id shown by `ptbill worklist` (the visit id)",
        )
    return claim


class CorrectionBlocked(InputError):
    def __init__(self, number: str, findings: list[Finding]) -> None:
        self.findings = findings
        listing = "; ".join(f"{f.rule}: {f.message}" for f in findings if f.severity == "error")
        super().__init__(
            f"claim {number}",
            f"the corrected claim would still be blocked ({listing})",
            "fix the visit, re-import it with `ptbill import`, then correct again",
        )


@dataclass
class Correction:
    claim: str
    version: int
    frequency_code: str
    original_claim_id: str | None
    charge: Decimal
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "claim_id": self.claim,
            "version": self.version,
            "frequency_code": self.frequency_code,
            "original_claim_id": self.original_claim_id,
            "charge": self.charge,
            "warnings": self.warnings,
        }


def _prepare(
    session: Session, config: Config, claim: m.Claim, visit: Visit, as_of: dt.date
) -> tuple[PreparedClaim, VisitContext]:
    """The claim coded, scrubbed and priced again from `visit` as of `as_of`, with the other
    visits of its patient and day (the duplicate checks)."""
    ctx = resolve(visit, config, f"claim {claim.claim_number}")
    day = (claim.patient_id, visit.date_of_service)
    history = same_day_history(session, {day}, {visit.visit_id})
    return prepare_claim(visit, ctx, as_of, history.get(day)), ctx


def _write_version(
    session: Session,
    claim: m.Claim,
    visit: Visit,
    stored: Stored,
    version_no: int,
    on: dt.date,
    reason: str,
) -> None:
    """Version `version_no` of the claim from `stored`: made again in place when it is the
    claim's current version (not sent yet), else added; the claim's money follows it."""
    bulk = Bulk(session)
    texts = Texts(session, bulk)
    texts.store(versions.texts_of(stored))
    row = versions.version_row(claim.id, version_no, visit, stored, texts, on, reason)
    if version_no == claim.version:
        version = session.scalar(
            select(m.ClaimVersion).where(
                m.ClaimVersion.claim_id == claim.id, m.ClaimVersion.version == version_no
            )
        )
        assert version is not None
        versions.delete_lines(session, [version.id])
        for k, v in row.items():
            setattr(version, k, v)
    else:
        version = m.ClaimVersion(**row)
        session.add(version)
    session.flush()
    session.expire(version, ["findings_json", "pricing_notes_json"])  # read from the new texts
    bulk.insert_tuples(
        m.ClaimLine,
        versions.LINE_COLUMNS,
        versions.line_rows(
            claim.claim_number, version_no, stored, version.id, visit.date_of_service, texts
        ),
    )
    claim.version = version_no
    for k, v in versions.claim_money(stored).items():
        setattr(claim, k, v)


def correct(
    session: Session, config: Config, number: str, *, as_of: dt.date, who: str
) -> Correction:
    claim = find_claim(session, number)
    pending = claim.state == State.CORRECTED  # a replacement not sent yet: rebuild it
    if not pending:
        check(number, claim.state, State.CORRECTED, "a correction")
    if claim.primary_claim_id is not None:
        return _correct_next(session, config, claim, as_of, who, pending)
    visit_row = session.get(m.Visit, claim.visit_pk)
    assert visit_row is not None
    frequency, original = (
        ("7", claim.payer_control_number) if claim.payer_control_number else ("1", None)
    )
    visit = stored_visit(visit_row).model_copy(
        update={"frequency_code": frequency, "original_claim_id": original}
    )
    prepared, _ = _prepare(session, config, claim, visit, as_of)
    scrub = prepared.scrub
    if scrub.blocked:
        raise CorrectionBlocked(number, list(scrub.findings))
    stored = stored_of(prepared.coded, scrub, prepared.priced)
    same = bool(original) and not pending and _unchanged(session, claim, stored)
    version_no = claim.version if pending else claim.version + 1
    _write_version(session, claim, visit, stored, version_no, as_of, f"correction by {who}")
    kind = (
        f"replacement (frequency 7) of payer claim {original}"
        if original
        else "new original claim (the payer never processed the first)"
    )
    _corrected(session, claim, version_no, kind, pending, as_of, who)
    return Correction(
        number,
        version_no,
        frequency,
        original,
        stored.charge,
        [*([UNCHANGED.to_json()] if same else []), *(f.to_json() for f in scrub.findings)],
    )


def _unchanged(session: Session, claim: m.Claim, stored: Stored) -> bool:
    """Whether a replacement would say what the payer already has: the visit was not imported
    again since the claim was last sent, and the lines come out the same (code, modifiers,
    units, charge, pointers)."""
    a = m.AuditEntry
    last_sent = session.scalar(
        select(a.id)
        .where(a.claim_id == claim.id, a.to_state == str(State.SUBMITTED))
        .order_by(a.id.desc())
        .limit(1)
    )
    reimported = session.scalar(
        select(a.id).where(
            a.claim_id == claim.id,
            a.id > (last_sent or 0),
            a.why.startswith(HELD_AFTER_SUBMISSION, autoescape=True),
        )
    )
    if reimported is not None:
        return False
    x, v = m.ClaimLine, m.ClaimVersion
    sent = session.execute(
        select(x.code, x.modifiers, x.units, x.charge, x.pointers)
        .join(v, v.id == x.version_id)
        .where(v.claim_id == claim.id, v.version == claim.version)
        .order_by(x.line_number)
    ).all()
    new = [(n.code, n.modifiers, n.units, n.charge, n.pointers) for n in stored.lines]
    return [tuple(row) for row in sent] == new


# Said, not refused: what changed may be outside the visit and its lines (a clinic's NPI,
# taxonomy or address fixed in the configuration), which this check does not see.
UNCHANGED = Finding(
    "CORRECT-UNCHANGED",
    "claim",
    "warning",
    None,
    "the visit was not imported again since the claim was sent and its lines come out the "
    "same: unless the fix was in the configuration (the clinic's NPI, taxonomy, address), the "
    "payer may deny this replacement as a duplicate (CO-18)",
    "if the visit was to be fixed, import the fixed visit and correct again before `ptbill "
    "submit` (the replacement not sent yet is made again); if the payer's decision is wrong, "
    "appeal it (`ptbill appeal`)",
)


def _corrected(
    session: Session,
    claim: m.Claim,
    version_no: int,
    kind: str,
    pending: bool,
    as_of: dt.date,
    who: str,
) -> None:
    """The claim corrected (unless it was already, not sent yet), its payer's answers done."""
    if not pending:
        move(
            session,
            claim,
            State.CORRECTED,
            who,
            as_of,
            f"version {version_no}: {kind}",
            "a correction",
        )
    close_open(
        session,
        as_of,
        f"corrected: version {version_no}, {kind}",
        ("denial", "rejection", "underpayment"),
        claims=[claim.id],
    )


def _correct_next(
    session: Session, config: Config, claim: m.Claim, as_of: dt.date, who: str, pending: bool
) -> Correction:
    """A next payer's claim corrected from its lines and the earlier payer's decision, to the
    coverage at its rank now (ptbill.ledger.secondary.correct_next), never from the visit as
    its primary claim."""
    done = correct_next(session, config, claim, as_of=as_of, who=who)
    findings = [Finding(**{**f, "citation": tuple(f["citation"])}) for f in done.findings]
    if any(f.severity == "error" for f in findings):
        raise CorrectionBlocked(claim.claim_number, findings)
    kind = (
        f"replacement (frequency 7) of payer claim {done.original_claim_id}"
        if done.original_claim_id
        else "new original claim to the payer at its rank"
    )
    _corrected(session, claim, done.version, kind, pending, as_of, who)
    return Correction(
        claim.claim_number,
        done.version,
        done.frequency_code,
        done.original_claim_id,
        claim.charge,
        done.findings,
    )


@dataclass
class Rescrub:
    claim: str
    state: str  # ready or blocked
    rules: list[str]  # the rules that still block it

    def as_json(self) -> dict[str, Any]:
        return {"claim_id": self.claim, "state": self.state, "blocked_by": self.rules}


def rescrub(session: Session, config: Config, number: str, *, as_of: dt.date, who: str) -> Rescrub:
    """Code, scrub and price a claim not sent yet again from its stored visit, as of `as_of`
    and with the configuration and reference data of now (after a payer profile, a rule's
    data or the clinic's settings changed): its version is made again in place, it becomes
    ready or stays (or becomes) blocked with new work items. A visit that must change is
    edited and imported instead."""
    claim = find_claim(session, number)
    if claim.state not in RESCRUBBABLE:
        raise InputError(
            file=f"claim {number}",
            visit_id=None,
            field="state",
            problem=f"the claim is {claim.state}: only a claim not sent yet (blocked or ready) "
            "is scrubbed again",
            fix="change a claim that was sent with a corrected claim (`ptbill correct`)",
        )
    if claim.primary_claim_id is not None:  # a next payer's: its own scrub, its own payer
        items = rescrub_next(session, config, claim, as_of=as_of, who=who)
    else:
        items = _rescrub_visit(session, config, claim, as_of, who)
    rules = sorted({i["rule"] for i in items})
    why = f"scrubbed again as of {as_of}: " + (
        f"{len(items)} error(s): {', '.join(rules)}" if rules else "no errors"
    )
    close_open(session, as_of, why, ("blocked",), claims=[claim.id])
    Bulk(session).insert(m.WorkItem, items)
    wanted = State.BLOCKED if items else State.READY
    if claim.state == wanted:  # the same state: the audit trail still records the scrub
        session.add(m.AuditEntry(**audit_row(claim.id, claim.state, wanted, who, as_of, why)))
    else:
        move(session, claim, wanted, who, as_of, why, "a scrub")
    return Rescrub(number, str(wanted), rules)


def _rescrub_visit(
    session: Session, config: Config, claim: m.Claim, as_of: dt.date, who: str
) -> list[dict[str, Any]]:
    """A claim coded, scrubbed and priced again from its stored visit, its version made again
    in place; the work items of what blocks it."""
    visit_row = session.get(m.Visit, claim.visit_pk)
    assert visit_row is not None
    visit = stored_visit(visit_row)
    prepared, ctx = _prepare(session, config, claim, visit, as_of)
    stored = stored_of(prepared.coded, prepared.scrub, prepared.priced)
    _write_version(session, claim, visit, stored, claim.version, as_of, f"scrubbed again by {who}")
    visit_row.units_billed = stored.units_billed
    if not stored.blocked:
        return []
    due = visit.date_of_service + dt.timedelta(days=ctx.profile.timely_filing_days)
    return versions.blocked_items(stored, claim.id, claim.claim_number, due, as_of, "rescrub")


def outstanding(claim: m.Claim, sent_for: Decimal | None = None) -> Decimal:
    """What the payer still owes on the claim's charge: neither paid, nor the patient's, nor a
    contractual reduction, nor written off. Denied amounts stay outstanding until resolved.
    A next payer's claim (`sent_for`: the share the payer before it left, what it was billed
    for) owes that share less what it paid and left the patient: its charge repeats the
    visit's, and its adjustments are mostly the earlier payer's part (OA-23)."""
    if sent_for is not None:
        owed = sent_for - claim.paid - claim.patient_responsibility - claim.written_off
        return max(owed, ZERO)
    value = (
        claim.charge
        - claim.paid
        - claim.patient_responsibility
        - claim.contractual
        - claim.written_off
    )
    return max(value, ZERO)


def sent_for(session: Session, claims: list[m.Claim]) -> dict[int, Decimal]:
    """What each next payer's claim of these was billed for, by claim id: the share left by
    the decision its current version was built from (primary claims are not in it)."""
    v, cp = m.ClaimVersion, m.ClaimPayment
    versions_of = {c.id: c.version for c in claims if c.primary_claim_id is not None}
    if not versions_of:
        return {}
    q = (
        select(v.claim_id, v.version, cp.patient_responsibility)
        .join(cp, cp.id == v.basis_payment_id)
        .where(v.claim_id.in_(list(versions_of)))
    )
    return {cid: left for cid, version, left in session.execute(q) if versions_of[cid] == version}


def _nothing_to_write_off(session: Session, claim: m.Claim, as_of: dt.date) -> InputError:
    """The refusal of a write-off that would write off 0.00: the payer owes nothing (what is
    left is the patient's share, PR), so closing the claim would only hide that the patient is
    billed. It names what the patient owes on the visit and the command that forgives it."""
    patient = session.get(m.Patient, claim.patient_id)
    assert patient is not None
    head = claim.primary_claim_id or claim.id
    visits = balances(session, as_of, [claim.patient_id]).get(claim.patient_id)
    visit = next((v for v in visits.visits if v.claim_id == head), None) if visits else None
    if visit is not None and visit.pending_with:
        owes = f"the patient's share waits on {visit.pending_with}"
    else:
        owed = visit.balance if visit is not None else ZERO
        owes = f"the patient owes {max(owed, ZERO).quantize(CENT)} on this visit"
    return InputError(
        file=f"claim {claim.claim_number}",
        field="balance",
        problem=f"nothing to write off: the payer owes nothing on it ({owes}); nothing was changed",
        fix="the patient's share is billed on their statements; to forgive it instead: "
        f"`ptbill patient-writeoff {patient.external_id} --claim {claim.claim_number} "
        "--reason ...`",
    )


def not_billable(session: Session, claim: m.Claim, as_of: dt.date) -> Decimal:
    """What the payer gave the patient of a primary claim's visit that the patient may not be
    billed (non-covered with no ABN on file: ptbill.ledger.balances): the clinic's to write
    off. Nothing while a later payer has the visit (its decision may change the share)."""
    if claim.primary_claim_id is not None:
        return ZERO
    visits = balances(session, as_of, [claim.patient_id]).get(claim.patient_id)
    visit = next((v for v in visits.visits if v.claim_id == claim.id), None) if visits else None
    if visit is None or visit.pending_with:
        return ZERO
    return visit.not_billable


def writeoff(session: Session, number: str, reason: str, *, as_of: dt.date, who: str) -> Decimal:
    """Write off what is outstanding on the claim, and the share its patient may not be billed
    (`not_billable`: it leaves the claim's patient responsibility, so that the claim's totals
    still add up to its charge), and close it; returns the amount. Refused when there is
    neither (the rest is the patient's: `_nothing_to_write_off`)."""
    reason = checked_reason(reason, f"claim {number}")
    claim = find_claim(session, number)
    check(number, claim.state, State.WRITTEN_OFF, "a write-off")
    barred = not_billable(session, claim, as_of)
    amount = outstanding(claim, sent_for(session, [claim]).get(claim.id)) + barred
    if amount <= 0:
        raise _nothing_to_write_off(session, claim, as_of)
    claim.written_off += amount
    claim.patient_responsibility -= barred
    move(
        session,
        claim,
        State.WRITTEN_OFF,
        who,
        as_of,
        f"wrote off {amount}: {reason}",
        "a write-off",
    )
    move(session, claim, State.CLOSED, who, as_of, "closed after the write-off", "closing")
    claim.closed_on = as_of
    close_open(
        session,
        as_of,
        f"written off ({amount}): {reason}",
        ("denial", "rejection", "underpayment", "blocked", "unmatched"),
        claims=[claim.id],
    )
    return amount
