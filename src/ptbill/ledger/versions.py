"""Writing a claim version: its claim_versions row, its billed lines (claim_lines) and the
texts they point to, and the claim's money from it -- the same for the import (a visit's first
version, or an unsubmitted one made again in place) and for `correct` (a replacement).

Each is made from what the ledger stores of a coded, scrubbed and priced visit
(ptbill.ledger.stored.Stored); the caller inserts the rows (in bulk for an import), after
`delete_lines` for a version made again in place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from ptbill.domain.visit import Visit
from ptbill.ledger import models as m
from ptbill.ledger.stored import Stored
from ptbill.ledger.texts import Texts

# The columns of line_rows' rows.
LINE_COLUMNS = (
    "version_id",
    "line_number",
    "date_of_service",
    "control_number",
    "code",
    "modifiers",
    "units",
    "charge",
    "pointers",
    "minutes",
    "assistant_minutes",
    "explanation_text_id",
    "price_status",
    "expected_allowed",
    "expected_payment",
    "expected_patient",
    "price_text_id",
)


def control_number(claim_number: str, version: int, line_number: int) -> str:
    """REF*6R of a line: `CLAIM-N` for the first version (what ptbill.x12 writes by default),
    `CLAIM-vK-N` for version K, so that every version's lines match their own 835 lines."""
    if version == 1:
        return f"{claim_number}-{line_number}"
    return f"{claim_number}-v{version}-{line_number}"


def texts_of(stored: Stored | None) -> Iterator[str | None]:
    """The shared texts (ptbill.ledger.texts) a stored visit's version and lines point to:
    `Texts.store` them before making the rows."""
    assert stored is not None
    yield stored.findings_json
    yield stored.pricing_notes_json
    for x in stored.lines:
        yield x.explanation_json
        yield x.price_json


def version_row(
    claim_pk: int,
    version: int,
    visit: Visit,
    stored: Stored | None,
    texts: Texts,
    on: dt.date,
    reason: str,
) -> dict[str, Any]:
    """The claim_versions row of a claim coded, scrubbed and priced from `visit`, whose
    frequency code and original claim id say what the version replaces."""
    assert stored is not None
    return {
        "claim_id": claim_pk,
        "version": version,
        "frequency_code": visit.frequency_code,
        "original_claim_id": visit.original_claim_id,
        "scrub_status": stored.scrub_status,
        "findings_text_id": texts.id(stored.findings_json),
        "pricing_notes_text_id": texts.id(stored.pricing_notes_json),
        "charge": stored.charge,
        "expected_payment": stored.expected_payment,
        "created_on": on,
        "reason": reason,
    }


def line_rows(
    claim_number: str,
    version: int,
    stored: Stored | None,
    version_id: int,
    dos: dt.date,
    texts: Texts,
) -> list[tuple[Any, ...]]:
    """The claim_lines rows of a claim version (billed lines only, numbered 1..), as values
    in the order of LINE_COLUMNS."""
    assert stored is not None
    return [
        (
            version_id,
            number,
            dos,
            control_number(claim_number, version, number),
            x.code,
            x.modifiers,
            x.units,
            x.charge,
            x.pointers,
            x.minutes,
            x.assistant_minutes,
            texts.id(x.explanation_json),
            x.price_status,
            x.expected_allowed,
            x.expected_payment,
            x.expected_patient,
            texts.id(x.price_json),
        )
        for number, x in enumerate(stored.lines, start=1)
    ]


def delete_lines(session: Session, version_ids: list[int]) -> None:
    """Remove the lines of versions that are made again in place (an unsubmitted claim
    re-imported, a replacement not yet sent corrected again): line_rows makes them anew."""
    session.execute(delete(m.ClaimLine).where(m.ClaimLine.version_id.in_(version_ids)))


def claim_money(stored: Stored | None) -> dict[str, Any]:
    """The claim's charge and expected amounts, from its current version."""
    assert stored is not None
    return {
        "charge": stored.charge,
        "expected_allowed": stored.expected_allowed,
        "expected_payment": stored.expected_payment,
    }


def blocked_items(
    stored: Stored | None, claim_pk: int, number: str, due: dt.date, on: dt.date, source: str
) -> list[dict[str, Any]]:
    """The `blocked` work items of a claim version the scrubber blocked: one per error
    finding, with its rule, due by the timely-filing limit (`due`)."""
    assert stored is not None
    return [
        {
            "claim_id": claim_pk,
            "reference": number,
            "visit_id": number,
            "kind": "blocked",
            "category": f.category,
            "rule": f.rule,
            "carc": None,
            "rarc": None,
            "amount": stored.charge,
            "action": "write_off" if f.category == "timely_filing" else "fix_and_reimport",
            "detail": f"{f.rule}: {f.message}. Fix: {f.fix}",
            "due_date": due,
            "status": "open",
            "created_on": on,
            "closed_on": None,
            "resolution": None,
            "source": source,
        }
        for f in stored.blockers
    ]
