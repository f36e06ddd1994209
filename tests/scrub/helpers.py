"""Building scrub cases: a clean base visit (tests/factories.py) changed by a few overrides,
coded and scrubbed with a bundled payer profile (optionally tuned)."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

from ptbill.claim_pipeline import code_claim
from ptbill.coding import VisitContext, resolve
from ptbill.config import PayerProfile, load_config
from ptbill.domain import CodedVisit, Visit
from ptbill.reference.catalog import lookup
from ptbill.reference.snapshot import BUNDLED_ONLY, ReferenceSnapshot
from ptbill.scrub import Batch, ScrubResult, scrub_visit
from tests.factories import note, timed, visit_dict

FIXTURES = Path(__file__).parent / "fixtures"
AS_OF = dt.date(2026, 3, 10)
# A clinic configuration like the bundled demo one, for tests that pass --config.
CLINIC_TOML = (
    '[clinics.elm-street-pt]\nname = "Elm Street PT"\nnpi = "1234567893"\n'
    'tax_id = "37-1234567"\nmedicare_locality = "06102-99"\n'
    'address = { line1 = "100 Elm St", city = "Springfield", state = "IL", zip = "62701" }\n'
    '[clinics.elm-street-pt.chargemaster]\n"97110" = "48.00"\n"97112" = "52.00"\n'
    '"97140" = "47.00"\n'
)
AUTHORIZATION = {
    "number": "A123",
    "start_date": "2026-02-16",
    "end_date": "2026-04-30",
    "visits_authorized": 12,
    "visits_used": 5,
}


def base_services() -> list[dict[str, Any]]:
    return [timed("97110", 24), timed("97140", 13, body_region="right knee")]


def base_dict(payer: str = "medicare") -> dict[str, Any]:
    """The clean visit every case starts from: no finding for any bundled payer."""
    d = visit_dict(
        *base_services(), payer=payer, total_timed_minutes=37, total_treatment_minutes=45
    )
    d["episode"]["authorization"] = copy.deepcopy(AUTHORIZATION)
    if payer != "medicare":
        d["subscriber"] = {"member_id": "XYZ123456789", "relationship": "self"}
    return d


def set_path(d: Any, dotted: str, value: Any) -> None:
    keys = [int(k) if k.isdigit() else k for k in dotted.split(".")]
    for k in keys[:-1]:
        d = d[k]
    d[keys[-1]] = copy.deepcopy(value)


def build_dict(case: dict[str, Any], payer: str | None = None) -> dict[str, Any]:
    d = base_dict(payer or case.get("payer", "medicare"))
    if "services" in case:
        d["services"] = copy.deepcopy(case["services"])
        # The note's totals agree with the services unless the case says otherwise.
        minutes = [(s["code"], s.get("minutes") or 0) for s in d["services"]]
        d["total_timed_minutes"] = sum(
            m for code, m in minutes if (i := lookup(code)) is not None and i.timed
        )
        d["total_treatment_minutes"] = sum(m for _, m in minutes)
    for dotted, value in case.get("set", {}).items():
        set_path(d, dotted, value)
    return d


def profile_for(
    payer: str, rules: dict[str, Any] | None = None, fields: dict[str, Any] | None = None
) -> PayerProfile:
    profile = load_config().payer(payer)
    assert profile is not None
    update = dict(fields or {})
    if rules:
        update["rules"] = {**profile.rules, **rules}
    return profile.model_copy(update=update) if update else profile


def coded_for(v: Visit, ctx: VisitContext) -> CodedVisit:
    return code_claim(v, ctx)


def context(
    v: Visit, profile: PayerProfile, reference: ReferenceSnapshot = BUNDLED_ONLY
) -> VisitContext:
    ctx = resolve(v, load_config().with_reference(reference), "test")
    return dataclasses.replace(ctx, profile=profile)


def run_case(case: dict[str, Any], reference: ReferenceSnapshot = BUNDLED_ONLY) -> ScrubResult:
    """Scrub the case's visit; `reference`: the reference snapshot (imported releases)."""
    payer = case.get("payer", "medicare")
    v = Visit.model_validate(build_dict(case))
    profile = profile_for(payer, case.get("rules"), case.get("profile"))
    ctx = context(v, profile, reference)
    code_ctx = ctx
    if "code_profile" in case:
        code_ctx = context(v, profile.model_copy(update=case["code_profile"]), reference)
    coded = coded_for(v, code_ctx)
    if "coded_lines" in case:  # a coded line changed by hand (what a coding defect would give)
        lines = list(coded.lines)
        for number, change in case["coded_lines"].items():
            change = {k: tuple(x) if isinstance(x, list) else x for k, x in change.items()}
            lines[int(number) - 1] = dataclasses.replace(lines[int(number) - 1], **change)
        coded = dataclasses.replace(coded, lines=tuple(lines))
    history = []
    for h in case.get("history", []):
        hv = Visit.model_validate(build_dict(h, payer))
        history.append(coded_for(hv, ctx))
    batch = None
    if "batch" in case:
        others = [Visit.model_validate(build_dict(b, payer)) for b in case["batch"]]
        batch = Batch([v, *others])
    as_of = dt.date.fromisoformat(case["as_of"]) if "as_of" in case else AS_OF
    return scrub_visit(v, coded, ctx, as_of, history=history, batch=batch)


def fixture_files() -> list[Path]:
    return sorted(FIXTURES.glob("*.json"))


def load_fixture(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


__all__ = ["AS_OF", "base_dict", "build_dict", "load_fixture", "note", "run_case", "timed"]
