"""Geographic practice cost indices by year and Medicare locality ("MAC-locality")."""

from __future__ import annotations

from collections.abc import Iterable
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


def read_gpcis(rows: Iterable[dict[str, str]]) -> dict[str, Gpci]:
    """GPCIs keyed by "MAC-locality", from rows with the columns of gpci_YYYY.csv (the
    bundled files and the imported releases share them)."""
    out = {}
    for r in rows:
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


@cache
def gpcis(year: int) -> dict[str, Gpci]:
    return read_gpcis(rows(f"gpci_{year}.csv")) if year in GPCI_YEARS else {}


def gpci(year: int, locality: str) -> Gpci | None:
    return gpcis(year).get(locality)
