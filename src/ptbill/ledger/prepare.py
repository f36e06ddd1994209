"""The database-free part of an import: what a visit becomes before it is written (its
stored text and hash, its payer context, its coded, scrubbed and priced claim).

A visit whose file leaves out episode context it needs has that context derived from the
ledger's history first (ptbill.ledger.episode).

Worker processes do this part for large imports (ptbill.ledger.precompute).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from ptbill.claim_pipeline import prepare_claim
from ptbill.coding import resolve
from ptbill.coding.context import VisitContext
from ptbill.config.profiles import Config, PayerProfile
from ptbill.domain.coded import CodedVisit
from ptbill.domain.visit import Visit
from ptbill.ledger.stored import PricedPart, Stored, priced_part, stored_of
from ptbill.pricing import PricedVisit
from ptbill.pricing.memo import PriceMemo
from ptbill.scrub import Batch, ScrubResult

# The episode fields the ledger derives when a file leaves them out (ptbill.ledger.episode).
_CONTEXT = frozenset(
    {"plan_of_care", "visit_number", "authorization", "last_progress_report_visit"}
)


@dataclass(slots=True)
class Prepared:
    visit: Visit
    source_json: str
    sha: str
    coded: CodedVisit | None = None
    scrub: ScrubResult | None = None
    priced: PricedVisit | None = None
    stored: Stored | None = None  # what the ledger keeps of the three above


def needs_history(visit: Visit, profile: PayerProfile) -> bool:
    """Whether the visit leaves out episode context the ledger derives from history."""
    e = visit.episode
    if e is None:
        return True
    given = e.model_fields_set
    return not given >= _CONTEXT or (profile.kx_threshold and "therapy_amount_ytd" not in given)


def source_of(visit: Visit) -> tuple[str, str]:
    """The visit as stored (the fields its file set) and that text's sha256."""
    source = visit.model_dump_json(exclude_unset=True)
    return source, hashlib.sha256(source.encode()).hexdigest()


class Contexts:
    """Payer profile and billing provider per (payer, clinic, billing provider), resolved once."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.cache: dict[tuple[str, str | None, str | None], VisitContext] = {}

    def of(self, visit: Visit, origin: str) -> VisitContext:
        bp = visit.billing_provider.model_dump_json() if visit.billing_provider else None
        key = (visit.payer, visit.clinic, bp)
        ctx = self.cache.get(key)
        if ctx is None:
            ctx = self.cache[key] = resolve(visit, self.config, origin)
        return ctx


class Prices(PriceMemo[PricedPart]):
    """An import's pricing memo: each kind of visit priced, and its stored text made, once."""

    def __init__(self, as_of: dt.date) -> None:
        texts: dict[object, str] = {}  # of the distinct priced lines and notes
        super().__init__(as_of, lambda priced: priced_part(priced, texts))

    def of(self, coded: CodedVisit, ctx: VisitContext) -> tuple[PricedVisit, PricedPart]:
        return self.price(coded, ctx.profile, ctx.billing_provider, ctx.reference)


def compute(
    p: Prepared,
    ctx: VisitContext,
    prices: Prices,
    batch: Batch | None,
    history: Sequence[CodedVisit] | None = None,
) -> None:
    """Code (unless done), scrub and price one visit as of the pricing memo's date, and make
    what the ledger stores of it."""
    claim = prepare_claim(p.visit, ctx, prices.as_of, history, batch, memo=prices, coded=p.coded)
    p.coded, p.scrub, p.priced = claim.coded, claim.scrub, claim.priced
    p.stored = stored_of(claim.coded, claim.scrub, claim.priced, claim.derived)
