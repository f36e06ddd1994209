"""The scrubber against the synthetic clinic: every labelled mistake caught (recall 100% per
kind) and no error finding on a clean generated visit (generated_eval.py prints the table)."""

from __future__ import annotations

import pytest

from ptbill.demo.generator import MISTAKE_KINDS
from ptbill.scrub import RULES
from tests.scrub.generated_eval import CATCHES, Evaluation, evaluate


@pytest.fixture(scope="module")
def ev() -> Evaluation:
    return evaluate(6000, 11)


def test_every_kind_maps_to_existing_rules() -> None:
    assert set(CATCHES) == set(MISTAKE_KINDS)
    assert set().union(*CATCHES.values()) <= set(RULES)


def test_every_kind_was_injected(ev: Evaluation) -> None:
    assert all(ev.labelled[k] >= 20 for k in MISTAKE_KINDS), ev.labelled


@pytest.mark.parametrize("kind", MISTAKE_KINDS)
def test_recall_is_complete(ev: Evaluation, kind: str) -> None:
    assert ev.recall(kind) == 1.0, [m for m in ev.missed if m[1] == kind][:5]


def test_no_error_on_clean_generated_visits(ev: Evaluation) -> None:
    assert ev.clean > 3000
    assert not ev.clean_errors, ev.clean_errors
