"""Shared texts: each distinct text is one row, found again by its hash once the run's memory
of it is gone."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ptbill.ledger import models as m
from ptbill.ledger import texts as shared
from ptbill.ledger.bulk import Bulk
from ptbill.ledger.db import Ledger


def test_a_text_is_stored_once_across_runs_and_forgotten_memory(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shared, "_KEPT_CHARS", 10)  # forget after every store
    with Ledger(db_url) as ledger:
        with ledger.transaction() as s:
            texts = shared.Texts(s, Bulk(s))
            texts.store(['["a"]', '["b"]', '["a"]', None])
            first = (texts.id('["a"]'), texts.id('["b"]'), texts.id(None))
            texts.store(['["b"]', '["c"]'])  # the memory is cleared first: found by hash
            assert texts.id('["b"]') == first[1]
        with ledger.transaction() as s:  # another run: found by hash
            again = shared.Texts(s, Bulk(s))
            again.store(['["a"]', '["c"]'])
            assert again.id('["a"]') == first[0] and first[2] is None
            rows = s.execute(select(m.StoredText.body, func.count()).group_by(m.StoredText.body))
            assert sorted(rows) == [('["a"]', 1), ('["b"]', 1), ('["c"]', 1)]
