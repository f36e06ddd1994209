"""FHIR files as EMRs send them when something went wrong on their side: two resources under
one name (a Bundle's fullUrls are unique, FHIR R4 bdl-7), and an error answer saved in place
of the export."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ptbill.config import load_config
from ptbill.errors import InputError, InputErrors
from ptbill.intake import read_visits

FIXTURES = Path(__file__).parent / "fixtures"


def _bundle() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(
        (FIXTURES / "bundle.json").read_text(encoding="utf-8"), parse_float=Decimal
    )
    return doc


def _errors(doc: Any) -> list[str]:
    with pytest.raises((InputError, InputErrors)) as caught:
        read_visits(json.dumps(doc, default=str), "bundle.json", "fhir", load_config())
    e = caught.value
    return [x.render() for x in (e.errors if isinstance(e, InputErrors) else [e])]


def _entry(doc: dict[str, Any], kind: str) -> dict[str, Any]:
    entry: dict[str, Any] = next(e for e in doc["entry"] if e["resource"]["resourceType"] == kind)
    return entry


@pytest.mark.parametrize("generic", [False, True])
def test_two_patients_under_one_full_url_are_refused_not_the_last_one_billed(
    generic: bool,
) -> None:
    """The Encounter's subject named both; the later one's name was billed in silence."""
    doc = _bundle()
    other = copy.deepcopy(_entry(doc, "Patient"))
    other["resource"]["name"][0]["family"] = "Other"
    doc["entry"].append(other)
    if generic:  # an element the typed reader does not read sends the file to the generic one
        doc["entry"][0]["resource"]["language"] = "en-US"
    [error] = _errors(doc)
    assert "bundle.json: Patient[2]" in error and other["fullUrl"] in error
    assert "Patient[1]" in error and "unique" in error


def test_the_same_resource_sent_twice_is_read_once() -> None:
    doc = _bundle()
    doc["entry"].append(copy.deepcopy(_entry(doc, "Patient")))
    [visit] = read_visits(json.dumps(doc, default=str), "bundle.json", "fhir", load_config())
    assert visit.patient.last_name == "Lee"


def test_an_operation_outcome_is_named_with_what_the_emr_said() -> None:
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [
            {"severity": "error", "code": "forbidden", "diagnostics": "token expired"},
        ],
    }
    [error] = _errors(outcome)
    assert "OperationOutcome" in error and "token expired" in error
    assert "no Encounter" not in error
