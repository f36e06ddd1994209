"""Commercial contracts: the payer's fee schedule amount per unit, or a percent of what
Medicare would allow (MPPR and CQ as Medicare applies them) when the profile sets
`percent_of_medicare` and the schedule has no amount for the code.

Contract amounts are used as written: no MPPR (a contract that mirrors Medicare's is priced as a
percent of Medicare), an assistant reduction only when the profile sets
`assistant_reduction_percent`, no sequestration (a Medicare-only cut).
"""

from __future__ import annotations

from decimal import Decimal

from ptbill.config.profiles import PayerProfile
from ptbill.pricing.medicare import ASSISTANT_MODIFIERS, PfsLine
from ptbill.pricing.model import LineMath
from ptbill.pricing.money import HUNDRED
from ptbill.pricing.sources import Found
from ptbill.reference.importers.fees import FeeSchedule


def contract_lines(
    medicare: list[PfsLine],
    schedule: Found[FeeSchedule],
    profile: PayerProfile,
    coinsurance: Decimal,
    cq_possible: Decimal,
) -> list[PfsLine]:
    """The same billed lines priced by contract. `medicare` is the visit priced as Medicare
    would (scaled by percent_of_medicare already); it is used only for codes the schedule lacks.
    """
    out = []
    reduction = profile.assistant_reduction_percent or Decimal(0)
    for m in medicare:
        line = m.line
        found = schedule.value.amount_for(line.code, line.modifiers) if schedule.value else None
        p = PfsLine(m.index, line)
        if found is not None:
            amount, matched = found
            cq = reduction if any(x in ASSISTANT_MODIFIERS for x in line.modifiers) else Decimal(0)
            p.source = schedule.text
            p.basis.append(
                f"{schedule.text}: {line.code}{' ' + matched if matched else ''} ${amount} per unit"
            )
            if cq:
                p.basis.append(
                    f"assistant (CQ/CO) line: paid at {HUNDRED - cq}% "
                    "(payer profile assistant_reduction_percent)"
                )
            p.math = LineMath(
                unit_fee=amount,
                units=line.units,
                full_units=line.units,
                mppr_cut=Decimal(0),
                cq_percent=cq,
                cq_possible_percent=reduction or cq_possible,
                scale_percent=HUNDRED,
                coinsurance_percent=coinsurance,
                sequestration_percent=None,
                applies_sequestration=False,
            )
        elif profile.percent_of_medicare is not None:
            p.status, p.math, p.source = m.status, m.math, m.source
            missing = (
                f"{line.code} is not in {schedule.value.name}" if schedule.value else schedule.text
            )
            p.basis = [
                f"{missing}: priced at {profile.percent_of_medicare}% of Medicare "
                "(payer profile percent_of_medicare)",
                *m.basis,
            ]
        else:
            p.status = "unpriced"
            p.basis.append(
                f"not priced: {line.code} is not in {schedule.value.name}; add it to "
                "the contract's fee schedule or set percent_of_medicare"
                if schedule.value
                else f"not priced: {schedule.text}; import the contract with `ptbill "
                f"reference import fees {profile.key} FILE` or set "
                "percent_of_medicare"
            )
        out.append(p)
    return out
