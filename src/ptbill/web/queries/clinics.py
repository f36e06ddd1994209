"""Each clinic's configuration as its users may read it (issue #15 item 4): the clinic (NPI,
tax id, address, submitter and receiver ids, chargemaster), its clearinghouse account with
every secret masked, and the payer profiles it bills under (contract fee schedules, timely
filing). Only the clinics of the caller's scope; the configuration file stays the one place
where they are set."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.config.profiles import Clinic, Config
from ptbill.ledger import models as m
from ptbill.ledger.scope import Scope

MASKED = "(set; not shown)"
# Where a clearinghouse account keeps a secret or points at one: never shown.
SECRETS = ("password_env", "password_file", "key_file", "known_hosts")


def _payer(profile: Any) -> dict[str, Any]:
    fees = profile.contract_fees
    return {
        "key": profile.key,
        "name": profile.name,
        "payer_id": profile.payer_id,
        "timely_filing_days": profile.timely_filing_days,
        "appeal_days": profile.appeal_days,
        "pricing": profile.pricing,
        "fee_schedule": profile.fee_schedule,
        "contract_fees": None
        if fees is None
        else {
            "name": fees.name,
            "label": fees.label,
            "effective": fees.effective,
            "codes": len(fees.allowed),
        },
        "percent_of_medicare": profile.percent_of_medicare,
    }


def clinic_settings(session: Session, scope: Scope, config: Config) -> list[dict[str, Any]]:
    """The configuration of each clinic in scope (a clinic the ledger knows but the file does
    not configure shows what the ledger has of it)."""
    rows = session.execute(
        select(m.Clinic.key, m.Clinic.name, m.Clinic.npi)
        .where(scope.clinic_rows())
        .order_by(m.Clinic.key)
    ).all()
    out = []
    for key, name, npi in rows:
        clinic = config.clinic(key)
        if clinic is None:
            out.append({"key": key, "name": name, "npi": npi, "configured": False})
        else:
            out.append(configured_clinic(config, clinic))
    return out


def configured_clinic(config: Config, clinic: Clinic) -> dict[str, Any]:
    """A configured clinic's settings, its clearinghouse account's secrets masked."""
    house = config.clearinghouses.get(clinic.clearinghouse or "")
    account = None
    if house is not None:
        account = house.model_dump(mode="json")
        for secret in SECRETS:
            if account.get(secret):
                account[secret] = MASKED
    return {
        **clinic.model_dump(mode="json", exclude={"chargemaster"}),
        "configured": True,
        # the time zone of its "today": its own, else the company's, else the machine's
        "timezone_in_force": str(config.zone(clinic.key) or "the machine's local time"),
        "chargemaster": {code: str(v) for code, v in sorted(clinic.chargemaster.items())},
        "clearinghouse_account": account,
        "payers": [_payer(p) for _, p in sorted(config.payers.items())],
    }
