"""What the workbench changes, each a call of the ledger's workflow in the request's
transaction: the API and the pages both come through here, so a write is written once.

Every write passes the signed-in user (`web:NAME`) as `who`, which the ledger records in its
audit log. Business dates come from ptbill.web.asof (by default today, in the company's time
zone; an import's and a scrub's in the time zone of its visits' one clinic, as the command
line's).

Every write is held to the user's clinics (ptbill.ledger.scope): a claim or visit of a clinic
the user cannot see is not found (404); one they only view is refused (403); a visit file
naming a clinic that is not theirs to bill is refused whole; a submission takes only their
clinics' ready claims; an 835 or acknowledgement that touches another clinic's claims is
refused whole (posting stays one action: a company admin posts such a file).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.claim_pipeline import prepare_claim
from ptbill.coding import resolve
from ptbill.config.profiles import Config
from ptbill.domain.visit import Visit
from ptbill.errors import InputError, InputErrors, clip, validation_errors
from ptbill.intake.load import parse_documents
from ptbill.ledger import models as m
from ptbill.ledger.acks import AckSummary, apply_acks, read_ack_file
from ptbill.ledger.importer import Batched, ImportSummary, import_files
from ptbill.ledger.reading import count_visits
from ptbill.ledger.scope import (
    claim_clinics,
    clinic_of_claim,
    import_clinics,
    refuse_outside,
)
from ptbill.ledger.submit import SubmitResult, submit
from ptbill.ledger.work_items import close_by_hand, find_item
from ptbill.remit.actions import Correction, correct, writeoff
from ptbill.remit.appeal import AppealResult, appeal
from ptbill.remit.bulk_actions import (
    BulkAction,
    BulkResult,
    ClaimOutcome,
    GroupChanged,
    Target,
    item_targets,
    run_bulk,
)
from ptbill.remit.post import post_text
from ptbill.remit.post_summary import PostSummary
from ptbill.remit.worklist import WorkFilter
from ptbill.web.accounts import Principal
from ptbill.web.asof import import_day
from ptbill.web.errors import Conflict, Forbidden, NotFound, WebError
from ptbill.web.settings import WebSettings
from ptbill.web.uploads import kind_named_for_the_web, saved
from ptbill.x12.errors import X12Error
from ptbill.x12.kinds import KIND_835, WrongKindError
from ptbill.x12.recognize import FILE_KINDS, HEAD, recognize

# A batch-by-batch import, made once the import's size is known, with what gives its date
# (known once the input is checked, before the first batch commits).
BatchesFor = Callable[[Callable[[], dt.date], int], Batched]


def writable_claim(session: Session, who: Principal, claim_number: str, what: str = "claim") -> int:
    """The clinic of a claim the user may change: another clinic's claim is not found, one
    of a clinic they only view is refused."""
    clinic_id = clinic_of_claim(session, claim_number)
    if clinic_id is None or not who.scope.allows(clinic_id):
        raise NotFound(what, claim_number)
    if not who.writes(clinic_id):
        raise Forbidden(
            "your role at this claim's clinic cannot change it; ask for the biller role"
        )
    return clinic_id


def import_visits(
    session: Session,
    config: Config,
    settings: WebSettings,
    who: Principal,
    name: str,
    text: str,
    as_of: dt.date | None,
    fmt: str | None = None,
    *,
    batched: BatchesFor | None = None,
) -> tuple[ImportSummary, dt.date]:
    """Import an uploaded visit file in any intake format (all of it, or nothing when any
    visit is bad). `batched(day, visits)`: commit batch by batch (a job's import; `day()` is the
    import's date once the input is checked); a batch that touched a clinic outside the
    user's is refused before it commits."""
    given = import_day(settings, config, as_of)
    days = [given] if isinstance(given, dt.date) else []

    def day_of(clinics: set[str | None]) -> dt.date:
        assert not isinstance(given, dt.date)
        days.append(given(clinics))
        return days[0]

    with saved(name, text) as upload:
        files = [str(upload.path)]

        def held_to_clinics() -> None:
            if not who.is_admin:
                refuse_outside(name, who.writes, import_clinics(session, files))

        batches = None
        if batched is not None:
            # The day is known once the input is checked, before its first batch commits.
            batches = batched(lambda: days[0], count_visits(files[0]) or 0)  # 0: not known
            commit = batches.commit

            def checked(done: int, summary: ImportSummary) -> None:
                held_to_clinics()
                commit(done, summary)

            batches.commit = checked
        summary = import_files(
            session,
            files,
            as_of=days[0] if days else day_of,
            config=config,
            who=who.who,
            fmt=fmt,
            batched=batches,
        )
        held_to_clinics()
    return summary, days[0]


def edit_visit(
    session: Session,
    config: Config,
    settings: WebSettings,
    who: Principal,
    visit_id: str,
    text: str,
    as_of: dt.date | None,
) -> tuple[ImportSummary, dt.date]:
    """Store an edited visit and scrub it again (the importer re-codes, re-prices and
    re-scrubs a claim not yet submitted; a submitted one keeps what was sent)."""
    origin = f"visit {visit_id}"
    docs = parse_documents(text, origin)
    if len(docs) != 1 or not isinstance(docs[0], dict):
        raise InputError(
            origin,
            "the edit must be one visit object",
            "send the visit as one JSON object",
            visit_id=visit_id,
        )
    if docs[0].get("visit_id") != visit_id:
        raise InputError(
            origin,
            f"the edited visit has visit_id {clip(docs[0].get('visit_id'), quote=True)}",
            f"keep visit_id {visit_id!r}: a new id is a new visit",
            visit_id=visit_id,
            field="visit_id",
        )
    writable_claim(session, who, visit_id, "visit")
    return import_visits(session, config, settings, who, f"edit-{visit_id}.json", text, as_of)


def check_remittance(name: str, text: str) -> None:
    """Refuse at once an upload to post that is an X12 file of another kind, named with where
    the workbench takes it (its head only is read; the posting reads the rest)."""
    try:
        label = recognize(text[:HEAD])
    except X12Error:
        return  # the posting names what is wrong with it
    found = FILE_KINDS.get(label)
    if found is not None and found is not KIND_835:
        with kind_named_for_the_web():
            raise WrongKindError(name, "GS01", f"this is {found.what}, not {KIND_835.what}", found)


def post_remittance(
    session: Session, config: Config, who: Principal, name: str, text: str, as_of: dt.date | None
) -> PostSummary:
    """Post an uploaded 835 (all of it or nothing; a payment posted before is not posted
    again)."""
    with kind_named_for_the_web():
        summary = post_text(session, text, name, who=who.who, config=config, as_of=as_of)
    if not who.is_admin:
        refuse_outside(name, who.writes, summary.clinics(session))
    return summary


def need_date(as_of: dt.date | None, what: str) -> dt.date:
    if as_of is None:
        raise InputError(
            what,
            "the ledger is empty, so there is no business date to work on",
            "import visits first, or give as_of=YYYY-MM-DD",
            field="as_of",
        )
    return as_of


def apply_acknowledgement(
    session: Session, who: Principal, name: str, text: str, as_of: dt.date | None
) -> AckSummary:
    as_of = need_date(as_of, name)
    warnings: list[str] = []
    with saved(name, text) as upload, kind_named_for_the_web():
        parsed = read_ack_file(str(upload.path), warnings)
    summary = apply_acks(session, parsed, as_of=as_of, who=who.who, file_name=name, content=text)
    summary.warnings += warnings
    if not who.is_admin:
        numbers = summary.accepted + summary.rejected + summary.unchanged
        refuse_outside(name, who.writes, claim_clinics(session, numbers))
    return summary


def submit_claims(
    session: Session, config: Config, who: Principal, as_of: dt.date | None
) -> SubmitResult:
    as_of = need_date(as_of, "submission")
    return submit(
        session,
        config,
        as_of=as_of,
        who=who.who,
        file_name=f"ptbill-{as_of.isoformat()}.837",
        scope=who.write_scope,
    )


def check_scrub_clinic(session: Session, who: Principal, doc: Any) -> None:
    """A visit scrubbed for a caller of some clinics must name one of theirs (a configured
    clinic's chargemaster and settings are its own); one with its own billing provider and
    no `clinic` is scrubbed as given."""
    clinic = doc.get("clinic") if isinstance(doc, dict) else None
    if not isinstance(clinic, str) or who.scope.everything:
        return
    found = session.scalar(select(m.Clinic.id).where(m.Clinic.key == clinic))
    if not who.scope.allows(found) or found is None:
        raise InputError(
            file="request",
            visit_id=None,
            field="clinic",
            problem=f"{clip(clinic, quote=True)} is not one of your clinics",
            fix="scrub visits of your own clinics (see the Clinics page)",
        )


def scrub_document(
    config: Config, doc: Any, as_of: dt.date | None, settings: WebSettings
) -> dict[str, Any]:
    """Code and scrub one visit as given (nothing stored; the episode is what it carries)."""
    if not isinstance(doc, dict):
        raise InputError(
            "request",
            f"expected a visit object, found {type(doc).__name__}",
            "send one visit as a JSON object",
            field="(body)",
        )
    try:
        visit = Visit.model_validate(doc)
    except ValidationError as e:
        vid = doc.get("visit_id")
        raise InputErrors(
            validation_errors(e, "request", vid if isinstance(vid, str) else None)
        ) from None
    day = import_day(settings, config, as_of)
    if not isinstance(day, dt.date):
        day = day({visit.clinic})  # today in the visit's clinic's time zone
    claim = prepare_claim(visit, resolve(visit, config, "request"), day)
    coded = claim.coded
    return {
        **claim.scrub.to_json(),
        "as_of": day.isoformat(),
        "lines": [
            {
                "code": x.code,
                "units": x.units,
                "modifiers": list(x.modifiers),
                "diagnosis_pointers": list(x.diagnosis_pointers),
                "minutes": x.minutes,
                "charge": x.charge,
            }
            for x in coded.billed_lines
        ],
    }


def correct_claim(
    session: Session, config: Config, who: Principal, claim_number: str, as_of: dt.date
) -> Correction:
    writable_claim(session, who, claim_number)
    return correct(session, config, claim_number, as_of=as_of, who=who.who)


def write_off_claim(
    session: Session, who: Principal, claim_number: str, reason: str, as_of: dt.date
) -> Decimal:
    writable_claim(session, who, claim_number)
    return writeoff(session, claim_number, reason[:200], as_of=as_of, who=who.who)


def resolve_item(
    session: Session, who: Principal, item_id: int, note: str, as_of: dt.date
) -> m.WorkItem:
    """Close a work item by hand with a note: another clinic's is not found, one of a clinic
    the user only views is refused."""
    if find_item(session, item_id, who.write_scope) is None:  # else: why not, in a 2nd read
        if find_item(session, item_id, who.scope) is None:
            raise NotFound("work item", item_id)
        raise Forbidden("your role at this item's clinic cannot change it; ask for the biller role")
    return close_by_hand(session, item_id, who.write_scope, note=note, on=as_of, who=who.who)


def appeal_claim(
    session: Session, config: Config, who: Principal, claim_number: str, as_of: dt.date
) -> AppealResult:
    """Make the appeal letter; it is kept in the ledger (the files the workflow also writes
    go to a scratch folder that is removed: the app serves the stored letter)."""
    writable_claim(session, who, claim_number)
    with tempfile.TemporaryDirectory(prefix="ptbill-appeal-") as scratch:
        return appeal(session, config, claim_number, as_of=as_of, who=who.who, out_dir=scratch)


def bulk_targets(
    session: Session,
    who: Principal,
    filters: WorkFilter,
    as_of: dt.date | None,
    ids: list[int] | None,
    expect: tuple[int, str] | None,
) -> tuple[list[Target], list[ClaimOutcome]]:
    """The claims a bulk action acts on, of the user's clinics: of the items `ids` (another
    clinic's item is as unknown), or of the whole group `filters` selects as the caller saw it
    (`expect`: its count and version; 409 when it changed)."""
    try:
        return item_targets(session, who.scope, filters, as_of, ids=ids, expect=expect)
    except GroupChanged as e:
        raise Conflict(e.problem, e.fix, "version") from None


def bulk_action(
    session: Session,
    config: Config,
    who: Principal,
    action: BulkAction,
    targets: list[Target],
    not_acted: list[ClaimOutcome],
    as_of: dt.date,
) -> BulkResult:
    """The action on each claim, each in its own transaction (ptbill.remit.bulk_actions says
    why); a claim the action does not apply to, or the user may not change, is refused. Appeal
    letters are kept in the ledger (the files go to a scratch folder that is removed)."""
    with tempfile.TemporaryDirectory(prefix="ptbill-appeal-") as scratch:
        return run_bulk(
            session,
            config,
            dataclasses.replace(action, out_dir=scratch),
            targets,
            as_of=as_of,
            who=who.who,
            check=lambda number: writable_claim(session, who, number),
            refusals=(InputError, WebError),
            done_before=not_acted,
        )
