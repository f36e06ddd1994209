"""The 270s and 276s ptbill writes, kept in the ledger: each interchange with its control
numbers (the ledger's counters, shared with the 837Ps: an ISA13 is used once, ever) and each
patient or claim it asks about, by the trace number its answer returns. Inbound answers apply
once: their sha256 is unique in `inbound_files`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ptbill.config.profiles import Config, Submitter
from ptbill.errors import AlreadyApplied, InputError
from ptbill.ledger import payer_models as pm
from ptbill.ledger.submit import RECEIVER, addressee_of, next_number
from ptbill.x12.envelope import InterchangeSettings


@dataclass
class Written:
    """A 270 or 276 written and recorded (text empty: nothing to ask)."""

    kind: str
    text: str = ""
    interchange_control_number: int | None = None
    items: list[dict[str, Any]] = field(default_factory=list)  # what each trace asks about
    skipped: list[str] = field(default_factory=list)  # why some were left out

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "interchange_control_number": self.interchange_control_number,
            "items": self.items,
            "skipped": self.skipped,
        }


def submitter_of(config: Config, clinics: Iterable[str | None] = ()) -> tuple[Submitter, str]:
    """(the submitter, the receiver id) a request about the `clinics`' patients or claims is
    sent as and to: their clinic's account when they have one (ptbill.ledger.submit's
    addressee_of), else the first clinic's that has one, as before. A request that spans
    clinics of different accounts still goes under that first clinic's: one interchange, one
    account (the workbench's company-wide users cannot choose a clinic; `--clinic` does)."""
    # By their ids (ISA06, ISA08): two clinics of one account may spell its name apart.
    accounts = {
        (_id(a[0]), a[1].id): a for a in (addressee_of(config, key) for key in set(clinics)) if a
    }
    if len(accounts) == 1:
        ((submitter, receiver),) = accounts.values()
        if submitter is not None:
            return submitter, receiver.id
    for clinic in config.clinics.values():
        if clinic.submitter is not None:
            receiver_id = clinic.receiver.id if clinic.receiver else RECEIVER.id
            return clinic.submitter, receiver_id
    raise InputError(
        config.source,
        "no clinic has a submitter (who sends the 270/276: name, id, contact, phone)",
        "add `submitter = {...}` to the clinic in the configuration",
        field="clinics.*.submitter",
    )


def _id(submitter: Submitter | None) -> str:
    return submitter.id if submitter else "no submitter"


def settings(
    session: Session, config: Config, as_of: dt.date, clinics: Iterable[str | None] = ()
) -> InterchangeSettings:
    submitter, receiver = submitter_of(config, clinics)
    return InterchangeSettings(
        sender_id=submitter.id[:15],
        receiver_id=receiver[:15],
        interchange_control_number=next_number(session, "interchange_control_number"),
        group_control_number=next_number(session, "group_control_number"),
        created=dt.datetime.combine(as_of, dt.time(0, 0)),
    )


def record(
    session: Session,
    written: Written,
    file_name: str,
    as_of: dt.date,
    rows: list[dict[str, Any]],
) -> pm.OutboundFile:
    """Store the interchange and its items (rows: the OutboundItem columns but outbound_id)."""
    assert written.interchange_control_number is not None
    row = pm.OutboundFile(
        kind=written.kind,
        interchange_control_number=written.interchange_control_number,
        sha256=hashlib.sha256(written.text.encode()).hexdigest(),
        file_name=file_name[-300:],
        content=written.text,
        created_on=as_of,
        item_count=len(rows),
    )
    session.add(row)
    session.flush()
    session.add_all(pm.OutboundItem(outbound_id=row.id, **r) for r in rows)
    session.flush()
    return row


def sha_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def register_inbound(
    session: Session,
    text: str,
    name: str,
    kind: str,
    *,
    as_of: dt.date,
    status: str = "applied",
    detail: str = "",
    run_id: int | None = None,
) -> pm.InboundFile:
    """The inbound file's row; AlreadyApplied when a file of the same content was."""
    sha = sha_of(text)
    before = session.scalar(select(pm.InboundFile).where(pm.InboundFile.sha256 == sha))
    if before is not None:
        raise _already(name, before)
    row = pm.InboundFile(
        sha256=sha,
        name=name[-300:],
        kind=kind,
        status=status,
        detail=detail,
        received_on=as_of,
        run_id=run_id,
        content=text,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise _already(name, None) from None
    return row


def _already(name: str, before: pm.InboundFile | None) -> AlreadyApplied:
    on, row = (before.received_on, before.id) if before else (None, None)
    return AlreadyApplied(name, "file", "inbound file", on, row)
