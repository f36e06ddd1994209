"""The Medicare locality a billing provider is paid in: its `medicare_locality` ("MAC-locality",
e.g. 06102-16), else its ZIP code through CMS's ZIP code to carrier locality file, once
imported. A ZIP that CMS splits between localities by ZIP+4 is not guessed."""

from __future__ import annotations

import datetime as dt

from ptbill.domain.visit import BillingProvider
from ptbill.pricing.sources import Found, zip_locality
from ptbill.reference.snapshot import ReferenceSnapshot


def resolve_locality(
    provider: BillingProvider | None, on: dt.date, reference: ReferenceSnapshot
) -> Found[str]:
    if provider is None:
        return Found(None, "no billing provider, so no Medicare locality")
    if provider.medicare_locality:
        return Found(
            provider.medicare_locality,
            f"locality {provider.medicare_locality} (billing provider's medicare_locality)",
        )
    zip_code = provider.address.zip[:5]
    found = zip_locality(reference, zip_code, on)
    if found.value is None:
        return Found(
            None,
            f"no Medicare locality: the billing provider has no "
            f"medicare_locality and {found.text}; set medicare_locality "
            "(e.g. 06102-16)",
        )
    z = found.value
    if z.plus_four:
        return Found(
            None,
            f"ZIP {zip_code} is split between Medicare localities by ZIP+4 "
            f"({found.text}); set the billing provider's medicare_locality",
        )
    return Found(z.key, f"locality {z.key} from ZIP {zip_code} ({found.text})")
