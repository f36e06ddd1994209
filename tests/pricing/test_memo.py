"""An import's pricing memo answers exactly what price_visit answers, visit by visit; it shares a
pricing only between visits whose payer, selected reference data and billed lines agree."""

from __future__ import annotations

import dataclasses
import datetime as dt

from ptbill.coding import code_visit, resolve
from ptbill.config import load_config
from ptbill.demo.generator import generate
from ptbill.domain.visit import Visit
from ptbill.pricing import price_visit
from ptbill.pricing.memo import PriceMemo
from ptbill.reference.importers.pfs import import_pfs
from ptbill.reference.snapshot import take_snapshot
from tests.factories import timed
from tests.pricing.conftest import FIXTURES
from tests.pricing.helpers import coded, profile, provider

AS_OF = dt.date(2025, 4, 1)


def _demo(n: int) -> list[tuple[object, ...]]:
    config = load_config()
    out = []
    for raw in generate(n, 7, start=dt.date(2025, 3, 3), days=5):
        v = Visit.model_validate(raw)
        ctx = resolve(v, config, "demo")
        out.append((code_visit(v, ctx.profile, ctx.chargemaster, ctx.locality), ctx))
    return out


def test_every_answer_equals_price_visit_and_alike_visits_share_one_pricing():
    memo: PriceMemo[None] = PriceMemo(AS_OF)
    visits = _demo(600)
    for c, ctx in visits:
        got, _ = memo.price(c, ctx.profile, ctx.billing_provider)
        assert got == price_visit(c, ctx.profile, ctx.billing_provider, as_of=AS_OF)
        assert (got.visit_id, got.date_of_service) == (c.visit_id, c.date_of_service)
    assert memo.hits + memo.misses == len(visits)
    assert memo.hits > 0 and memo.misses > 1  # the demo clinic repeats its combinations


def test_a_kept_size_smaller_than_the_kinds_changes_no_answer():
    memo: PriceMemo[str] = PriceMemo(AS_OF, derive=lambda p: p.visit_id, size=2)
    for c, ctx in _demo(150):
        got, first = memo.price(c, ctx.profile, ctx.billing_provider)
        assert got == price_visit(c, ctx.profile, ctx.billing_provider, as_of=AS_OF)
        assert len(memo._priced) <= 2
        # `derive` ran on the visit that first brought this kind in: its price is the same.
        assert got.lines == memo.price(c, ctx.profile, ctx.billing_provider)[0].lines
        assert isinstance(first, str)


def test_dates_that_select_other_data_are_priced_apart(data_dir):
    # The fixture release takes effect 2026-07-01: a March visit is priced from it with a
    # caveat, an August one without; a 2025 visit from the bundled 2025 RVUs.
    import_pfs(data_dir, FIXTURES / "PPRRVU2026_fixture.csv")
    reference = take_snapshot(data_dir)
    memo: PriceMemo[None] = PriceMemo(dt.date(2026, 12, 31))
    medicare, chicago = profile(), provider("06102-16")
    for dos in ("2026-08-03", "2026-03-02", "2026-08-04", "2025-03-03", "2026-03-03"):
        c = coded(timed("97110", 15), dos=dos)
        got, _ = memo.price(c, medicare, chicago, reference)
        assert got == price_visit(
            c, medicare, chicago, as_of=dt.date(2026, 12, 31), reference=reference
        )
    # March 3 shares March 2's pricing and August 4 August 3's; the other three are new.
    assert (memo.hits, memo.misses) == (2, 3)


def test_visits_priced_from_other_snapshots_are_priced_apart(data_dir):
    # One memo, two snapshots of one folder: before and after a 2025 release is imported.
    # The memo keys on the snapshot, so the second visit is not given the first one's price.
    memo: PriceMemo[None] = PriceMemo(AS_OF)
    medicare, chicago = profile(), provider("06102-16")
    c = coded(timed("97110", 15))
    before = take_snapshot(data_dir)
    import_pfs(data_dir, FIXTURES / "PPRRVU2025_fixture.csv", release="later-release")
    after = take_snapshot(data_dir)
    first, _ = memo.price(c, medicare, chicago, before)
    second, _ = memo.price(c, medicare, chicago, after)
    assert (memo.hits, memo.misses) == (0, 2)
    assert first == price_visit(c, medicare, chicago, as_of=AS_OF, reference=before)
    assert second == price_visit(c, medicare, chicago, as_of=AS_OF, reference=after)


def test_lines_that_differ_in_any_priced_field_are_priced_apart():
    memo: PriceMemo[None] = PriceMemo(AS_OF)
    medicare, chicago = profile(), provider("06102-16")
    base = coded(timed("97110", 38))  # 3 units
    variants = [
        base,
        dataclasses.replace(base, lines=(dataclasses.replace(base.lines[0], units=2),)),
        dataclasses.replace(
            base, lines=(dataclasses.replace(base.lines[0], modifiers=("GP", "CQ")),)
        ),
        dataclasses.replace(base, lines=(dataclasses.replace(base.lines[0], charge=None),)),
    ]
    answers = [memo.price(c, medicare, chicago)[0] for c in variants]
    assert memo.misses == len(variants)
    for c, got in zip(variants, answers, strict=True):
        assert got == price_visit(c, medicare, chicago, as_of=AS_OF)
