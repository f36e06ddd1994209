"""Small builders for test visits in the v1 format (dicts, as a file would hold them)."""

from __future__ import annotations

import copy
from typing import Any

from ptbill.domain.visit import Visit

BASE: dict[str, Any] = {
    "visit_id": "V-TEST-1",
    "date_of_service": "2026-03-02",
    "place_of_service": "11",
    "payer": "medicare",
    "clinic": "elm-street-pt",
    "patient": {
        "id": "P-1",
        "first_name": "Ann",
        "last_name": "Lee",
        "birth_date": "1951-04-09",
        "sex": "F",
        "address": {"line1": "12 Elm St", "city": "Springfield", "state": "IL", "zip": "62701"},
    },
    "subscriber": {"member_id": "1EG4TE5MK73", "relationship": "self"},
    "rendering_provider": {
        "npi": "1234567893",
        "first_name": "Maya",
        "last_name": "Ortiz",
        "credential": "PT",
    },
    "referring_provider": {"npi": "1245319599", "first_name": "Sam", "last_name": "Nguyen"},
    "diagnoses": ["M17.11", "M25.561"],
    "services": [],
    "episode": {
        "plan_of_care": {
            "start_date": "2026-02-16",
            "end_date": "2026-05-16",
            "certified_date": "2026-02-20",
            "certifying_npi": "1245319599",
        },
        "visit_number": 6,
        "therapy_amount_ytd": "0",
    },
    "signed": {"by_npi": "1234567893", "date": "2026-03-02"},
}


def note(purpose: str = "restore function", response: str = "tolerated well") -> dict[str, str]:
    return {"purpose": purpose, "response": response}


def visit_dict(*services: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """A valid visit dict with these services; top-level keys overridden as given."""
    v = copy.deepcopy(BASE)
    v["services"] = [dict(s) for s in services]
    v.update(copy.deepcopy(overrides))
    return v


def visit(*services: dict[str, Any], **overrides: Any) -> Visit:
    return Visit.model_validate(visit_dict(*services, **overrides))


def timed(code: str, minutes: int, **extra: Any) -> dict[str, Any]:
    return {"code": code, "minutes": minutes, "note": note(), **extra}
