"""The PT code catalog: timed flag, PFS status, RVUs, MPPR flag and MUE per code.

Values are CMS's (2025 PFS RVU25D, 2026 practitioner MUEs; see data/SOURCES.md); the
descriptions are our own words, never AMA descriptor text. A blank in the data stays None.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from ptbill.reference._csv import bool_or_none, decimal_or_none, int_or_none, rows


@dataclass(frozen=True, slots=True)
class CodeInfo:
    code: str
    description: str
    timed: bool | None
    base_minutes: int | None
    always_therapy: bool | None
    mpfs_status: str | None
    work_rvu: Decimal | None
    nonfacility_pe_rvu: Decimal | None
    facility_pe_rvu: Decimal | None
    mp_rvu: Decimal | None
    mppr_applies: bool | None
    mue: int | None
    mue_mai: int | None
    rvu_year: int | None
    rvu_release: str
    mue_release: str

    @property
    def is_evaluation(self) -> bool:
        return self.code in EVALUATION_CODES

    @property
    def is_reevaluation(self) -> bool:
        return self.code == REEVALUATION_CODE


INITIAL_EVALUATION_CODES = frozenset({"97161", "97162", "97163"})
REEVALUATION_CODE = "97164"
EVALUATION_CODES = INITIAL_EVALUATION_CODES | {REEVALUATION_CODE}


@cache
def catalog() -> dict[str, CodeInfo]:
    out: dict[str, CodeInfo] = {}
    for r in rows("codes.csv"):
        out[r["code"]] = CodeInfo(
            code=r["code"],
            description=r["short_description"],
            timed=bool_or_none(r["timed"]),
            base_minutes=int_or_none(r["base_minutes"]),
            always_therapy=bool_or_none(r["always_therapy"]),
            mpfs_status=r["mpfs_status"].strip() or None,
            work_rvu=decimal_or_none(r["work_rvu"]),
            nonfacility_pe_rvu=decimal_or_none(r["nonfacility_pe_rvu"]),
            facility_pe_rvu=decimal_or_none(r["facility_pe_rvu"]),
            mp_rvu=decimal_or_none(r["mp_rvu"]),
            mppr_applies=bool_or_none(r["mppr_applies"]),
            mue=int_or_none(r["mue_practitioner"]),
            mue_mai=int_or_none(r["mue_mai"]),
            rvu_year=int_or_none(r["source_year"]),
            rvu_release=r["rvu_release"],
            mue_release=r["mue_release"],
        )
    return out


def lookup(code: str) -> CodeInfo | None:
    return catalog().get(code)
