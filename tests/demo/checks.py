"""The concrete condition of every mistake kind, written out independently of the generator.

`problems(visit, start)` lists every kind whose condition holds for a visit dict; a clean
visit must have none and a mistaken visit exactly its label. Definitions follow the task
(billing-rules.md sections in brackets), not the generator's code.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import cache
from typing import Any

import simple_icd_10_cm as cm

from ptbill.reference.ncci import ptp_table

# MBI: C A AN N A AN N A A N N; C = 1-9, A = a letter but S L O I B Z, N = a digit.
A = "[ACDEFGHJKMNPQRTUVWXY]"
AN = "[ACDEFGHJKMNPQRTUVWXY0-9]"
MBI = re.compile(f"^[1-9]{A}{AN}[0-9]{A}{AN}[0-9]{A}{A}[0-9]{{2}}$")

TIMED = {
    "97110",
    "97112",
    "97113",
    "97116",
    "97124",
    "97140",
    "97530",
    "97535",
    "97750",
    "97032",
    "97033",
    "97034",
    "97035",
    "97036",
}
INITIAL_EVALS = {"97161", "97162", "97163"}
KX_2026 = Decimal("2480")  # billing-rules.md M-4
KX = {2025: Decimal("2410"), 2026: KX_2026}


def luhn_npi_ok(npi: str) -> bool:
    """Standard Luhn validation of 80840 + the 10 digits (the check digit included)."""
    if not re.fullmatch(r"\d{10}", npi):
        return False
    digits = [int(ch) for ch in "80840" + npi]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


@cache
def billable(code: str) -> bool:
    return cm.is_valid_item(code) and cm.is_leaf(code)


def is_external_cause(code: str) -> bool:
    return code[:1] in "VWXY"


def treatment_day(episode: dict[str, Any]) -> int:
    """This visit's treatment day in its progress-report period [D-8]: the first period
    starts on the evaluation (visit 1), the next the visit after each report."""
    last = episode["last_progress_report_visit"]
    return episode["visit_number"] - (last or 0)


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _ncci_not_distinct(visit: dict[str, Any], dos: dt.date) -> bool:
    """An NCCI pair a modifier could bypass, with nothing documenting a distinct service
    (no `distinct` on the column-2 code, no two different body regions) [M-14, M-17]."""
    table = ptp_table("unverified-candidates")
    services = visit["services"]
    for i, a in enumerate(services):
        for b in services[i + 1 :]:
            edit = table.edit_for(a["code"], b["code"], dos)
            if edit is None or edit.modifier_indicator != "1":
                continue
            col2 = a if a["code"] == edit.column2 else b
            col1 = b if col2 is a else a
            regions = col1.get("body_region"), col2.get("body_region")
            if col2.get("distinct") is None and not (all(regions) and regions[0] != regions[1]):
                return True
    return False


def problems(visit: dict[str, Any], start: dt.date) -> set[str]:
    found: set[str] = set()
    dos = _date(visit["date_of_service"])
    medicare = visit["payer"] == "medicare"
    dx = visit["diagnoses"]
    services = visit["services"]
    codes = {s["code"] for s in services}
    ep = visit["episode"]
    poc = ep["plan_of_care"]

    if any(not billable(code) for code in dx):
        found.add("invalid_diagnosis")
    if not dx:
        found.add("no_diagnosis")
    elif is_external_cause(dx[0]):
        found.add("external_cause_first")
    if any(p > len(dx) for s in services for p in s.get("diagnosis_pointers") or []):
        found.add("bad_pointer")
    timed = [s for s in services if s["code"] in TIMED]
    if any(s.get("minutes") is None for s in timed):
        found.add("timed_code_no_minutes")
    if visit["total_timed_minutes"] != sum(s.get("minutes") or 0 for s in timed):
        found.add("minutes_total_mismatch")
    if medicare and "97010" in codes:
        found.add("medicare_bundled_code")
    if medicare and "97014" in codes:
        found.add("medicare_invalid_code")
    if _ncci_not_distinct(visit, dos):
        found.add("ncci_not_distinct")
    if visit["signed"] is None:
        found.add("unsigned_note")
    if any(
        not (s.get("note") or {}).get("purpose") or not (s.get("note") or {}).get("response")
        for s in timed
    ):
        found.add("missing_note")
    if dos > _date(poc["end_date"]):
        found.add("plan_of_care_expired")
    if (_date(poc["certified_date"]) - _date(poc["start_date"])).days > 30 and not poc.get(
        "delayed_certification_reason"
    ):
        found.add("certification_late")
    if treatment_day(ep) > 10 and not ep["progress_report_this_visit"]:
        found.add("progress_report_overdue")
    auth = ep["authorization"]
    if not medicare and auth is not None and auth["visits_used"] >= auth["visits_authorized"]:
        found.add("authorization_exhausted")
    threshold = KX.get(dos.year)
    if (
        medicare
        and threshold is not None
        and Decimal(ep["therapy_amount_ytd"]) > threshold
        and not ep["kx_medical_necessity_documented"]
    ):
        found.add("kx_not_documented")
    if not luhn_npi_ok(visit["rendering_provider"]["npi"]):
        found.add("invalid_npi")
    if medicare and visit["referring_provider"] is None:
        found.add("missing_referring")
    if medicare and not MBI.match(visit["subscriber"]["member_id"]):
        found.add("invalid_member_id")
    if codes & INITIAL_EVALS and "97164" in codes:
        found.add("eval_and_reeval_same_day")
    if (start - dos).days > 365:
        found.add("timely_filing")
    return found
