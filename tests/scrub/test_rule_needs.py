"""Rules registered with `needs` are skipped for a visit that has none of what they need
(ptbill.scrub.review.Needs): each of them must then find nothing. Every such rule is run here
on varied visits (tests/scrub/test_scrub_equivalence.py's), with duplicates in the run and the
patient's prior claims, and on every visit that lacks what it needs it must be silent."""

from __future__ import annotations

import datetime as dt

import pytest

from ptbill.claim_pipeline import code_claim
from ptbill.config import load_config
from ptbill.domain import Visit
from ptbill.ledger.prepare import Contexts
from ptbill.scrub import RULES, Batch, active_rules, scrub_visit
from ptbill.scrub.review import Needs, Review
from tests.scrub.test_scrub_equivalence import visits

AS_OF = dt.date(2025, 3, 31)
NEEDING = [r for r in RULES.values() if r.needs]


@pytest.fixture(scope="module")
def reviews() -> list[Review]:
    contexts = Contexts(load_config(None))
    made = [Visit.model_validate(v) for v in visits(1500, 5)]
    run = [*made, *made[:40]]  # copies in the run: DUP-IN-BATCH has something to find
    batch = Batch(run)
    out = []
    for i, v in enumerate(run):
        ctx = contexts.of(v, "test")
        coded = code_claim(v, ctx)
        history = [code_claim(x, ctx) for x in run[max(0, i - 3) : i]] if i % 3 == 0 else None
        out.append(Review(v, coded, ctx, AS_OF, history, batch if i % 2 else Batch(())))
    return out


def test_every_bit_is_used() -> None:
    bits = [v for k, v in vars(Needs).items() if k.isupper()]
    assert sorted(bits) == [1 << i for i in range(len(bits))]
    assert {r.needs for r in NEEDING} == set(bits)


@pytest.mark.parametrize("rule", NEEDING, ids=lambda r: r.id)
def test_a_rule_finds_nothing_without_what_it_needs(reviews: list[Review], rule: object) -> None:
    r = RULES[rule.id]  # type: ignore[attr-defined]
    without = 0
    for review in reviews:
        active = {a.rule.id: a for a in active_rules(review.profile)}
        params = active[r.id].params if r.id in active else r.defaults
        found = list(r.check(review, params))
        if not review.has & r.needs:
            without += 1
            assert not found, (review.visit.visit_id, found)
    assert without >= 20  # the rule was run where it is skipped


def test_the_engine_skips_only_what_finds_nothing(reviews: list[Review]) -> None:
    """Every rule run on each review (skipping none) finds what scrub_visit finds."""
    for review in reviews[::7]:
        every = [
            a.finding(hit).rule
            for a in active_rules(review.profile)
            for hit in a.check(review, a.params)
        ]
        result = scrub_visit(
            review.visit, review.coded, review.ctx, AS_OF, review.history, review.batch
        )
        assert [f.rule for f in result.findings] == every
