"""Synthetic 835 remittances for tests and benchmarks: balanced, valid 005010X221A1, with the
shapes a PT clinic sees (Medicare-style CO-45 / PR-2 / CO-253 lines, denials with remark
codes, a reversal followed by its correction, provider-level adjustments). Every value is
made up; the same seed gives the same file.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from ptbill.x12.envelope import REMITTANCE, InterchangeSettings, segment, write_interchange
from ptbill.x12.values import format_amount, format_date

# (code, charge per unit in cents): a few PT codes with the demo clinic's charges.
_CODES = (
    ("97110", 4800),
    ("97140", 4700),
    ("97530", 5500),
    ("97112", 5200),
    ("97116", 4500),
    ("97161", 18500),
    ("G0283", 2000),
    ("97035", 2500),
)
_PAYEE_NPI = "1234567893"


def synthetic_bpr(amount: str, when: str, credit: bool = True, method: str = "ACH") -> str:
    """BPR of a test or simulated 835: made-up bank routing and account numbers."""
    return segment(
        "BPR",
        "I",
        amount,
        "C" if credit else "D",
        method,
        "CCP",
        "01",
        "999999992",
        "DA",
        "123456",
        "1512345678",
        "",
        "01",
        "999988880",
        "DA",
        "98765",
        when,
    )


def _money(cents: int) -> str:
    return format_amount(Decimal(cents).scaleb(-2))


def _claim(rng: random.Random, claim_id: str, dos: str, out: list[str]) -> int:
    """Append one adjudicated claim's segments; return what it paid, in cents."""
    lines = []
    for _ in range(rng.choice((1, 1, 1, 2))):
        code, rate = rng.choice(_CODES)
        units = rng.choice((1, 1, 2)) if rate < 10000 else 1
        lines.append((code, units, rate * units))
    charge = sum(c for _, _, c in lines)
    denied = rng.random() < 0.08
    body: list[str] = []
    paid_total = patient_total = 0
    for number, (code, units, line_charge) in enumerate(lines, start=1):
        procedure, control = f"HC:{code}:GP", f"{claim_id}-{number}"
        if denied:
            body += [
                segment("SVC", procedure, _money(line_charge), "0", "", str(units)),
                segment("DTM", "472", dos),
                segment("CAS", "CO", "50", _money(line_charge)),
                segment("REF", "6R", control),
                segment("LQ", "HE", "N115"),
            ]
            continue
        allowed = line_charge * rng.randint(55, 80) // 100
        coinsurance = allowed // 5
        sequestration = (allowed - coinsurance) * 2 // 100
        paid = allowed - coinsurance - sequestration
        paid_total += paid
        patient_total += coinsurance
        body += [
            segment("SVC", procedure, _money(line_charge), _money(paid), "", str(units)),
            segment("DTM", "472", dos),
            segment(
                "CAS", "CO", "45", _money(line_charge - allowed), "", "253", _money(sequestration)
            ),
            segment("CAS", "PR", "2", _money(coinsurance)),
            segment("REF", "6R", control),
            segment("AMT", "B6", _money(allowed)),
        ]
    status = "4" if denied else "1"
    icn = f"26{rng.randrange(10**12):012d}"
    out.append(
        segment(
            "CLP",
            claim_id,
            status,
            _money(charge),
            _money(paid_total),
            _money(patient_total),
            "MB",
            icn,
            "11",
            "1",
        )
    )
    out.append(
        segment(
            "NM1", "QC", "1", "SYNTHETIC", "PAT", "", "", "", "MI", f"{rng.randrange(10**10):010d}A"
        )
    )
    out.append(segment("DTM", "050", dos))
    out.extend(body)
    return paid_total


def _reversal_and_correction(rng: random.Random, claim_id: str, out: list[str]) -> int:
    """A claim-level reversal of an earlier payment and its corrected payment (net, in cents)."""
    charge = rng.choice((9600, 14300, 10300))
    old_paid, new_paid = charge * 60 // 100, charge * 65 // 100
    old_patient, new_patient = charge * 15 // 100, charge * 12 // 100
    out.append(
        segment(
            "CLP",
            claim_id,
            "22",
            _money(-charge),
            _money(-old_paid),
            _money(-old_patient),
            "MB",
            f"26{rng.randrange(10**12):012d}",
            "11",
            "1",
        )
    )
    out.append(segment("CAS", "CO", "45", _money(-(charge - old_paid - old_patient))))
    out.append(segment("CAS", "PR", "2", _money(-old_patient)))
    out.append(segment("NM1", "QC", "1", "SYNTHETIC", "PAT", "", "", "", "MI", "0000000000A"))
    out.append(
        segment(
            "CLP",
            claim_id,
            "1",
            _money(charge),
            _money(new_paid),
            _money(new_patient),
            "MB",
            f"26{rng.randrange(10**12):012d}",
            "11",
            "1",
        )
    )
    out.append(segment("CAS", "CO", "45", _money(charge - new_paid - new_patient)))
    out.append(segment("CAS", "PR", "2", _money(new_patient)))
    out.append(segment("NM1", "QC", "1", "SYNTHETIC", "PAT", "", "", "", "MI", "0000000000A"))
    return new_paid - old_paid


def _payment(
    rng: random.Random, number: int, first_claim: int, claims: int, day: dt.date
) -> list[str]:
    claim_segments: list[str] = []
    paid = 0
    dos = format_date(day - dt.timedelta(days=18))
    i = 0
    while i < claims:
        claim_id = f"V-{first_claim + i:07d}"
        if claims - i >= 2 and rng.random() < 0.02:
            paid += _reversal_and_correction(rng, claim_id, claim_segments)
            i += 2
        else:
            paid += _claim(rng, claim_id, dos, claim_segments)
            i += 1
    plb = []
    if rng.random() < 0.3:
        withheld, interest = rng.randrange(100, 5000), rng.randrange(1, 300)
        plb.append(
            segment(
                "PLB",
                _PAYEE_NPI,
                f"{day.year}1231",
                f"WO:{number:08d}",
                _money(withheld),
                "L6",
                _money(-interest),
            )
        )
        paid -= withheld - interest
    when = format_date(day)
    header = [
        synthetic_bpr(_money(paid), when),
        segment("TRN", "1", f"EFT{number:09d}", "1512345678"),
        segment("DTM", "405", when),
        segment("N1", "PR", "SYNTHETIC MAC PART B"),
        segment("N3", "PO BOX 1"),
        segment("N4", "FARGO", "ND", "58108"),
        segment("PER", "BL", "EDI HELP", "TE", "8005550100"),
        segment("N1", "PE", "ELM STREET PHYSICAL THERAPY", "XX", _PAYEE_NPI),
        segment("REF", "TJ", "371234567"),
        segment("LX", "1"),
    ]
    return header + claim_segments + plb


def synthetic_835(
    claims: int, claims_per_payment: int = 200, seed: int = 1, day: dt.date = dt.date(2026, 3, 20)
) -> str:
    """An 835 interchange with `claims` claims in payments of `claims_per_payment`."""
    rng = random.Random(seed)
    bodies = []
    for number, first in enumerate(range(0, claims, claims_per_payment), start=1):
        bodies.append(_payment(rng, number, first, min(claims_per_payment, claims - first), day))
    settings = InterchangeSettings(
        sender_id="SYNTHMAC",
        receiver_id="ELMST001",
        interchange_control_number=seed,
        group_control_number=seed,
        created=dt.datetime.combine(day, dt.time(9, 30)),
    )
    return write_interchange(settings, REMITTANCE, bodies)
