"""Medically Unlikely Edits: units of a code per patient per day, with MAI semantics."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ptbill.reference.mue import MAI_MEANING, MueTable, mue_table
from ptbill.scrub.findings import Hit
from ptbill.scrub.params import Params, param
from ptbill.scrub.registry import rule
from ptbill.scrub.review import Review
from ptbill.scrub.rules._text import units


def _table(r: Review, name: str) -> MueTable:
    """The named MUE table of the visit's reference snapshot, looked up once per run."""
    if r.batch is None:
        return mue_table(name, r.ctx.reference)
    key = ("mue_table", r.ctx.reference.key, name)
    found = r.batch.memo.get(key)
    if found is None:
        found = r.batch.memo[key] = mue_table(name, r.ctx.reference)
    return found  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class MueParams(Params):
    table: str = param(
        "catalog", "the MUE table: catalog (the code catalog's values) or an imported release"
    )


@rule("MUE-UNITS", "mue", "error", ("R-2", "C-11", "SOURCES.md §1b"), params=MueParams)
def mue_units(r: Review, p: MueParams) -> Iterator[Hit]:
    """Units of a code over its Medically Unlikely Edit for the day.

    *What it checks*: the units of each code against the practitioner MUE of the table named by
    `table` (`catalog`: the code catalog's values, or an imported CMS release such as
    `mue-2026q3`). The MUE Adjudication Indicator decides how: MAI 1 tests each line on its
    own; MAI 2 (policy) and MAI 3 (clinical) test the sum of the code's units on the date of
    service, across its lines (CQ and non-CQ lines of one code count together).
    *Why payers care*: units over the MUE are denied (CARC 151 family, R-2); MAI 2 limits are
    absolute, MAI 3 limits may be paid on appeal with records. MUE 0 means the payer allows no
    units of the code from a practitioner.
    *Fails*: `{"code": "97035", "minutes": 45}` (3 units; MUE 2, MAI 3).
    *Passes*: `{"code": "97035", "minutes": 30}` (2 units).
    *Fix*: bill no more than the MUE; if more was truly medically necessary (MAI 3), bill the
    MUE and appeal the rest with the records.
    """
    table = _table(r, p.table)
    by_code: dict[str, list[tuple[int, int]]] = {}
    for n, line in r.billed:
        by_code.setdefault(line.code, []).append((n, line.units))
    for code, numbered in by_code.items():
        entry = table.get(code)
        if entry is None:
            continue
        # MAI 1 tests each line; MAI 2 and 3 the code's units of the day (on its first line).
        if entry.mai == 1 or len(numbered) == 1:
            groups = numbered
        else:
            groups = [(numbered[0][0], sum(u for _, u in numbered))]
        for n, total in groups:
            if total <= entry.value:
                continue  # the usual case: within the MUE
            release = table.release_for(code)
            meaning = MAI_MEANING.get(entry.mai or 0, "no adjudication indicator")
            appeal = (
                "; a clinical limit may be paid on appeal with records"
                if entry.mai == 3
                else "; a policy limit cannot be exceeded"
                if entry.mai == 2
                else ""
            )
            if entry.value == 0:
                yield Hit(
                    f"{code}: MUE 0 ({release}): no units of {code} are allowed from a "
                    f"practitioner, {units(total)} billed for {r.dos}",
                    f"remove {code} from the claim",
                    n,
                    data_release=release,
                )
            else:
                yield Hit(
                    f"{code}: {units(total)} billed for {r.dos}, over its MUE of "
                    f"{entry.value} (MAI {entry.mai}, {meaning}){appeal}",
                    f"bill at most {entry.value} of {code} for the day"
                    + (" and appeal the rest with the records" if entry.mai == 3 else ""),
                    n,
                    data_release=release,
                )
