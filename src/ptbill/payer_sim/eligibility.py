"""The simulated payer's eligibility answers: a 271 for every patient of a 270.

Each patient gets one of four answers, deterministic by seed and member id (or chosen per member
id in `EligibilitySim.scenarios`):

- `active`: coverage for the plan year with the payer profile's shape: a Medicare Part B answer
  (deductible met, 20% coinsurance, the PT/SLP amount Medicare has applied this year toward the
  KX threshold), or a commercial/Medicaid one (deductible and what remains of it, out-of-pocket
  remaining, coinsurance, copay, 20 PT visits a year with what remains, prior authorization
  where the profile requires it);
- `inactive`: EB*6 with the plan's end date before the date asked about;
- `visit_limit`: active, with no PT visit left this year;
- `not_found`: AAA*N**75 (subscriber not found), correct and resubmit.

Every value is synthetic.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from ptbill.config.profiles import Config, PayerProfile
from ptbill.payer_sim.write import answer_settings
from ptbill.x12.envelope import InterchangeSettings, segment, write_interchange
from ptbill.x12.read_271 import RESPONSE
from ptbill.x12.tokenizer import split_text
from ptbill.x12.values import format_amount, format_date
from ptbill.x12.write_270 import EligibilityInquiry, Person, write_270

SCENARIOS = ("active", "inactive", "visit_limit", "not_found")


@dataclass(frozen=True)
class EligibilitySim:
    seed: int = 2026
    inactive_rate: float = 0.05
    limit_rate: float = 0.05
    not_found_rate: float = 0.02
    scenarios: Mapping[str, str] = field(default_factory=dict)  # member id -> scenario

    def scenario(self, member_id: str) -> str:
        if member_id in self.scenarios:
            return self.scenarios[member_id]
        draw = _draw(self.seed, member_id, "scenario")
        for name, rate in (
            ("not_found", self.not_found_rate),
            ("inactive", self.inactive_rate),
            ("visit_limit", self.limit_rate),
        ):
            if draw < rate:
                return name
            draw -= rate
        return "active"


def _draw(seed: int, member_id: str, what: str) -> float:
    digest = hashlib.sha256(f"{seed}|{member_id}|{what}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(slots=True)
class Asked:
    """One patient of a 270, as the simulator reads it."""

    payer_name: str = ""
    payer_id: str = ""
    provider_name: str = ""
    provider_npi: str = ""
    trace: str = ""
    trace_owner: str = ""
    member_id: str = ""
    subscriber: list[str] = field(default_factory=list)  # NM1 elements
    subscriber_dmg: list[str] | None = None
    dependent: list[str] | None = None
    dependent_dmg: list[str] | None = None
    date: dt.date | None = None
    service_types: list[str] = field(default_factory=list)


def read_270(text: str) -> tuple[str, list[Asked]]:
    """(ISA06 sender, the patients asked about) of a 270 interchange."""
    sender = ""
    asked: list[Asked] = []
    payer = provider = ("", "")
    level = ""
    current: Asked | None = None
    for e in split_text(text):
        sid = e[0]
        if sid == "ISA":
            sender = e[6].strip()
        elif sid == "HL":
            level = e[3]
            if level == "22":
                current = Asked(payer[0], payer[1], provider[0], provider[1])
                asked.append(current)
        elif sid == "NM1" and level == "20":
            payer = (e[3], e[9])
        elif sid == "NM1" and level == "21":
            provider = (e[3], e[9])
        elif current is None:
            continue
        elif sid == "TRN":
            current.trace, current.trace_owner = e[2], e[3]
        elif sid == "NM1" and e[1] == "IL":
            current.subscriber = e
            current.member_id = e[9] if len(e) > 9 else ""
        elif sid == "NM1" and e[1] == "03":
            current.dependent = e
        elif sid == "DMG":
            if level == "23":
                current.dependent_dmg = e
            else:
                current.subscriber_dmg = e
        elif sid == "DTP" and e[1] == "291":
            current.date = dt.date.fromisoformat(f"{e[3][:4]}-{e[3][4:6]}-{e[3][6:8]}")
        elif sid == "EQ":
            current.service_types.append(e[1])
    return sender, asked


def _year(on: dt.date) -> tuple[dt.date, dt.date]:
    return dt.date(on.year, 1, 1), dt.date(on.year, 12, 31)


def _benefits(a: Asked, profile: PayerProfile | None, scenario: str, seed: int) -> list[str]:
    on = a.date or dt.date(2026, 1, 1)
    begin, end = _year(on)
    medicare = profile is not None and profile.claim_filing_indicator == "MB"
    pt = "PT"
    if scenario == "inactive":
        ended = on.replace(day=1) - dt.timedelta(days=1)
        return [
            segment("DTP", "346", "D8", format_date(begin.replace(year=ended.year))),
            segment("DTP", "347", "D8", format_date(ended)),
            segment("EB", "6", "IND", "30"),
            segment("MSG", "COVERAGE TERMINATED"),
        ]
    out = [
        segment("DTP", "346", "D8", format_date(begin)),
        segment("DTP", "347", "D8", format_date(end)),
    ]
    if medicare:
        applied = Decimal(int(_draw(seed, a.member_id, "therapy") * 260000)) / 100
        out += [
            segment("EB", "1", "", "30", "MB", "PART B"),
            segment("EB", "C", "IND", "30", "MB", "", "29", "0"),
            segment("EB", "A", "IND", "30", "MB", "", "", "", "0.2"),
            segment(
                "EB",
                "D",
                "IND",
                "AE",
                "MB",
                "PHYSICAL AND SPEECH THERAPY",
                "24",
                format_amount(applied),
            ),
            segment("MSG", "AMOUNT APPLIED TOWARD THE THERAPY THRESHOLD THIS YEAR"),
        ]
        return out
    deductible = Decimal(500 + 250 * int(_draw(seed, a.member_id, "deductible") * 4))
    remaining = (deductible * Decimal(_draw(seed, a.member_id, "met"))).quantize(Decimal("0.01"))
    visits_left = 0 if scenario == "visit_limit" else 1 + int(_draw(seed, a.member_id, "v") * 19)
    auth = "Y" if profile is not None and profile.requires_authorization else "N"
    out += [
        segment(
            "EB",
            "1",
            "IND",
            "30",
            "C1" if not profile or profile.claim_filing_indicator != "MC" else "MC",
            "PPO PLAN",
        ),
        segment(
            "EB", "C", "IND", "30", "", "", "23", format_amount(deductible), "", "", "", "", "Y"
        ),
        segment(
            "EB", "C", "IND", "30", "", "", "29", format_amount(remaining), "", "", "", "", "Y"
        ),
        segment("EB", "G", "IND", "30", "", "", "29", "2500", "", "", "", "", "Y"),
        segment("EB", "A", "IND", pt, "", "", "", "", "0.2", "", "", auth, "Y"),
        segment("EB", "B", "IND", pt, "", "", "27", "25", "", "", "", auth, "Y"),
        segment("EB", "F", "IND", pt, "", "", "23", "", "", "VS", "20", auth, "Y"),
        segment("EB", "F", "IND", pt, "", "", "29", "", "", "VS", str(visits_left), auth, "Y"),
    ]
    return out


def _person(
    a: Asked, scenario: str, profile: PayerProfile | None, seed: int, level: str
) -> list[str]:
    """The 2100C or 2100D of one patient, with its benefits (or its AAA error)."""
    nm1 = a.subscriber if level == "22" else (a.dependent or [])
    dmg = a.subscriber_dmg if level == "22" else a.dependent_dmg
    out = [segment(*nm1)]
    if scenario == "not_found":
        return out + [segment("AAA", "N", "", "75", "C")]
    if dmg is not None:
        out.append(segment(*dmg))
    return out + _benefits(a, profile, scenario, seed)


def answer_270(
    text_270: str,
    config: Config,
    sim: EligibilitySim | None = None,
    *,
    number: int,
    when: dt.date,
) -> str:
    """The 271 answering every patient of a 270 (one transaction set)."""
    sim = sim or EligibilitySim()
    sender, asked = read_270(text_270)
    by_payer_id = {p.payer_id: p for p in config.payers.values()}
    d8 = format_date(when)
    body = [segment("BHT", "0022", "11", f"SIM{number:09d}", d8, "0800")]
    hl = 0
    groups: dict[tuple[str, str, str, str], list[Asked]] = {}
    for a in asked:
        groups.setdefault((a.payer_id, a.payer_name, a.provider_npi, a.provider_name), []).append(a)
    for (payer_id, payer_name, npi, provider), items in groups.items():
        hl += 1
        source = hl
        body += [
            segment("HL", str(hl), "", "20", "1"),
            segment("NM1", "PR", "2", payer_name, "", "", "", "", "PI", payer_id),
            segment("HL", str(hl + 1), str(source), "21", "1"),
            segment("NM1", "1P", "2", provider, "", "", "", "", "XX", npi),
        ]
        hl += 1
        receiver = hl
        profile = by_payer_id.get(payer_id)
        for a in items:
            scenario = sim.scenario(a.member_id)
            hl += 1
            dependent = a.dependent is not None
            trn = segment("TRN", "2", a.trace, a.trace_owner)
            body += [segment("HL", str(hl), str(receiver), "22", "1" if dependent else "0"), trn]
            if not dependent:
                body += _person(a, scenario, profile, sim.seed, "22")
                continue
            body.append(segment(*a.subscriber))
            hl += 1
            body += [segment("HL", str(hl), str(hl - 1), "23", "0"), trn]
            body += _person(a, scenario, profile, sim.seed, "23")
    return write_interchange(answer_settings(sender, number, when), RESPONSE, [body])


def sample_270(patients: int, on: dt.date, dependents_every: int = 0) -> str:
    """A 270 of `patients` synthetic patients of Elm Street PT (a third Medicare, the rest
    commercial; every `dependents_every`th a dependent), for benchmarks and tests."""
    inquiries = [
        EligibilityInquiry(
            f"T{i}",
            *(
                ("MEDICARE PART B", "MEDICARE")
                if i % 3 == 0
                else ("COMMERCIAL PAYER", "COMMERCIAL")
            ),
            "ELM STREET PT",
            "1234567893",
            "37-1234567",
            f"W{i:08d}",
            Person("Doe", f"Jo{i}", dt.date(1950 + i % 40, 1 + i % 12, 1 + i % 28), "F"),
            Person("Doe", f"Kid{i}", dt.date(2012, 1, 1), "M")
            if dependents_every and i % dependents_every == 0
            else None,
            on,
            ("30", "PT"),
        )
        for i in range(patients)
    ]
    settings = InterchangeSettings("ELMST001", "CH", 1, 1, dt.datetime.combine(on, dt.time()))
    return write_270(inquiries, settings)
