"""Builders shared by the X12 tests: claims from test visits, and written 837Ps that pyx12 has
validated (every 837P the tests write goes through `write`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from ptbill.coding import resolve
from ptbill.config import load_config
from ptbill.domain.coded import CodedLine, CodedVisit
from ptbill.x12.claim import Claim, claim_from_visit
from ptbill.x12.envelope import InterchangeSettings
from ptbill.x12.tokenizer import split_text
from ptbill.x12.writer_837p import Receiver, write_837p
from tests.factories import visit
from tests.x12.pyx12_check import assert_valid

DATA = Path(__file__).parent / "data"
SETTINGS = InterchangeSettings(
    sender_id="ELMST001",
    receiver_id="CLEARHOUSE",
    interchange_control_number=17,
    group_control_number=17,
    created=dt.datetime(2026, 3, 5, 10, 30),
)
RECEIVER = Receiver("ACME CLEARINGHOUSE", "CLEARHOUSE")


def submitter() -> Any:
    return load_config().clinic("elm-street-pt").submitter


def line(
    code: str,
    units: int,
    charge: str,
    modifiers: tuple[str, ...] = ("GP",),
    pointers: tuple[int, ...] = (1,),
) -> CodedLine:
    return CodedLine(
        code=code,
        units=units,
        modifiers=modifiers,
        diagnosis_pointers=pointers,
        minutes=None,
        assistant_minutes=0,
        charge=Decimal(charge),
        services=(0,),
        explanation=(),
    )


def claim(*lines: CodedLine, **overrides: Any) -> Claim:
    """The claim for the factories' test visit (overridden as given), with these coded lines."""
    v = visit({"code": "97110", "minutes": 30}, **overrides)
    ctx = resolve(v, load_config(), "test")
    coded = CodedVisit(
        visit_id=v.visit_id,
        date_of_service=v.date_of_service,
        payer=v.payer,
        unit_method="cms",
        total_timed_minutes=0,
        timed_units=0,
        lines=lines or (line("97110", 2, "96.00"),),
    )
    return claim_from_visit(v, coded, ctx, "test")


def write_text(*claims: Claim, **kwargs: Any) -> str:
    """An 837P of these claims, asserted valid by pyx12."""
    return assert_valid(write_837p(list(claims), SETTINGS, submitter(), RECEIVER, **kwargs))


def write(*claims: Claim, **kwargs: Any) -> list[list[str]]:
    """The segments of a pyx12-validated 837P of these claims."""
    return split_text(write_text(*claims, **kwargs))


def find(segments: list[list[str]], sid: str, *qualifiers: str) -> list[list[str]]:
    """The segments with this id whose first elements are these qualifiers."""
    n = len(qualifiers)
    return [s for s in segments if s[0] == sid and s[1 : 1 + n] == list(qualifiers)]


def joined(segments: list[list[str]]) -> list[str]:
    return ["*".join(s) for s in segments]
