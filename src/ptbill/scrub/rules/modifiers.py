"""Modifiers: distinct-service modifier misuse, discipline modifiers, and the four-modifier
limit of an 837P line."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from ptbill.coding.modifiers import DISTINCT_MODIFIERS
from ptbill.scrub.findings import Hit
from ptbill.scrub.params import NoParams, Params, param
from ptbill.scrub.registry import rule
from ptbill.scrub.review import Needs, Review
from ptbill.scrub.rules._text import listing

X_MODIFIERS = frozenset({"XE", "XS", "XP", "XU"})
DISCIPLINES = {
    "GP": "physical therapy",
    "GO": "occupational therapy",
    "GN": "speech-language pathology",
}


@lru_cache(maxsize=1024)  # a line's modifiers come in few combinations
def _disciplines(modifiers: tuple[str, ...]) -> tuple[str, ...]:
    """The discipline modifiers (GP, GO, GN) among a line's modifiers, in order."""
    return tuple(m for m in modifiers if m in DISCIPLINES)


@rule(
    "MOD-DISTINCT-NO-EDIT",
    "modifier",
    "warning",
    ("M-14", "M-19", "CAHABA-59", "DENIALGUIDE-236"),
    needs=Needs.DISTINCT,
)
def distinct_no_edit(r: Review, p: NoParams) -> Iterator[Hit]:
    """A distinct-service modifier on a code that no PTP edit of the day pairs.

    *What it checks*: a line with 59 or an X modifier has a partner code in an NCCI PTP edit in
    effect that day (in the payer's table).
    *Why payers care*: 59/X exist only to bypass a pair edit (M-14); used without one, or to
    repeat the same code, they are misuse and an audit flag (M-19, CAHABA-59).
    *Fails*: `{"code": "97110", "minutes": 24, "modifiers": ["59"]}` as the only code.
    *Passes*: the same line without 59.
    *Fix*: remove the modifier; when the payer's PTP table lacks a real pair, import the
    current CMS table (`ptbill reference import ncci-ptp`).
    """
    table, hits = r.ncci
    if not r.distinct_lines:
        return  # the usual case: no line carries 59 or an X modifier
    paired = {c for h in hits for c in (h.column1, h.column2)}
    release = table.release if table is not None else "no PTP table (ncci_table = none)"
    for n, line in r.distinct_lines:
        mods = [m for m in line.modifiers if m in DISTINCT_MODIFIERS]
        if line.code not in paired:
            yield Hit(
                f"{listing(mods)} on {line.code}, but no PTP edit pairs {line.code} with "
                f"another code billed on {r.dos} ({release})",
                f"remove {listing(mods)} from {line.code}",
                n,
                data_release=table.release if table is not None else None,
            )


@rule(
    "MOD-59-WITH-X",
    "modifier",
    "error",
    ("M-15", "MLN1783722", "HMSA-X", "MODA-X"),
    needs=Needs.DISTINCT,
)
def mod_59_with_x(r: Review, p: NoParams) -> Iterator[Hit]:
    """Modifier 59 and an X{EPSU} modifier on the same line.

    *What it checks*: no line carries both 59 and one of XE, XS, XP, XU.
    *Why payers care*: the X modifiers are the specific subset of 59; both together are
    contradictory and payers reject the line (M-15, MLN1783722, HMSA-X).
    *Fails*: `"modifiers": ["59", "XU"]` on 97530.
    *Passes*: `"modifiers": ["XU"]`.
    *Fix*: keep the X modifier that names the reason and drop 59.
    """
    for n, line in r.billed:
        if "59" not in line.modifiers:
            continue
        xs = [m for m in line.modifiers if m in X_MODIFIERS]
        if xs:
            yield Hit(
                f"{line.code} carries 59 together with {listing(xs)}",
                f"keep {xs[0]} and remove 59 from {line.code}",
                n,
            )


@dataclass(frozen=True, slots=True)
class TooManyParams(Params):
    limit: int = param(4, "the most modifiers one claim line carries")


@rule("MOD-TOO-MANY", "modifier", "error", ("C-12", "X12-837P-SV101"), params=TooManyParams)
def too_many(r: Review, p: TooManyParams) -> Iterator[Hit]:
    """A line with more modifiers than the 837P line can carry.

    *What it checks*: each line has at most `limit` (4) modifiers.
    *Why payers care*: the 837P service line (SV101-3..6) holds four modifiers; a fifth is lost
    or the claim is rejected, and GP, CQ, KX and a distinct modifier already make four (C-12).
    *Fails*: GP, CQ, XU, KX and a requested 76 on one line.
    *Passes*: the same without 76.
    *Fix*: remove the modifier the payer needs least (never GP, CQ or KX when they apply).
    """
    limit = p.limit
    for n, line in r.billed:
        if len(line.modifiers) > limit:
            yield Hit(
                f"{line.code} carries {len(line.modifiers)} modifiers "
                f"({' '.join(line.modifiers)}); a claim line holds {p.limit}",
                "remove the least necessary modifier",
                n,
            )


@rule("MOD-DUPLICATE", "modifier", "error", ("C-12", "X12-837P-SV101"))
def duplicate_modifier(r: Review, p: NoParams) -> Iterator[Hit]:
    """The same modifier twice on one line.

    *What it checks*: no modifier appears more than once on a billed line.
    *Why payers care*: each modifier position of the 837P line (SV101-3..6) holds a different
    modifier (C-12); a repeated one wastes a position, can push a needed modifier off the
    line, and front-end edits reject it.
    *Fails*: a coded 97164 line with modifiers GP XU XU.
    *Passes*: the same line with modifiers GP XU.
    *Fix*: list each modifier once (re-code the visit; report the coding defect).
    """
    for n, line in r.billed:
        if len(set(line.modifiers)) == len(line.modifiers):
            continue  # the usual line: no modifier twice
        repeated = sorted({m for m in line.modifiers if line.modifiers.count(m) > 1})
        if repeated:
            yield Hit(
                f"{line.code} carries "
                + listing(f"{m} {line.modifiers.count(m)} times" for m in repeated)
                + f" ({' '.join(line.modifiers)})",
                "list each modifier once",
                n,
            )


@rule("MOD-DISCIPLINE-CONFLICT", "modifier", "error", ("M-1", "M-2", "C-12"))
def discipline_conflict(r: Review, p: NoParams) -> Iterator[Hit]:
    """A line whose discipline modifier contradicts the plan it is billed under.

    *What it checks*: each line carries at most one of GP, GO, GN, and it is the payer
    profile's discipline modifier (GP for physical therapy).
    *Why payers care*: every therapy line names its plan of care's discipline (M-1); a PT may
    not bill under an OT or SLP plan (M-2), and two discipline modifiers are contradictory.
    *Fails*: `{"code": "97110", "minutes": 24, "modifiers": ["GO"]}` on a PT claim (line GP GO).
    *Passes*: the same without GO.
    *Fix*: bill the service under its own discipline's plan and modifier.
    """
    expected = r.profile.discipline_modifier
    for n, line in r.billed:
        found = _disciplines(line.modifiers)
        if found == (expected,):
            continue  # the usual line: the payer's own discipline modifier, once
        wrong = [m for m in found if expected and m != expected]
        if len(found) > 1 or wrong:
            yield Hit(
                f"{line.code} carries {listing(found)}: "
                f"{listing(DISCIPLINES[m] for m in found)}"
                + (
                    f", but this claim is billed under a {DISCIPLINES.get(expected, '?')} "
                    f"plan ({expected})"
                    if wrong
                    else ""
                ),
                f"keep only {expected or found[0]} on {line.code}",
                n,
            )
