"""The claim lifecycle: allowed moves, refused moves, and an audit row for every move."""

from __future__ import annotations

import pytest

from ptbill.ledger.states import TRANSITIONS, IllegalTransition, State, allowed, check

S = State


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (S.DRAFT, S.READY),
        (S.DRAFT, S.BLOCKED),
        (S.READY, S.SUBMITTED),
        (S.SUBMITTED, S.ACCEPTED),
        (S.SUBMITTED, S.REJECTED),
        (S.ACCEPTED, S.PAID),
        (S.ACCEPTED, S.PARTIALLY_PAID),
        (S.ACCEPTED, S.DENIED),
        (S.DENIED, S.CORRECTED),
        (S.DENIED, S.APPEALED),
        (S.DENIED, S.WRITTEN_OFF),
        (S.WRITTEN_OFF, S.CLOSED),
        (S.PAID, S.CLOSED),
        (S.CORRECTED, S.SUBMITTED),
        (S.REJECTED, S.CORRECTED),
        (S.PAID, S.ACCEPTED),  # a reversal
    ],
)
def test_the_lifecycle_allows(a: State, b: State) -> None:
    assert allowed(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (S.DRAFT, S.SUBMITTED),
        (S.BLOCKED, S.SUBMITTED),
        (S.READY, S.PAID),
        (S.SUBMITTED, S.CORRECTED),
        (S.CLOSED, S.PAID),
        (S.WRITTEN_OFF, S.SUBMITTED),
        (S.REJECTED, S.PAID),
        (S.APPEALED, S.APPEALED),
        (S.CLOSED, S.WRITTEN_OFF),
    ],
)
def test_the_lifecycle_refuses(a: State, b: State) -> None:
    assert not allowed(a, b)
    with pytest.raises(IllegalTransition) as e:
        check("V-1", a, b, "this test")
    assert "does not allow" in e.value.render()


def test_a_new_claim_starts_as_draft() -> None:
    assert allowed(None, S.DRAFT) and not allowed(None, S.READY)


def test_every_state_is_reachable_from_draft() -> None:
    seen, todo = {S.DRAFT}, [S.DRAFT]
    while todo:
        for nxt in TRANSITIONS[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    assert seen == set(State)
