"""Geographic practice cost indices by year and Medicare locality ("MAC-locality")."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from ptbill.reference._csv import rows

GPCI_YEARS = (2025, 2026)


@dataclass(frozen=True, slots=True)
class Gpci:
    mac: str
    locality: str
    state: str
    name: str
    work: Decimal
    pe: Decimal
    mp: Decimal

    @property
    def key(self) -> str:
        return f"{self.mac}-{self.locality}"


@cache
def gpcis(year: int) -> dict[str, Gpci]:
    if year not in GPCI_YEARS:
        return {}
    out = {}
    for r in rows(f"gpci_{year}.csv"):
        g = Gpci(
            r["mac"],
            r["locality"],
            r["state"],
            r["locality_name"],
            Decimal(r["pw_gpci"]),
            Decimal(r["pe_gpci"]),
            Decimal(r["mp_gpci"]),
        )
        out[g.key] = g
    return out


def gpci(year: int, locality: str) -> Gpci | None:
    return gpcis(year).get(locality)
