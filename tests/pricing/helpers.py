"""Building coded visits and billing providers for pricing tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ptbill.coding import code_visit, resolve
from ptbill.config import PayerProfile, load_config
from ptbill.domain import CodedVisit
from ptbill.domain.visit import Address, BillingProvider
from tests.factories import visit

D = Decimal


def coded(
    *services: dict[str, Any],
    dos: str = "2025-03-03",
    payer: str = "medicare",
    visit_id: str = "V-TEST-1",
) -> CodedVisit:
    """The visit coded by the real coder under the bundled profile `payer`."""
    v = visit(*services, date_of_service=dos, payer=payer, visit_id=visit_id)
    ctx = resolve(v, load_config(), "test")
    return code_visit(v, ctx.profile, ctx.chargemaster, ctx.locality)


def profile(key: str = "medicare", **changes: Any) -> PayerProfile:
    base = load_config().payer(key)
    assert base is not None
    return base.model_copy(update=changes)


def provider(locality: str | None = "06102-16", zip_code: str = "60601") -> BillingProvider:
    return BillingProvider(
        name="Test PT",
        npi="1234567893",
        tax_id="37-1234567",
        address=Address(line1="1 Main St", city="Chicago", state="IL", zip=zip_code),
        medicare_locality=locality,
    )


def line(priced, code: str, cq: bool = False):
    """The priced line of `code` (with or without CQ)."""
    return next(x for x in priced.lines if x.code == code and ("CQ" in x.modifiers) == cq)
