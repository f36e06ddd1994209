"""The 270 eligibility inquiries and 276 claim status requests the ledger wrote (its
`outbound_files`), for the workbench and the API.

A caller of some clinics sees a file only when every patient it asks about is of those
clinics (a file the command line wrote for several clinics is a company admin's): a count or
a download could otherwise tell them about another clinic's patients.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, func, select, true
from sqlalchemy.orm import Session, defer

from ptbill.ledger import payer_models as pm
from ptbill.ledger.scope import Scope
from ptbill.web.problems import NotFound
from ptbill.web.queries.common import PAGE, paged


def _seen(scope: Scope) -> ColumnElement[bool]:
    if scope.everything:
        return true()
    item = pm.OutboundItem
    of_this = item.outbound_id == pm.OutboundFile.id
    outside = item.patient_id.is_(None) | ~scope.patient_ids(item.patient_id)
    return exists(select(item.id).where(of_this)) & ~exists(select(item.id).where(of_this, outside))


def _row(f: pm.OutboundFile, sent: bool) -> dict[str, Any]:
    return {
        "id": f.id,
        "kind": f.kind,
        "interchange_control_number": f.interchange_control_number,
        "created_on": f.created_on,
        "file_name": download_name(f),
        "item_count": f.item_count,
        "sent": sent,
    }


def download_name(f: pm.OutboundFile) -> str:
    return f"{f.kind}-{f.interchange_control_number:09d}.{f.kind}"


def list_inquiries(
    session: Session, scope: Scope, *, limit: int = PAGE, offset: int = 0
) -> dict[str, Any]:
    """The 270s and 276s written, the newest first; `sent`: uploaded by an exchange run."""
    seen = _seen(scope)
    total = session.scalar(select(func.count()).select_from(pm.OutboundFile).where(seen)) or 0
    sent = exists(select(pm.Upload.id).where(pm.Upload.sha256 == pm.OutboundFile.sha256))
    rows = session.execute(
        select(pm.OutboundFile, sent)
        .options(defer(pm.OutboundFile.content))  # the text is read by its download alone
        .where(seen)
        .order_by(pm.OutboundFile.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return paged(
        "inquiries", [_row(f, s) for f, s in rows], limit=limit, offset=offset, total=total
    )


def inquiry_text(session: Session, scope: Scope, inquiry_id: int) -> tuple[str, str]:
    """(download name, the X12 text as written) of one 270 or 276."""
    f = session.scalar(
        select(pm.OutboundFile).where(pm.OutboundFile.id == inquiry_id, _seen(scope))
    )
    if f is None:
        raise NotFound("inquiry", inquiry_id)
    return download_name(f), f.content
