"""How the simulated payer behaves: rejection and denial patterns, short payments, as data.

Each pattern fires on a claim with its probability (drawn from a random generator seeded by
the simulation seed and the claim id, so the same claim gets the same fate whatever else is in
the file), limited to some payers and codes when it says so. Two rules are not random, as at a
real payer: a claim filed after the payer's timely-filing limit is denied CO-29, and a claim
(frequency 1) the payer has already adjudicated is denied CO-18 as a duplicate.

A TOML file can replace the defaults (`SimConfig.from_toml`):

    seed = 7
    reject_rate = 0.02
    [[denial]]
    name = "medical_necessity"
    probability = 0.03
    group = "CO"
    carc = "50"
    rarc = "N115"
    scope = "line"          # line: one line of the claim; claim: every line
    payers = ["medicare"]   # payer profile keys; empty: every payer
    codes = []              # only lines with these codes; empty: any line
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from ptbill.errors import InputError


@dataclass(frozen=True, slots=True)
class DenialPattern:
    name: str
    probability: float
    group: str
    carc: str
    rarc: str | None = None
    scope: Literal["line", "claim"] = "line"
    payers: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    # Only lines lacking this modifier (e.g. KX for the therapy threshold).
    without_modifier: str | None = None
    # Only claims that also bill all of these codes (e.g. both codes of an NCCI pair).
    requires: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rejection:
    """A 277CA front-end rejection: category, status code, entity (STC01)."""

    category: str
    code: str
    entity: str


DEFAULT_DENIALS = (
    DenialPattern("medical_necessity", 0.03, "CO", "50", "N115", "line"),
    DenialPattern(
        "authorization",
        0.04,
        "CO",
        "197",
        None,
        "claim",
        payers=("commercial", "medicaid", "acme-ppo"),
    ),
    DenialPattern("documentation", 0.02, "CO", "16", "M51", "line"),
    DenialPattern(
        "ncci_bundling", 0.25, "CO", "236", "N657", "line", codes=("97530",), requires=("97140",)
    ),
    DenialPattern(
        "benefit_maximum",
        0.01,
        "PR",
        "119",
        None,
        "line",
        payers=("medicare",),
        without_modifier="KX",
    ),
    DenialPattern("eligibility", 0.01, "CO", "27", None, "claim"),
)
DEFAULT_REJECTIONS = (
    Rejection("A7", "164", "IL"),  # the member id
    Rejection("A7", "562", "82"),  # the rendering provider's NPI
    Rejection("A6", "187", ""),  # the dates of service
)


@dataclass(frozen=True)
class SimConfig:
    seed: int = 2026
    reject_rate: float = 0.02  # 277CA rejections
    denials: tuple[DenialPattern, ...] = DEFAULT_DENIALS
    rejections: tuple[Rejection, ...] = DEFAULT_REJECTIONS
    # Short payments: the payer allows a line at this percent of the right amount.
    underpay_rate: float = 0.03
    underpay_percent: Decimal = Decimal(90)
    # Commercial lines the fee schedule cannot price: allowed at this percent of the charge.
    contract_percent: Decimal = Decimal(65)
    # A later 835 reverses this share of paid claims and pays them again (reversal + correction).
    recoup_rate: float = 0.02
    days_to_pay: int = 14  # the 835 is dated this many days after the claims were received
    # What commercial plans leave the patient: a copay per visit (PR-3) by payer, and the
    # deductible (PR-1, up to `deductible` on the visit) on this share of their claims.
    copays: dict[str, Decimal] = field(
        default_factory=lambda: {"commercial": Decimal(30), "acme-ppo": Decimal(25)}
    )
    deductible_rate: float = 0.2
    deductible: Decimal = Decimal(150)
    # Medicare member ids whose claims Medicare crosses over (MA18, NM1*TT) to the payer named
    # here by its profile key: the patient's supplemental or Medicaid coverage.
    crossovers: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_toml(cls, path: str) -> SimConfig:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise InputError(
                path,
                f"cannot read the payer simulation settings: {e}",
                "fix the TOML file",
            ) from None
        denials = tuple(
            DenialPattern(
                d["name"],
                float(d["probability"]),
                d["group"],
                str(d["carc"]),
                d.get("rarc"),
                d.get("scope", "line"),
                tuple(d.get("payers", ())),
                tuple(d.get("codes", ())),
                d.get("without_modifier"),
                tuple(d.get("requires", ())),
            )
            for d in data.pop("denial", [])
        )
        kwargs: dict[str, Any] = {
            k: v
            for k, v in data.items()
            if k in ("seed", "reject_rate", "underpay_rate", "recoup_rate", "days_to_pay")
        }
        for k in ("underpay_percent", "contract_percent"):
            if k in data:
                kwargs[k] = Decimal(str(data[k]))
        return cls(denials=denials or DEFAULT_DENIALS, **kwargs)
