"""Get-or-create for the reference rows visits point to (clinics, payers, providers, patients,
coverages, plans of care, authorizations), in bulk: one query for the keys a batch of visits
names that the run has not seen yet, one multi-row insert for the new ones."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select, tuple_, update
from sqlalchemy.orm import Session

from ptbill.ledger.bulk import Bulk
from ptbill.ledger.models import Base

Key = tuple[Any, ...]
_CHUNK = 500


class Refs:
    """Caches key -> id per table for one run (a run is one transaction)."""

    def __init__(self, session: Session, bulk: Bulk) -> None:
        self.session, self.bulk = session, bulk
        self.cache: dict[type[Base], dict[Key, int]] = {}

    def ids(
        self,
        model: type[Base],
        key_cols: Sequence[str],
        keys: Sequence[Key],
        row: Callable[[int], dict[str, Any]],
        refresh: Sequence[str] = (),
    ) -> list[int]:
        """The id of each key (its key_cols values), inserting a row for a key that is new.
        `row(n)` makes the whole row of keys[n]; it is asked only for keys the run has not met
        (a batch's visits name mostly the same clinics, payers and patients). `refresh`
        columns are updated on existing rows the first time the run meets them (payer
        settings)."""
        cache = self.cache.setdefault(model, {})
        wanted: dict[Key, dict[str, Any]] = {}
        for n, k in enumerate(keys):
            if k not in cache and k not in wanted:
                wanted[k] = row(n)
        if wanted:
            self._find(model, key_cols, wanted, cache, refresh)
            new = {k: r for k, r in wanted.items() if k not in cache}
            if new:  # ids allocated ahead (ptbill.ledger.bulk)
                ids = self.bulk.insert(model, list(new.values()), with_ids=True)
                cache.update(zip(new, ids, strict=True))
        return [cache[k] for k in keys]

    def _find(
        self,
        model: type[Base],
        key_cols: Sequence[str],
        wanted: dict[Key, dict],
        cache: dict[Key, int],
        refresh: Sequence[str],
    ) -> None:
        table = model.__table__
        cols = [table.c[c] for c in key_cols]
        items = list(wanted)
        for i in range(0, len(items), _CHUNK):
            part = items[i : i + _CHUNK]
            cond = cols[0].in_([k[0] for k in part]) if len(cols) == 1 else tuple_(*cols).in_(part)
            for row in self.session.execute(select(table.c.id, *cols).where(cond)):
                cache[tuple(row[1:])] = row[0]
        if refresh:
            changes = [
                {"id": cache[k], **{c: r[c] for c in refresh}}
                for k, r in wanted.items()
                if k in cache
            ]
            if changes:
                self.session.execute(update(model), changes)


def bulk_insert(session: Session, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """A Core executemany INSERT (the ORM's bulk path may send one statement per row when it
    wants server defaults back; we never need them)."""
    if rows:
        session.execute(model.__table__.insert(), list(rows))  # type: ignore[attr-defined]
