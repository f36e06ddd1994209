"""The visit format's v1.1 fields in coding: the EMR's charge, units sent without minutes, a
billing provider that is a configured clinic, and coverages."""

from __future__ import annotations

import json
from decimal import Decimal

from ptbill.coding import code_visit, resolve
from ptbill.config import load_config
from ptbill.domain.visit import Visit
from tests.factories import timed, visit, visit_dict

CONFIG = load_config(None)
BILLING = {
    "name": "Elm Street PT (as the EMR names it)",
    "npi": "1234567893",  # the demo clinic's
    "tax_id": "37-1234567",
    "address": {"line1": "100 Elm St", "city": "Springfield", "state": "IL", "zip": "62701-1234"},
}


def _code(v: Visit):  # type: ignore[no-untyped-def]
    ctx = resolve(v, CONFIG, "test")
    return ctx, code_visit(v, ctx.profile, ctx.chargemaster, ctx.locality)


def test_the_emr_charge_is_used_and_the_chargemaster_otherwise() -> None:
    # 97110 24 min + 97140 13 min = 37 min: 2 units, one each (CMS, U-10).
    v = visit(timed("97110", 24, charge="100.00"), timed("97140", 13, body_region="right knee"))
    _, coded = _code(v)
    first, second = coded.lines
    assert (first.units, first.charge) == (1, Decimal("100.00"))
    assert (second.units, second.charge) == (1, Decimal("47.00"))  # the demo chargemaster's
    assert "charge 100.00 as the EMR sent it" in first.explanation


def test_a_service_split_by_cq_shares_its_charge_by_units() -> None:
    # 97110: 45 minutes of which 30 by the assistant: 3 units, split therapist/CQ lines.
    v = visit(timed("97110", 45, assistant_minutes=30, charge="100.00"), supervising_provider=None)
    _, coded = _code(v)
    billed = [x for x in coded.lines if x.units]
    assert len(billed) == 2, [(x.code, x.units, x.modifiers) for x in coded.lines]
    assert sum(x.charge for x in billed) == Decimal("100.00")  # counted once
    units = sum(x.units for x in billed)
    first = billed[0]
    assert first.charge == (Decimal("100.00") * first.units / units).quantize(Decimal("0.01"))


def test_units_sent_without_minutes_are_billed_as_sent() -> None:
    v = visit({"code": "97110", "units": 2}, timed("97140", 13))
    _, coded = _code(v)
    line = coded.lines[0]
    assert (line.units, line.minutes, line.reason) == (2, None, None)
    assert "the 8-minute rule could not be checked" in line.explanation[0]


def test_a_billing_provider_with_a_clinics_npi_bills_as_that_clinic() -> None:
    d = visit_dict(timed("97110", 24))
    del d["clinic"]
    d["billing_provider"] = BILLING
    ctx, coded = _code(Visit.model_validate(d))
    assert ctx.clinic is not None and ctx.clinic.key == "elm-street-pt"
    assert ctx.locality == "06102-99"  # the clinic's, the visit gave none
    assert ctx.billing_provider.name == BILLING["name"]  # the visit's own identity stays
    assert coded.lines[0].charge == Decimal("96.00")  # 2 units x 48.00 from the chargemaster


def test_a_billing_provider_of_no_configured_clinic_has_no_chargemaster() -> None:
    d = visit_dict(timed("97110", 24))
    del d["clinic"]
    d["billing_provider"] = {**BILLING, "npi": "1993999998"}
    ctx, coded = _code(Visit.model_validate(d))
    assert ctx.clinic is None and coded.lines[0].charge is None


def test_coverages_give_the_primary_payer_and_keep_the_others() -> None:
    d = visit_dict(timed("97110", 24))
    primary = d.pop("subscriber")
    del d["payer"]
    d["coverages"] = [
        {"payer": "medicare", "subscriber": primary},
        {"payer": "commercial", "subscriber": {"member_id": "SUP123", "group_number": "G1"}},
    ]
    v = Visit.model_validate(d)
    assert v.payer == "medicare" and v.subscriber.member_id == primary["member_id"]
    stored = v.model_dump_json(exclude_unset=True)
    assert "payer" not in json.loads(stored) and "subscriber" not in json.loads(stored)
    again = Visit.model_validate_json(stored)
    assert again.coverages == v.coverages and again.payer == "medicare"
