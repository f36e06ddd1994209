"""The simulated payer's claim status answers: a 277 (005010X212) for every claim of a 276.

The payer answers from what it knows of each claim (`SimClaimState`, kept by the simulated
mailbox from the 837Ps it adjudicated): paid (F1:65, with the amount and the check or EFT
date), denied (F2:1, see the remittance), still in process when the payment date is after the
day asked (P1:20), and not found (A4:35) for a claim it never took in, rejected ones included.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from ptbill.payer_sim.write import answer_settings
from ptbill.x12.envelope import segment, write_interchange
from ptbill.x12.read_277 import STATUS_RESPONSE as RESPONSE
from ptbill.x12.tokenizer import split_text
from ptbill.x12.values import format_amount, format_date


@dataclass(frozen=True, slots=True)
class SimClaimState:
    status: str  # paid, denied, rejected
    icn: str
    charge: Decimal
    paid: Decimal
    paid_on: dt.date


def _status(state: SimClaimState | None, on: dt.date, charge: str) -> tuple[list[str], str | None]:
    """(the STC elements after STC01 .. , the payer's claim number) for one claim."""
    d8 = format_date(on)
    if state is None or state.status == "rejected":
        return ["A4:35", d8, "", charge], None
    if state.paid_on > on:
        return ["P1:20", d8, "", format_amount(state.charge)], state.icn
    paid_on = format_date(state.paid_on)
    category = "F1:65" if state.status == "paid" else "F2:1"
    return [
        category,
        d8,
        "",
        format_amount(state.charge),
        format_amount(state.paid),
        paid_on,
        "",
        paid_on,
        f"SIM{state.icn[-10:]}",
    ], state.icn


def answer_276(
    text_276: str,
    claims: Mapping[str, SimClaimState],
    *,
    number: int,
    when: dt.date,
) -> str:
    """The 277 answering every claim of a 276, as the payer knows them on `when`."""
    segments = split_text(text_276)
    sender = next((e[6].strip() for e in segments if e[0] == "ISA"), "")
    d8 = format_date(when)
    body = [segment("BHT", "0010", "08", f"SIM{number:09d}", d8, "0800", "DG")]
    st = [i for i, e in enumerate(segments) if e[0] == "ST"]
    se = [i for i, e in enumerate(segments) if e[0] == "SE"]
    claim_id = charge = ""
    pending: list[list[str]] = []
    out_of_claim: list[str] = []

    def flush() -> None:
        nonlocal claim_id, charge
        if not pending:
            return
        trn = pending[0]
        state = claims.get(claim_id)
        stc, icn = _status(state, when, charge)
        body.append(segment("TRN", "2", trn[2]))
        body.append(segment("STC", *stc))
        if icn:
            body.append(segment("REF", "1K", icn))
        body.append(segment("REF", "EJ", claim_id))
        for e in pending[1:]:
            if e[0] == "DTP":
                body.append(segment(*e))
        pending.clear()
        claim_id = charge = ""

    for start, stop in zip(st, se, strict=True):
        for e in segments[start + 2 : stop]:
            sid = e[0]
            if sid in ("TRN", "HL"):
                flush()
            if sid == "HL":
                del out_of_claim[:]
                body.append(segment(*e[:5]) if e[3] != "23" else segment("HL", e[1], e[2], "23"))
            elif sid == "NM1":
                body.append(segment(*e))
            elif sid == "TRN":
                pending.append(e)
            elif pending and sid == "REF" and e[1] == "EJ":
                claim_id = e[2]
            elif pending and sid == "AMT":
                charge = e[2]
            elif pending and sid == "DTP":
                pending.append(e)
        flush()
    return write_interchange(answer_settings(sender, number, when), RESPONSE, [body])
