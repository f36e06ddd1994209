"""An 835's payments and claims in the shape of the interfaces contract, for `ptbill remit
--json` (a list of payments) and `--jsonl` (a claim a line), serialised by orjson.

A hundred thousand claims hold about a million values, so the shaping is kept to one
dictionary per object, built inline (no helper per field), and each amount's text is made
once per Decimal the reader made (`amount`). Writing the text by templates instead of
dictionaries was tried and was slower than orjson; so was passing the reader's adjustments to
orjson as dataclasses with a `default` for the amounts. The output is pinned byte for byte by
tests/cli/test_output_pinned.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from ptbill.x12.remittance import RemittanceAdjustment, RemittanceAdvice, RemittanceClaim

_CENT = Decimal("0.01")


def money(value: Decimal | None) -> Decimal | None:
    """An amount with at least two decimals (17.3 -> 17.30): zeros added, never rounded."""
    if value is None or value.as_tuple().exponent <= -2:  # type: ignore[operator]
        return value
    return value.quantize(_CENT)


# The reader makes one Decimal of each amount text it meets (ptbill.x12.values.MONEY), so a
# file's million amounts are a few thousand objects: each one's text is made once, looked up
# by identity (the entry holds the object, so that its id is not another's while kept).
_TEXTS: dict[int, tuple[Decimal, str]] = {}
_TEXTS_SIZE = 8_192


def amount(value: Decimal | None) -> str | None:
    """`money` as text, for JSON and CSV (as fast as a dictionary look-up: a hundred thousand
    claims hold about a million amounts)."""
    if value is None:
        return None
    known = _TEXTS.get(id(value))
    if known is not None and known[0] is value:
        return known[1]
    text = str(value)
    dot = text.find(".")
    if dot < 0 and "E" not in text:
        text += ".00"
    elif dot >= 0 and len(text) - dot == 2:
        text += "0"
    elif dot < 0 or "E" in text:
        text = str(money(value))
    if len(_TEXTS) >= _TEXTS_SIZE:  # bounded: amounts the reader did not share come and go
        _TEXTS.clear()
    _TEXTS[id(value)] = (value, text)
    return text


def count(value: Decimal | None) -> int | str | None:
    """Units and quantities: a whole number as a number, anything else as a decimal string."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else str(value)


def _adjustments(items: list[RemittanceAdjustment]) -> list[dict[str, Any]]:
    return [
        {
            "group": a.group,
            "reason": a.reason,
            "amount": amount(a.amount),
            "quantity": None if a.quantity is None else count(a.quantity),
        }
        for a in items
    ]


def claim_head(c: RemittanceClaim) -> dict[str, Any]:
    """A claim's own figures (what the JSON and the CSV row share)."""
    return {
        "claim_id": c.claim_id,
        "status": c.status,
        "charge": amount(c.charge),
        "paid": amount(c.paid),
        "patient_responsibility": amount(c.patient_responsibility),
        "payer_claim_control_number": c.payer_claim_control_number or None,
    }


def claim_json(c: RemittanceClaim) -> dict[str, Any]:
    """A claim of a payment in the shape of the interfaces contract."""
    claim = claim_head(c)  # and then, in this order:
    claim["adjustments"] = _adjustments(c.adjustments) if c.adjustments else []
    claim["lines"] = [
        {
            "code": line.code,
            "modifiers": line.modifiers,
            "charge": amount(line.charge),
            "paid": amount(line.paid),
            "units": count(line.units),
            # A line without its own date is dated by the claim's statement period.
            "date_of_service": line.date_of_service or c.statement_start,
            "adjustments": _adjustments(line.adjustments) if line.adjustments else [],
            "remarks": line.remarks,
        }
        for line in c.lines
    ]
    # Added to the contract's keys, last (its order unchanged): the claim-level remark codes
    # (MOA/MIA RARCs, e.g. MA18: forwarded to the secondary), as the CSV and --claims show.
    claim["remarks"] = c.remarks
    return claim


def payment_json(p: RemittanceAdvice) -> dict[str, Any]:
    """A payment in the shape of the interfaces contract, plus its imbalances."""
    return {
        "payer": p.payer,
        "payee_npi": p.payee_npi,
        "trace_number": p.trace_number,
        "payment_date": p.payment_date,
        "amount": amount(p.amount),
        "method": p.method,
        "claims": [claim_json(c) for c in p.claims],
        "provider_adjustments": [
            {"reason": a.reason, "reference": a.reference or None, "amount": amount(a.amount)}
            for a in p.provider_adjustments
        ],
        "imbalances": [
            {
                "level": i.level,
                "claim_id": i.claim_id,
                "line": i.line,
                "expected": amount(i.expected),
                "found": amount(i.found),
                "message": i.message,
            }
            for i in p.imbalances
        ],
    }


def claim_records(p: RemittanceAdvice) -> Iterator[dict[str, Any]]:
    """The payment's claims, each with its payer, trace number and date: --jsonl's objects."""
    payer, trace, day = p.payer, p.trace_number, p.payment_date
    for c in p.claims:
        yield {"payer": payer, "trace_number": trace, "payment_date": day, **claim_json(c)}
