"""NCCI procedure-to-procedure edits and the distinct-service modifiers that bypass them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ptbill.coding.modifiers import DISTINCT_MODIFIERS, X_BY_KIND, NcciHit, distinct_evidence
from ptbill.domain.coded import CodedLine
from ptbill.reference.ncci import PtpTable
from ptbill.scrub.findings import Hit, Severity
from ptbill.scrub.params import NoParams, Params, param
from ptbill.scrub.registry import rule
from ptbill.scrub.review import Needs, Review
from ptbill.scrub.rules._evaluations import said_by_evaluation_rules
from ptbill.scrub.rules._text import listing

KIND_OF_X = {mod: kind for kind, mod in X_BY_KIND.items()}


def _distinct(line: CodedLine) -> list[str]:
    return [m for m in line.modifiers if m in DISTINCT_MODIFIERS]


def _source(table: PtpTable) -> str:
    if table.verified:
        return f"NCCI PTP release {table.release}"
    return f"UNVERIFIED candidate pair ({table.release}; not checked against a CMS PTP file)"


def _edit_text(table: PtpTable, hit: NcciHit) -> str:
    return (
        f"{_source(table)}: {hit.column1}/{hit.column2}, modifier indicator "
        f"{hit.indicator} ({hit.rationale})"
    )


@dataclass(frozen=True, slots=True)
class PtpParams(Params):
    either_code: bool = param(
        False, "a distinct-service modifier on either code of the pair bypasses the edit (M-16)"
    )
    unverified_severity: Severity = param(
        "error", "the severity of findings from a PTP table not checked against a CMS release"
    )


@rule(
    "NCCI-PTP",
    "ncci",
    "error",
    ("M-14", "M-16", "M-17", "MLN1783722", "FCSO-CO236"),
    params=PtpParams,
)
def ncci_ptp(r: Review, p: PtpParams) -> Iterator[Hit]:
    """Two codes billed the same day that an NCCI procedure-to-procedure edit pairs.

    *What it checks*: every PTP edit in effect on the date of service among the billed codes
    (effective date <= date of service <= deletion date; modifier indicator 9 is not in effect),
    from the table the payer profile names (`ncci_table`). Indicator 0: the column-2 code is
    denied whatever the modifiers. Indicator 1: denied unless a distinct-service modifier (59,
    XE, XS, XP, XU) is on the column-2 code, or on either code where the payer accepts that
    (`either_code`, Medicare from 2019-07-01). Findings from an unverified table say so and use
    `unverified_severity`. A pair of two evaluation codes (97161-97164) is left to
    EVAL-MULTIPLE or EVAL-WITH-REEVAL where the payer has them on (E-7): said once.
    *Why payers care*: the column-2 code is denied with CARC 236 (M-14, FCSO-CO236); a modifier
    is allowed only for a distinct service, e.g. a separate time block for two timed therapy
    codes (M-17, MLN1783722); placement rules are M-16.
    *Fails*: 97140 and 97530 on one day with nothing documented as distinct (pair 97140/97530,
    indicator 1).
    *Passes*: the same with `"distinct": {"reason": "separate 15-minute block", "kind":
    "time_block"}` on 97530 (the coder adds XU or 59).
    *Fix*: when the services were distinct, document how (`distinct` or `body_region`) and
    re-code; otherwise remove the column-2 code.
    """
    table, hits = r.ncci
    if table is None:
        return
    severity = None if table.verified else p.unverified_severity
    for hit in hits:
        if r.evaluation_lines and said_by_evaluation_rules(r, hit.column1, hit.column2):
            continue  # two evaluation codes: EVAL-MULTIPLE or EVAL-WITH-REEVAL says it (E-7)
        col1_mods = None  # the distinct-service modifiers on the column-1 code, when needed
        for n, line in r.lines_of(hit.column2):
            if hit.indicator != "0" and not DISTINCT_MODIFIERS.isdisjoint(line.modifiers):
                continue  # the usual case: a distinct-service modifier bypasses the edit
            mods = _distinct(line)
            if col1_mods is None:
                col1_mods = [m for _, x in r.lines_of(hit.column1) for m in _distinct(x)]
            edit = _edit_text(table, hit)
            if hit.indicator == "0":
                yield Hit(
                    f"{edit}: {hit.column2} is denied when billed with {hit.column1} on "
                    f"{r.dos}; no modifier can bypass this edit",
                    f"remove {hit.column2} (or {hit.column1}) from the claim",
                    n,
                    severity,
                    table.release,
                )
            elif not mods and not col1_mods:
                yield Hit(
                    f"{edit}: {hit.column2} will be denied with {hit.column1} on {r.dos}:"
                    " no distinct-service modifier, and nothing documents a separate "
                    "time block, body region or session",
                    f"if {hit.column2} was distinct, document how (services[].distinct or "
                    f"body_region) and re-code; otherwise remove {hit.column2}",
                    n,
                    severity,
                    table.release,
                )
            elif not mods and not p.either_code:
                yield Hit(
                    f"{edit}: the modifier ({listing(col1_mods)}) is on column-1 code "
                    f"{hit.column1}; {r.profile.name} expects it on column-2 code "
                    f"{hit.column2}",
                    f"move {listing(col1_mods)} to {hit.column2}",
                    n,
                    "warning",
                    table.release,
                )


@rule(
    "NCCI-MODIFIER-UNSUPPORTED",
    "ncci",
    "error",
    ("M-15", "M-17", "M-19", "MLN1783722", "WEBPT-59"),
    needs=Needs.DISTINCT,
)
def modifier_unsupported(r: Review, p: NoParams) -> Iterator[Hit]:
    """A distinct-service modifier (59, XE, XS, XP, XU) with nothing documented behind it.

    *What it checks*: every line carrying 59 or an X modifier has documentation of a distinct
    service: `services[].distinct`, or a body region different from its NCCI partner's. An X
    modifier must also match the documented kind (XE session, XS structure, XP practitioner,
    XU time block).
    *Why payers care*: 59 is the modifier auditors target most: it bypasses a pair edit only for
    a service that was truly separate (M-15, M-17, MLN1783722), and a modifier the note does not
    support is recovered on review (WEBPT-59, M-19).
    *Fails*: `{"code": "97530", "minutes": 15, "modifiers": ["59"]}` billed with 97140, no
    `distinct` and no body regions.
    *Passes*: the same with `"distinct": {"reason": "separate block after manual therapy"}`.
    *Fix*: document why the service was distinct, or remove the modifier (and accept the edit).
    """
    table, hits = r.ncci
    if not r.distinct_lines:
        return  # the usual case: no line claims a distinct service
    release = table.release if table is not None else None
    partners: dict[str, set[str]] = {}
    for hit in hits:
        partners.setdefault(hit.column1, set()).add(hit.column2)
        partners.setdefault(hit.column2, set()).add(hit.column1)
    for n, line in r.distinct_lines:
        mods = _distinct(line)
        regions: list[str | None] | None = None  # the partners' body regions, once needed
        evidence = None
        for s in r.services_of(line):
            # A documented distinct reason is evidence whatever the partners' regions.
            evidence = evidence or distinct_evidence(s.distinct, s.body_region, None)
            if evidence is None and regions is None:
                others = partners.get(line.code) or {c for c in r.billed_codes if c != line.code}
                regions = [
                    o.body_region
                    for code in others
                    for _, x in r.lines_of(code)
                    for o in r.services_of(x)
                ]
            for region in regions or [None]:
                evidence = evidence or distinct_evidence(s.distinct, s.body_region, region)
        if evidence is None:
            yield Hit(
                f"{listing(mods)} on {line.code} claims a distinct service, but nothing "
                "documents one (no distinct reason, no separate body region)",
                f"document why {line.code} was distinct (services[].distinct), or remove "
                f"{listing(mods)}",
                n,
                data_release=release,
            )
            continue
        for mod in mods:
            kind = KIND_OF_X.get(mod)
            if kind and evidence.kind and evidence.kind != kind:
                yield Hit(
                    f"{mod} on {line.code} means a separate {kind.replace('_', ' ')}, but "
                    f"the documentation says {evidence.kind.replace('_', ' ')}",
                    f"use {X_BY_KIND[evidence.kind]} (or 59) on {line.code}",
                    n,
                    "warning",
                    release,
                )
