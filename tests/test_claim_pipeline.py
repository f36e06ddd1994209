"""prepare_claim gives what the three steps give when called one after the other with the same
inputs, with or without a run's price memo, and reads the reference data of its context only."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ptbill.claim_pipeline import code_claim, prepare_claim
from ptbill.coding import code_visit, resolve
from ptbill.config import load_config
from ptbill.demo.generator import generate
from ptbill.domain.visit import Visit
from ptbill.pricing import price_visit
from ptbill.pricing.memo import PriceMemo
from ptbill.reference.catalog import catalog
from ptbill.reference.importers.fees import import_fee_schedule
from ptbill.reference.snapshot import take_snapshot
from ptbill.scrub import Batch, scrub_visit

AS_OF = dt.date(2025, 4, 1)


def _visits(n: int) -> list[Visit]:
    return [Visit.model_validate(v) for v in generate(n, 3, start=dt.date(2025, 3, 3), days=5)]


def _contract_folder(tmp_path: Path) -> Path:
    """A data folder with a contract for each fee-schedule payer of the demo clinic."""
    folder, fees = tmp_path / "data", tmp_path / "fees.csv"
    fees.write_text("code,modifier,allowed\n" + "".join(f"{c},,45.00\n" for c in sorted(catalog())))
    for key, profile in load_config().payers.items():
        if profile.pricing == "fee_schedule":
            import_fee_schedule(folder, key, fees)
    return folder


def test_the_claim_is_the_three_steps_with_the_same_inputs(tmp_path: Path) -> None:
    config = load_config().with_reference(take_snapshot(_contract_folder(tmp_path)))
    visits = _visits(300)
    batch = Batch(visits)
    memo: PriceMemo[None] = PriceMemo(AS_OF)
    for v in visits:
        ctx = resolve(v, config, "test")
        coded = code_visit(v, ctx.profile, ctx.chargemaster, ctx.locality, ctx.reference)
        scrub = scrub_visit(v, coded, ctx, AS_OF, batch=batch)
        priced = price_visit(
            coded, ctx.profile, ctx.billing_provider, as_of=AS_OF, reference=ctx.reference
        )
        claim = prepare_claim(v, ctx, AS_OF, batch=batch)
        assert (claim.coded, claim.scrub, claim.priced) == (coded, scrub, priced)
        memoised = prepare_claim(v, ctx, AS_OF, batch=batch, memo=memo)
        assert (memoised.coded, memoised.scrub, memoised.priced) == (coded, scrub, priced)
        assert code_claim(v, ctx) == coded
    assert memo.hits > 0
    # The contracts of the snapshot priced the fee-schedule payers' visits.
    commercial = next(v for v in visits if v.payer == "commercial")
    claim = prepare_claim(commercial, resolve(commercial, config, "test"), AS_OF)
    assert claim.priced.complete
    assert claim.priced.lines[0].source.startswith("fee schedule fees (fees.csv")


def test_without_as_of_it_prices_from_every_release_and_scrubs_as_of_the_visit(
    tmp_path: Path,
) -> None:
    folder = _contract_folder(tmp_path)
    config = load_config().with_reference(take_snapshot(folder))
    v = next(v for v in _visits(60) if v.payer == "commercial")
    ctx = resolve(v, config, "test")
    claim = prepare_claim(v, ctx, None)
    coded = code_claim(v, ctx)
    assert claim.priced == price_visit(
        coded, ctx.profile, ctx.billing_provider, reference=ctx.reference
    )
    assert claim.scrub == scrub_visit(v, coded, ctx, v.date_of_service)


def test_the_context_is_all_it_reads(tmp_path: Path) -> None:
    # A Medicaid visit over the bundled data only: no contract (the demo clinic configures
    # none for Medicaid), so its lines stay unpriced; over the snapshot, the imported one.
    folder = _contract_folder(tmp_path)
    v = next(v for v in _visits(60) if v.payer == "medicaid")
    bundled = prepare_claim(v, resolve(v, load_config(), "test"), AS_OF)
    assert not bundled.priced.complete
    with_contracts = load_config().with_reference(take_snapshot(folder))
    assert prepare_claim(v, resolve(v, with_contracts, "test"), AS_OF).priced.complete
