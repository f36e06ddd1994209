"""Importer for a payer's contracted fee schedule: a CSV with a header row naming the code, an
optional modifier and the allowed amount per unit. One stored release per contract version,
under the kind `fees-<payer key>`.

Accepted header names (any case): code | hcpcs | cpt; modifier | mod; allowed | allowed_amount |
amount | fee | rate. A row whose modifier is blank is the code's amount for any modifier.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from ptbill.errors import InputError
from ptbill.reference import store
from ptbill.reference.importers.pfs import (
    Imported,
    check_release_name,
    csv_text,
    decimal_cell,
    default_release_name,
    read_text,
    save,
)
from ptbill.reference.snapshot import ReferenceSnapshot

FEES_COLUMNS = ("code", "modifier", "allowed")
_NAMES = {
    "code": ("code", "hcpcs", "cpt", "cpt/hcpcs", "procedure_code"),
    "modifier": ("modifier", "mod", "modifier1"),
    "allowed": ("allowed", "allowed_amount", "amount", "fee", "rate", "allowed amount"),
}


def fees_kind(payer: str) -> str:
    return f"fees-{payer}"


def parse_fee_schedule(text: str, origin: str) -> dict[tuple[str, str], Decimal]:
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise InputError(origin, "the file is empty", "a CSV with columns code, modifier, allowed")
    header = [c.strip().lower() for c in rows[0]]
    cols: dict[str, int] = {}
    for column, names in _NAMES.items():
        hits = [i for i, h in enumerate(header) if h in names]
        if hits:
            cols[column] = hits[0]
    if "code" not in cols or "allowed" not in cols:
        raise InputError(
            origin,
            "needs a code column and an allowed "
            f"amount column (found: {', '.join(header) or 'nothing'})",
            "name the columns code, modifier, allowed",
            field="header row",
        )
    out: dict[tuple[str, str], Decimal] = {}
    for number, r in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in r):
            continue
        where = f"row {number}"
        code = r[cols["code"]].strip().upper() if len(r) > cols["code"] else ""
        if len(code) != 5 or not code.isalnum():
            raise InputError(
                origin,
                f"{code!r} is not a 5-character CPT/HCPCS code",
                "write the code as e.g. 97110",
                field=f"{where}, code",
            )
        modifier = (
            r[cols["modifier"]].strip().upper()
            if "modifier" in cols and len(r) > cols["modifier"]
            else ""
        )
        if modifier and (len(modifier) != 2 or not modifier.isalnum()):
            raise InputError(
                origin,
                f"{modifier!r} is not a modifier",
                "write a 2-character modifier or leave it blank",
                field=f"{where}, modifier",
            )
        cell = r[cols["allowed"]] if len(r) > cols["allowed"] else ""
        amount = decimal_cell(cell, origin, where, "allowed")
        if amount is None or amount < 0:
            raise InputError(
                origin,
                "missing or negative amount",
                "write the allowed amount per unit, e.g. 31.50",
                field=f"{where}, allowed",
            )
        if (code, modifier) in out:
            raise InputError(
                origin,
                f"{code} {modifier or '(no modifier)'} appears twice",
                "keep one amount per code and modifier",
                field=where,
            )
        out[(code, modifier)] = amount.quantize(Decimal("0.01"))
    if not out:
        raise InputError(origin, "no fee rows", "add one row per code")
    return out


def import_fee_schedule(
    folder: Path,
    payer: str,
    path: Path,
    release: str | None = None,
    effective: dt.date | None = None,
) -> Imported:
    origin = str(path)
    if not store.RELEASE_NAME.match(payer):
        raise InputError(
            origin,
            f"{payer!r} is not a payer key",
            "use the key of a payer profile, e.g. acme-ppo",
            field="PAYER",
        )
    name = check_release_name(release or default_release_name(path), origin)
    amounts = parse_fee_schedule(read_text(path), origin)
    text = csv_text(
        FEES_COLUMNS,
        ({"code": c, "modifier": m, "allowed": a} for (c, m), a in sorted(amounts.items())),
    )
    return save(
        folder,
        fees_kind(payer),
        name,
        path,
        text,
        {
            "payer": payer,
            "rows": len(amounts),
            "effective": effective.isoformat() if effective else None,
        },
    )


@dataclass(frozen=True)
class FeeSchedule:
    name: str
    payer: str
    effective: dt.date | None
    source_file: str
    amounts: dict[tuple[str, str], Decimal]

    def amount_for(self, code: str, modifiers: Sequence[str]) -> tuple[Decimal, str] | None:
        """The per-unit amount: a row for one of the line's modifiers (in order) first, else
        the code's row without a modifier. Returns the amount and the modifier matched."""
        for m in modifiers:
            if (code, m) in self.amounts:
                return self.amounts[(code, m)], m
        if (code, "") in self.amounts:
            return self.amounts[(code, "")], ""
        return None


def stored_fee_schedules(reference: ReferenceSnapshot, payer: str) -> list[FeeSchedule]:
    return reference.all(fees_kind(payer), _load)


def _load(path: Path) -> FeeSchedule | None:
    found = store.read_release(path)
    if found is None:
        return None
    meta, rows = found
    amounts = {(r["code"], r["modifier"]): Decimal(r["allowed"]) for r in rows}
    effective = meta.get("effective")
    return FeeSchedule(
        path.stem,
        meta.get("payer", ""),
        dt.date.fromisoformat(effective) if effective else None,
        meta.get("source_file", ""),
        amounts,
    )
