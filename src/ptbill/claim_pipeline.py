"""prepare_claim: a visit made a claim -- coded, scrubbed and priced -- in one call.

Every place that turns a visit into a claim calls it: `ptbill scrub`, `price` and `claim`, the
import (and its worker processes), a correction, the workbench's scrub. So each step gets the
same inputs everywhere: the visit; its context (payer profile, clinic, billing provider and
the run's reference snapshot: ptbill.coding.context); the as-of date; the patient's other
claims of that day (`history`) and the other visits of the run (`batch`), which the duplicate
checks look at. Like the steps, it is a pure function of those inputs: no clock, no
environment, no data folder.

Why a module of its own, outside coding, scrub and pricing: it composes the three, so it
belongs to none of them, and none of them imports it (the coder's KX estimate asks pricing for
one unit's amount, and the scrubber reads the coded claim; neither runs the other steps). The
workflow (ledger, remit) and the edges (cli, web) import it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ptbill.coding import VisitContext, code_visit
from ptbill.domain.coded import CodedVisit
from ptbill.domain.visit import Visit
from ptbill.pricing import PricedVisit, price_visit
from ptbill.pricing.memo import PriceMemo
from ptbill.scrub import Batch, ScrubResult, scrub_visit


@dataclass(frozen=True, slots=True)
class PreparedClaim:
    """A visit's claim: its coded lines, its scrub findings and its expected prices."""

    coded: CodedVisit
    scrub: ScrubResult
    priced: PricedVisit
    # What the run's price memo derives from the pricing (the import's: the ledger's text of
    # it, ptbill.ledger.stored.PricedPart); None without a memo.
    derived: Any = None


def code_claim(visit: Visit, context: VisitContext) -> CodedVisit:
    """The first step alone, for what needs only the coded lines (`ptbill code`, an appeal
    letter's documentation)."""
    return code_visit(
        visit, context.profile, context.chargemaster, context.locality, context.reference
    )


def scrub_claim(
    visit: Visit,
    context: VisitContext,
    as_of: dt.date | None,
    history: Sequence[CodedVisit] | None = None,
    batch: Batch | Iterable[Visit] | None = None,
    *,
    coded: CodedVisit | None = None,
) -> tuple[CodedVisit, ScrubResult]:
    """The first two steps: the visit coded and scrubbed (for what needs no price: `ptbill
    scrub --json`). The arguments are prepare_claim's."""
    if coded is None:
        coded = code_claim(visit, context)
    scrub = scrub_visit(
        visit, coded, context, as_of or visit.date_of_service, history=history, batch=batch
    )
    return coded, scrub


def prepare_claim(
    visit: Visit,
    context: VisitContext,
    as_of: dt.date | None,
    history: Sequence[CodedVisit] | None = None,
    batch: Batch | Iterable[Visit] | None = None,
    *,
    memo: PriceMemo[Any] | None = None,
    coded: CodedVisit | None = None,
) -> PreparedClaim:
    """The visit coded, scrubbed and priced.

    `as_of`: the day the claim would be sent. The scrub works as of that day (timely filing,
    signatures) and pricing leaves out what was published or takes effect after it (PFS
    releases, contracts). None: scrubbed as of the date of service, priced from every release
    of the snapshot (`ptbill price` without --as-of).
    `history`: the patient's other coded claims of the day; `batch`: the run's visits (a
    prebuilt Batch for a run; see scrub_visit).
    `memo`: the run's price memo (ptbill.pricing.memo), made for the same `as_of`: alike
    visits are priced once, and `derived` is what the memo derives of the pricing.
    `coded`: the visit already coded with this context (the importer codes a visit early, to
    derive the patient's next visit from it); coded here when None.
    """
    coded, scrub = scrub_claim(visit, context, as_of, history, batch, coded=coded)
    if memo is None:
        priced = price_visit(
            coded,
            context.profile,
            context.billing_provider,
            as_of=as_of,
            reference=context.reference,
        )
        return PreparedClaim(coded, scrub, priced)
    assert memo.as_of == as_of, "a price memo serves one as-of date"
    priced, derived = memo.price(
        coded, context.profile, context.billing_provider, context.reference
    )
    return PreparedClaim(coded, scrub, priced, derived)
