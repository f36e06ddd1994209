"""The earlier payers' loops a next-payer claim's version stores (claim_versions.cob_loops,
ptbill.ledger.cob_loops) are the loops submit would make from the decisions: the pinned
scenario of tests/ledger/test_secondary_golden.py gives the same 837Ps and rows, byte for
byte, when no version stores its loops (submit reads and balances the decisions again)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from ptbill.config.profiles import Config
from ptbill.ledger import cob_loops
from ptbill.ledger import models as m
from ptbill.ledger.db import Ledger
from tests.ledger.test_secondary_golden import GOLDEN, scenario


def _stored(ledger: Ledger) -> dict[str, bool]:
    """Whether each next-payer claim's current version stores its loops, by claim number."""
    with ledger.transaction() as s:
        rows = s.execute(
            select(m.Claim.claim_number, m.ClaimVersion.cob_loops)
            .join(
                m.ClaimVersion,
                (m.ClaimVersion.claim_id == m.Claim.id)
                & (m.ClaimVersion.version == m.Claim.version),
            )
            .where(m.Claim.sequence > 1)
        ).all()
    return {number: loops is not None for number, loops in rows}


def test_the_stored_loops_are_the_ones_submit_makes_from_the_decisions(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    assert scenario(ledger, config, tmp_path) == GOLDEN.read_text(encoding="utf-8")
    assert _stored(ledger) == {
        "V-1-S": True,  # made and sent with the loops it stored
        "V-2-S": True,
        "V-3-S": True,
        "V-3-T": True,
        "V-4-S": False,  # crossed over: never written
        "V-5-S": False,  # its decision changed before it was sent: made again at submit
        "V-6-S": False,  # the replacement: a version of its own, made at submit
    }


def test_without_stored_loops_the_837ps_are_the_same(
    ledger: Ledger, config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cob_loops.Encoder, "__call__", lambda self, others, lines: None)
    assert scenario(ledger, config, tmp_path) == GOLDEN.read_text(encoding="utf-8")
    assert not any(_stored(ledger).values())
