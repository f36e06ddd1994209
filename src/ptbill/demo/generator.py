"""A synthetic outpatient PT clinic: visits in the v1 visit format, some with labelled mistakes.

`generate(n, seed)` returns n visit dicts for the bundled demo clinic ("elm-street-pt"): plans
of care with certification, progress reports, authorizations and the Medicare therapy amount
growing visit by visit; evaluations, re-evaluations and treatment visits with realistic
minutes. About `error_rate` of the visits carry exactly one mistake that makes a payer deny the
claim, named in `extensions.synthetic.mistakes`; everything else in such a visit stays clean,
so a scrubber's recall can be measured per kind.

Output depends on the seed only (one random.Random, no clock). Dicts are built directly, with
no model validation per visit, so 100,000 visits take seconds.
"""

from __future__ import annotations

import datetime as dt
import gc
import random
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from ptbill.coding.pointers import is_external_cause
from ptbill.demo import data
from ptbill.demo.data import Condition
from ptbill.reference.catalog import REEVALUATION_CODE, catalog
from ptbill.reference.constants import KX_THRESHOLD, constant
from ptbill.reference.ncci import BUNDLED, PtpEdit, ptp_table
from ptbill.scrub.identifiers import npi_check_digit

CLINIC = "elm-street-pt"
START = dt.date(2025, 3, 3)  # a month the bundled reference data prices (2025 RVUs, CF, GPCIs)
PAYER_MIX = (("medicare", 45), ("medicaid", 15), ("commercial", 35), ("acme-ppo", 5))
MEDICARE = "medicare"

# Stable names: the scrubber's recall is measured against them.
MISTAKE_KINDS = (
    "invalid_diagnosis",
    "no_diagnosis",
    "external_cause_first",
    "bad_pointer",
    "timed_code_no_minutes",
    "minutes_total_mismatch",
    "medicare_bundled_code",
    "medicare_invalid_code",
    "ncci_not_distinct",
    "unsigned_note",
    "missing_note",
    "plan_of_care_expired",
    "certification_late",
    "progress_report_overdue",
    "authorization_exhausted",
    "kx_not_documented",
    "invalid_npi",
    "missing_referring",
    "invalid_member_id",
    "eval_and_reeval_same_day",
    "timely_filing",
)
# Kinds whose rule is a Medicare rule (billing-rules.md §3.2, §5, C-7; CMS MBI format), so they
# are put on Medicare visits only; authorizations are asked by the other payers.
MEDICARE_ONLY = frozenset(
    {
        "medicare_bundled_code",
        "medicare_invalid_code",
        "plan_of_care_expired",
        "certification_late",
        "progress_report_overdue",
        "kx_not_documented",
        "missing_referring",
        "invalid_member_id",
    }
)
NON_MEDICARE_ONLY = frozenset({"authorization_exhausted"})

# The Medicare Beneficiary Identifier: C A AN N A AN N A A N N, letters without S L O I B Z.
MBI_LETTERS = "ACDEFGHJKMNPQRTUVWXY"
_MBI_SLOTS = ("C", "A", "AN", "N", "A", "AN", "N", "A", "A", "N", "N")
_SLOT_CHARS = {
    "C": "123456789",
    "A": MBI_LETTERS,
    "AN": MBI_LETTERS + "0123456789",
    "N": "0123456789",
}

TIMED = frozenset(code for code, info in catalog().items() if info.timed)
# Rough Medicare amounts in cents, only to grow the year-to-date therapy amount: total RVUs
# (codes.csv) x the 2026 conversion factor $33.40, no GPCI or MPPR, rounded. 97010 and 97014
# are not paid by Medicare, so they add nothing.
_CENTS_PER_TIMED_UNIT = 3000
_CENTS_UNTIMED = {
    "97161": 10100,
    "97162": 10100,
    "97163": 10100,
    "97164": 7000,
    "97012": 1500,
    "97016": 1200,
    "G0283": 1300,
}
_FALLBACK_KX_CENTS = 248000  # 2026; used only when the reference data lacks the year
_ONE_DAY = dt.timedelta(days=1)


def working_days(start: dt.date, days: int) -> list[dt.date]:
    """`days` Monday-to-Friday dates from `start` on (start itself when it is a weekday)."""
    out: list[dt.date] = []
    d = start
    while len(out) < days:
        if d.weekday() < 5:
            out.append(d)
        d += _ONE_DAY
    return out


@cache
def _ncci_edit(a: str, b: str, on: dt.date) -> PtpEdit | None:
    # The demo clinic's payer profiles use the bundled candidate table.
    return ptp_table(BUNDLED).edit_for(a, b, on)


@cache
def _purposes(code: str, region: str) -> tuple[str, ...]:
    return tuple(p.format(region=region) for p in data.PURPOSE[code])


@cache
def kx_threshold_cents(year: int) -> int | None:
    c = constant(KX_THRESHOLD, year)
    return None if c is None or c.value is None else int(c.value * 100)


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _treatable(diagnoses: list[str]) -> list[int]:
    """The pointers (1-based, at most 4) of the diagnoses a service can be for."""
    return [i for i, code in enumerate(diagnoses, start=1) if not is_external_cause(code)][:4]


@dataclass(slots=True)
class _Person:
    npi: str
    first_name: str
    last_name: str
    credential: str
    template: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.template = {
            "npi": self.npi,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "credential": self.credential,
        }

    def provider(self) -> dict[str, str]:
        return dict(self.template)  # a fresh dict per visit: callers may edit one visit


@dataclass(slots=True)
class _Episode:
    """One patient's plan of care and what stays the same across their visits."""

    payer: str
    patient: dict[str, Any]
    member_id: str
    group_number: str | None
    condition: Condition
    diagnoses: list[str]
    pt: _Person
    pta: _Person | None
    referrer: _Person
    plan_start: dt.date
    plan_end: dt.date
    certified: dt.date
    authorization: tuple[str, int] | None  # (number, visits authorized); dates = the plan's
    report_gap: int  # visits between progress reports (at most 9)
    plan_of_care: dict[str, str] = field(init=False)
    auth_template: dict[str, Any] | None = field(init=False)

    def __post_init__(self) -> None:
        start, end = self.plan_start.isoformat(), self.plan_end.isoformat()
        self.plan_of_care = {
            "start_date": start,
            "end_date": end,
            "certified_date": self.certified.isoformat(),
            "certifying_npi": self.referrer.npi,
        }
        self.auth_template = (
            None
            if self.authorization is None
            else {
                "number": self.authorization[0],
                "start_date": start,
                "end_date": end,
                "visits_authorized": self.authorization[1],
            }
        )


@dataclass(slots=True)
class _Made:
    """A generated visit and the facts its mistakes need."""

    visit: dict[str, Any]
    dos: dt.date
    plan_start: dt.date
    region: str
    is_eval: bool
    is_reeval: bool
    ytd_cents: int


class _Clinic:
    def __init__(self, n: int, seed: int, start: dt.date, days: int, error_rate: float) -> None:
        self.rng = random.Random(seed)
        self.r = self.rng.random
        self.n, self.start, self.error_rate = n, start, error_rate
        self.dates = working_days(start, days)
        self.seed_tag = seed % 10**12
        self.patients = 0
        self.used: Counter[str] = Counter()
        self.npis: set[str] = set()
        clinicians = max(3, -(-n // (days * 11)))  # ~11 visits a clinician a day
        self.pts = [self._person("PT") for _ in range(clinicians)]
        self.ptas = [self._person("PTA") for _ in range(max(1, clinicians // 2))]
        self.referrers = [
            self._person(self.pick(data.REFERRER_CREDENTIALS))
            for _ in range(max(6, 2 * clinicians))
        ]

    # -- small random helpers (random() and indexing are the fast path) --

    def pick(self, seq: Any) -> Any:
        return seq[int(self.r() * len(seq))]

    def between(self, lo: int, hi: int) -> int:
        """An integer in [lo, hi]."""
        return lo + int(self.r() * (hi - lo + 1))

    def digits(self, k: int) -> str:
        return str(int(self.r() * 10**k)).zfill(k)

    def weighted(self, weights: tuple[int, ...]) -> int:
        x = self.r() * sum(weights)
        for i, w in enumerate(weights):
            x -= w
            if x < 0:
                return i
        return len(weights) - 1

    # -- people --

    def _npi(self) -> str:
        while True:
            base = "1" + self.digits(8)
            npi = base + str(npi_check_digit(base))
            if npi not in self.npis:
                self.npis.add(npi)
                return npi

    def _person(self, credential: str) -> _Person:
        first = self.pick(data.FEMALE_FIRST if self.r() < 0.5 else data.MALE_FIRST)
        return _Person(self._npi(), first, self.pick(data.LAST), credential)

    def _mbi(self) -> str:
        return "".join(self.pick(_SLOT_CHARS[slot]) for slot in _MBI_SLOTS)

    def _patient(self, payer: str) -> dict[str, Any]:
        self.patients += 1
        sex = "F" if self.r() < 0.56 else "M"
        # Medicare patients are 68+ at the start, so 65+ even on a date shifted a year back.
        age = self.between(68, 93) if payer == MEDICARE else self.between(18, 64)
        born = dt.date.fromordinal(self.start.toordinal() - age * 365 - self.between(10, 360))
        city, zips = self.pick(data.CITIES)
        return {
            "id": f"P-{self.patients:06d}",
            "first_name": self.pick(data.FEMALE_FIRST if sex == "F" else data.MALE_FIRST),
            "last_name": self.pick(data.LAST),
            "birth_date": born.isoformat(),
            "sex": sex,
            "address": {
                "line1": f"{self.between(1, 4999)} {self.pick(data.STREETS)}",
                "city": city,
                "state": "IL",
                "zip": self.pick(zips),
            },
        }

    def _member(self, payer: str) -> tuple[str, str | None]:
        if payer == MEDICARE:
            return self._mbi(), None
        if payer == "medicaid":
            return self.digits(9), None
        prefix = "ACM" if payer == "acme-ppo" else self.pick(("XYH", "BCX", "UHG", "AET"))
        return prefix + self.digits(9), "G" + self.digits(5)

    # -- episodes --

    def _payer(self) -> str:
        return PAYER_MIX[self.weighted(tuple(w for _, w in PAYER_MIX))][0]

    def _schedule(self) -> tuple[list[int], bool]:
        """Working-day indexes of one episode's visits in the window, and whether the episode
        starts (with its evaluation) in the window."""
        want = self.between(1, 12)
        day = int(self.r() * len(self.dates))
        out = [day]
        while len(out) < want:
            day += self.pick((1, 2, 2, 3))  # two or three visits a week
            if day >= len(self.dates):
                break
            out.append(day)
        return out, self.r() < 0.3

    def episode(self) -> tuple[_Episode, list[int], int, int]:
        """A new episode, its visit days, the visit number of its first visit in the window and
        the Medicare therapy amount (cents) already incurred this year before that visit."""
        payer = self._payer()
        pool = data.CONDITIONS + data.SENIOR_CONDITIONS if payer == MEDICARE else data.CONDITIONS
        cond = self.pick(pool)
        days, new = self._schedule()
        first, last = self.dates[days[0]], self.dates[days[-1]]
        if new:
            plan_start, prior = first, 0
        else:  # begun before the window: its evaluation and some visits are behind it
            span = (last - first).days
            back = self.between(3, max(3, min(60, 83 - span)))
            plan_start = first - dt.timedelta(days=back)
            if plan_start.weekday() > 4:
                plan_start -= dt.timedelta(days=plan_start.weekday() - 4)
            prior = max(1, (first - plan_start).days * 5 // 14)
        # A certification covers at most 90 days (billing-rules.md D-4).
        length = max((last - plan_start).days + self.between(0, 20), self.pick((28, 42, 56, 60)))
        plan_end = plan_start + dt.timedelta(days=min(length, 89))
        certified = plan_start + dt.timedelta(days=self.between(1, 14))  # D-3: within 30
        dx = list(cond.diagnoses)
        if payer == MEDICARE and "M62.81" not in dx and self.r() < 0.3:
            dx.append("M62.81")
        if cond.external_cause and self.r() < 0.6:
            dx.append(cond.external_cause)
        auth = None
        if payer != MEDICARE:
            total = prior + len(days)
            auth = ("PA" + self.digits(7), -(-(total + self.between(1, 6)) // 4) * 4)
        member_id, group = self._member(payer)
        ep = _Episode(
            payer,
            self._patient(payer),
            member_id,
            group,
            cond,
            dx,
            self.pick(self.pts),
            self.pick(self.ptas) if self.r() < 0.35 else None,
            self.pick(self.referrers),
            plan_start,
            plan_end,
            certified,
            auth,
            self.between(7, 9),
        )
        ytd = 0
        if payer == MEDICARE:
            jan1 = dt.date(first.year, 1, 1)
            this_year = (
                prior
                if plan_start >= jan1
                else prior * (first - jan1).days // max(1, (first - plan_start).days)
            )
            other = self.weighted((60, 25, 15))  # therapy elsewhere earlier this year
            ytd = (
                this_year * self.between(8000, 11000)
                + (0, self.between(20000, 120000), self.between(150000, 240000))[other]
            )
        return ep, days, prior + 1, ytd

    # -- services --

    def note(self, code: str, region: str) -> dict[str, str]:
        return {
            "purpose": self.pick(_purposes(code, region)),
            "response": self.pick(data.RESPONSE[code]),
        }

    def split_minutes(self, k: int, lo: int, hi: int) -> list[int]:
        """k per-code minutes, each 8..38, totalling lo..hi."""
        total = self.between(max(lo, 8 * k), min(hi, 38 * k))
        rest = total - 8 * k
        cuts = sorted(int(self.r() * (rest + 1)) for _ in range(k - 1))
        parts = [b - a for a, b in zip([0, *cuts], [*cuts, rest], strict=True)]
        for i, p in enumerate(parts):  # keep each under 38 minutes
            if p > 30:
                parts[i] = 30
                j = parts.index(min(parts))
                parts[j] += p - 30
        return [8 + p for p in parts]

    def timed_services(
        self, ep: _Episode, codes: list[str], minutes: list[int], pointers: list[list[int]]
    ) -> list[dict[str, Any]]:
        region = ep.condition.region
        out = []
        for code, m in zip(codes, minutes, strict=True):
            s: dict[str, Any] = {
                "code": code,
                "minutes": m,
                "assistant_minutes": 0,
                "diagnosis_pointers": list(self.pick(pointers)),
                "note": self.note(code, region),
            }
            if code == "97140":
                s["body_region"] = region
            out.append(s)
        return out

    def treatment_codes(self, ep: _Episode, k: int) -> list[str]:
        palette = ep.condition.timed
        codes = [palette[0]]
        while len(codes) < k:
            code = self.pick(palette)
            if code not in codes:
                codes.append(code)
        if ep.condition.timed_modality and k >= 3 and self.r() < 0.3:
            codes[-1] = ep.condition.timed_modality
        return codes

    def treatment_minutes(self, codes: list[str], lo: int, hi: int) -> list[int]:
        """Minutes per code; a timed modality (ultrasound, attended e-stim) gets 8-12 only."""
        modality = codes[-1] in ("97035", "97032")
        if not modality:
            return self.split_minutes(len(codes), lo, hi)
        m = self.between(8, 12)
        return [*self.split_minutes(len(codes) - 1, lo - m, hi - m), m]

    def untimed_service(self, ep: _Episode, pointers: list[int]) -> dict[str, Any] | None:
        options = [
            c for c in ep.condition.untimed if not (c == "97010" and ep.payer == MEDICARE)
        ]  # bundled: a mistake there
        if not options:
            return None
        code = self.pick(options)
        if code == "estim":
            code = "G0283" if ep.payer == MEDICARE else "97014"
        purpose, response = data.UNTIMED_NOTE[code]
        return {
            "code": code,
            "minutes": self.between(10, 15),
            "diagnosis_pointers": list(pointers),
            "note": {"purpose": purpose.format(region=ep.condition.region), "response": response},
        }

    def evaluation(self, ep: _Episode, pointers: list[int]) -> dict[str, Any]:
        """An initial evaluation whose components all support its level (billing-rules E-1)."""
        level = self.weighted(ep.condition.complexity)
        history, exam = (
            (0, self.between(1, 2)),
            (self.between(1, 2), self.between(3, 4)),
            (self.between(3, 5), self.between(4, 6)),
        )[level]
        return {
            "code": ("97161", "97162", "97163")[level],
            "minutes": (20, 30, 45)[level] + self.between(-5, 10),
            "diagnosis_pointers": list(pointers),
            "note": {
                "purpose": data.EVALUATION_NOTE[0].format(region=ep.condition.region),
                "response": data.EVALUATION_NOTE[1],
            },
            "evaluation": {
                "history_factors": history,
                "exam_elements": exam,
                "presentation": ("stable", "evolving", "unstable")[level],
                "decision_making": ("low", "moderate", "high")[level],
            },
        }

    def reevaluation(self, region: str, pointers: list[int]) -> dict[str, Any]:
        return {
            "code": REEVALUATION_CODE,
            "minutes": self.between(15, 25),
            "diagnosis_pointers": list(pointers),
            "note": {
                "purpose": f"re-examination of the {region}; plan revised",
                "response": "goals updated; plan of care continued",
            },
            "reevaluation_reason": self.pick(data.REEVALUATION_REASONS),
        }

    # -- visits --

    def visit(
        self, ep: _Episode, dos: dt.date, number: int, last_report: int, ytd: int
    ) -> tuple[_Made, int]:
        """One clean visit; returns it and the therapy amount (cents) it adds."""
        dx = ep.diagnoses
        treatable = _treatable(dx)
        pointers = [treatable[:1], treatable[:2]]
        is_eval = number == 1
        report = not is_eval and number - last_report >= ep.report_gap
        is_reeval = not is_eval and not report and self.r() < 0.03
        if is_eval:
            k = self.pick((0, 1, 1, 2))
            codes = [ep.condition.timed[0], "97535"][:k]
            services = [
                self.evaluation(ep, treatable),
                *self.timed_services(ep, codes, [self.between(8, 15) for _ in codes], pointers),
            ]
        elif is_reeval:
            k = self.between(1, 3)
            codes = self.treatment_codes(ep, k)
            services = [
                self.reevaluation(ep.condition.region, treatable),
                *self.timed_services(ep, codes, self.treatment_minutes(codes, 23, 45), pointers),
            ]
        else:
            codes = self.treatment_codes(ep, self.between(2, 4))
            services = self.timed_services(
                ep, codes, self.treatment_minutes(codes, 23, 60), pointers
            )
        if self.r() < (0.2 if is_eval else 0.3):
            extra = self.untimed_service(ep, treatable[:1])
            if extra is not None:
                services.append(extra)
        supervising = None
        if ep.pta is not None and not (is_eval or is_reeval or report) and self.r() < 0.6:
            for s in services[: self.between(1, 2)]:
                if s["code"] in TIMED:  # the PTA furnished all or part of these minutes
                    m = s["minutes"]
                    s["assistant_minutes"] = m if self.r() < 0.6 else self.between(1, m - 1)
            supervising = ep.pt.provider()
        mark_distinct(services, dos)
        timed, total = totals(services)
        cents = amount_cents(services, timed)
        iso = dos.isoformat()
        visit: dict[str, Any] = {
            "visit_id": "",
            "date_of_service": iso,
            "place_of_service": "11",
            "payer": ep.payer,
            "clinic": CLINIC,
            "patient": {**ep.patient, "address": ep.patient["address"].copy()},
            "subscriber": {
                "member_id": ep.member_id,
                "relationship": "self",
                "group_number": ep.group_number,
            },
            "rendering_provider": ep.pt.provider(),
            "supervising_provider": supervising,
            "referring_provider": ep.referrer.provider(),
            "diagnoses": list(dx),
            "services": services,
            "total_timed_minutes": timed,
            "total_treatment_minutes": total,
            "episode": {
                "plan_of_care": ep.plan_of_care.copy(),
                "visit_number": number,
                "last_progress_report_visit": last_report if last_report > 1 else None,
                "progress_report_this_visit": report,
                "authorization": None
                if ep.auth_template is None
                else {**ep.auth_template, "visits_used": number - 1},
                "therapy_amount_ytd": _money(ytd) if ep.payer == MEDICARE else "0.00",
                "kx_medical_necessity_documented": ep.payer == MEDICARE and kx_due(dos, ytd, cents),
            },
            "signed": {"by_npi": ep.pt.npi, "date": iso},
            "frequency_code": "1",
            "original_claim_id": None,
            "extensions": {"synthetic": {"mistakes": []}},
        }
        made = _Made(visit, dos, ep.plan_start, ep.condition.region, is_eval, is_reeval, ytd)
        return made, cents if ep.payer == MEDICARE else 0

    def run(self) -> list[dict[str, Any]]:
        made: list[tuple[int, int, _Made]] = []
        episodes = 0
        while len(made) < self.n:
            ep, days, number, ytd = self.episode()
            episodes += 1
            last_report = 1
            for v in range(number - 1):  # progress reports before the window
                if v + 1 - last_report >= ep.report_gap:
                    last_report = v + 1
            year = self.dates[days[0]].year
            for day in days[: self.n - len(made)]:
                dos = self.dates[day]
                if dos.year != year:
                    year, ytd = dos.year, 0
                m, cents = self.visit(ep, dos, number, last_report, ytd)
                if m.visit["episode"]["progress_report_this_visit"]:
                    last_report = number
                if self.r() < self.error_rate:
                    self.add_mistake(m)
                made.append((day, episodes, m))
                number += 1
                ytd += cents
        made.sort(key=lambda x: (x[0], x[1]))
        visits = []
        for i, (_, _, m) in enumerate(made, start=1):
            m.visit["visit_id"] = f"V-{self.seed_tag}-{i:06d}"
            visits.append(m.visit)
        return visits

    # -- mistakes --

    def add_mistake(self, m: _Made) -> None:
        # The least used kind that fits this visit (payer, evaluation day, timed codes...),
        # so that kinds which fit few visits still get their share.
        fits = [k for k in MISTAKE_KINDS if _applies(k, m)]
        fewest = min(self.used[k] for k in fits)
        kind = self.pick([k for k in fits if self.used[k] == fewest])
        self.used[kind] += 1
        MISTAKES[kind](self, m)
        m.visit["extensions"]["synthetic"]["mistakes"].append(kind)


def mark_distinct(services: list[dict[str, Any]], dos: dt.date) -> None:
    """Document a distinct service on the column-2 code of every NCCI pair that a modifier can
    bypass (M-14, M-17): a clean visit's pairs were done in separate time blocks."""
    codes = [s["code"] for s in services]
    for i, a in enumerate(codes):
        for b in codes[i + 1 :]:
            edit = _ncci_edit(a, b, dos)
            if edit is None or edit.modifier_indicator != "1":
                continue
            col2 = services[codes.index(edit.column2)]
            col2.setdefault(
                "distinct",
                {"reason": data.DISTINCT_REASON.format(other=edit.column1), "kind": "time_block"},
            )


def totals(services: list[dict[str, Any]]) -> tuple[int, int]:
    """(total timed minutes, total treatment minutes) as the note states them (U-7, U-9)."""
    timed = untimed = 0
    for s in services:
        m = s.get("minutes")
        if m is None:
            continue
        if s["code"] in TIMED:
            timed += m
        else:
            untimed += m
    return timed, timed + untimed


def amount_cents(services: list[dict[str, Any]], timed_minutes: int) -> int:
    units = 0 if timed_minutes < 8 else (timed_minutes + 7) // 15  # U-11
    return units * _CENTS_PER_TIMED_UNIT + sum(_CENTS_UNTIMED.get(s["code"], 0) for s in services)


def kx_due(dos: dt.date, ytd_cents: int, visit_cents: int) -> bool:
    """Whether the therapist documents medical necessity for KX (M-6): from the visit that may
    cross the threshold on. Three times our rough amount stays above the coder's amount of the
    visit (the year's fee schedule amount, or its estimate when the year's RVUs are missing)."""
    threshold = kx_threshold_cents(dos.year) or _FALLBACK_KX_CENTS
    return ytd_cents + 3 * visit_cents >= threshold


def _refresh(m: _Made) -> None:
    """Totals, and the KX documentation, after a mistake changed the services."""
    v = m.visit
    timed, v["total_treatment_minutes"] = totals(v["services"])
    v["total_timed_minutes"] = timed
    ep = v["episode"]
    if v["payer"] == MEDICARE and kx_due(m.dos, m.ytd_cents, amount_cents(v["services"], timed)):
        ep["kx_medical_necessity_documented"] = True


def _timed(visit: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in visit["services"] if s["code"] in TIMED and s.get("minutes")]


def _billed_timed(visit: dict[str, Any]) -> dict[str, Any]:
    """The timed service sure to earn a unit, so a mistake on it reaches the claim: the one
    with the most minutes (the first of equals). Under the CMS method it has at least a full
    unit or the largest leftover (U-16); under the AMA method every 8+ minutes earn one."""
    return max(_timed(visit), key=lambda s: s["minutes"])


def _applies(kind: str, m: _Made) -> bool:
    medicare = m.visit["payer"] == MEDICARE
    if kind in MEDICARE_ONLY and not medicare:
        return False
    if kind in NON_MEDICARE_ONLY and medicare:
        return False
    if kind in ("timed_code_no_minutes", "minutes_total_mismatch", "missing_note"):
        return bool(_timed(m.visit))
    if kind == "ncci_not_distinct":
        return not m.is_reeval
    if kind == "plan_of_care_expired":
        return (m.dos - m.plan_start).days >= 2
    if kind == "progress_report_overdue":
        return not m.is_eval
    if kind == "eval_and_reeval_same_day":
        return m.is_eval
    if kind == "kx_not_documented":
        return kx_threshold_cents(m.dos.year) is not None
    return True


# Each mistake changes one thing; the rest of the visit stays as the clean generator made it.


def _invalid_diagnosis(c: _Clinic, m: _Made) -> None:
    # Coded short of its required characters: the parent category or subcategory, which is
    # never billable (billing-rules.md C-1), or no code at all.
    dx = m.visit["diagnoses"]
    dx[0] = dx[0][:-1].rstrip(".")


def _no_diagnosis(c: _Clinic, m: _Made) -> None:
    m.visit["diagnoses"] = []
    for s in m.visit["services"]:
        s.pop("diagnosis_pointers", None)


def _external_cause_first(c: _Clinic, m: _Made) -> None:
    before = list(m.visit["diagnoses"])
    cause = next((code for code in before if is_external_cause(code)), None)
    if cause is None:
        cause = "W19.XXXD" if c.r() < 0.5 else "X50.0XXD"
    after = [cause, *(code for code in before if code != cause)]
    m.visit["diagnoses"] = after
    moved = {i: after.index(code) + 1 for i, code in enumerate(before, start=1)}
    for s in m.visit["services"]:  # the pointers still name the treated conditions
        if "diagnosis_pointers" in s:
            s["diagnosis_pointers"] = [moved[p] for p in s["diagnosis_pointers"]]


def _bad_pointer(c: _Clinic, m: _Made) -> None:
    timed = _timed(m.visit)
    s = _billed_timed(m.visit) if timed else m.visit["services"][0]
    s["diagnosis_pointers"] = [s["diagnosis_pointers"][0], len(m.visit["diagnoses"]) + 1]


def _timed_code_no_minutes(c: _Clinic, m: _Made) -> None:
    s = c.pick(_timed(m.visit))
    del s["minutes"]
    s["assistant_minutes"] = 0
    _refresh(m)  # the totals agree with what is documented


def _minutes_total_mismatch(c: _Clinic, m: _Made) -> None:
    timed = m.visit["total_timed_minutes"]
    m.visit["total_timed_minutes"] = timed - min(timed - 1, c.between(5, 12))


def _add_service(c: _Clinic, m: _Made, code: str) -> None:
    purpose, response = data.UNTIMED_NOTE[code]
    m.visit["services"].append(
        {
            "code": code,
            "minutes": c.between(10, 15),
            "diagnosis_pointers": [1],
            "note": {"purpose": purpose.format(region=m.region), "response": response},
        }
    )
    mark_distinct(m.visit["services"], m.dos)
    _refresh(m)


def _medicare_bundled_code(c: _Clinic, m: _Made) -> None:
    _add_service(c, m, "97010")


def _medicare_invalid_code(c: _Clinic, m: _Made) -> None:
    estim = next((s for s in m.visit["services"] if s["code"] == "G0283"), None)
    if estim is not None:
        estim["code"] = "97014"
        mark_distinct(m.visit["services"], m.dos)
    else:
        _add_service(c, m, "97014")


def _ncci_not_distinct(c: _Clinic, m: _Made) -> None:
    # 97140 and 97530 in one block, with nothing that documents them as distinct (M-17); no
    # other NCCI partner of either code stays in the visit.
    partners = {"97012", REEVALUATION_CODE}
    kept = [s for s in m.visit["services"] if s["code"] not in TIMED and s["code"] not in partners]
    codes = ["97140", "97530"] + (["97110"] if c.r() < 0.4 else [])
    # 15+ minutes each, so both earn a unit under either method and the pair reaches the claim.
    minutes = [c.between(15, 25), c.between(15, 25)] + [c.between(8, 10)] * (len(codes) - 2)
    for code, minute in zip(codes, minutes, strict=True):
        kept.append(
            {
                "code": code,
                "minutes": minute,
                "assistant_minutes": 0,
                "diagnosis_pointers": [1],
                "note": c.note(code, m.region),
            }
        )
    m.visit["services"] = kept
    m.visit["supervising_provider"] = None
    _refresh(m)


def _unsigned_note(c: _Clinic, m: _Made) -> None:
    m.visit["signed"] = None


def _missing_note(c: _Clinic, m: _Made) -> None:
    del _billed_timed(m.visit)["note"]


def _plan_of_care_expired(c: _Clinic, m: _Made) -> None:
    poc = m.visit["episode"]["plan_of_care"]
    end = m.dos - dt.timedelta(days=c.between(1, min(14, (m.dos - m.plan_start).days - 1)))
    poc["end_date"] = end.isoformat()
    poc["certified_date"] = min(poc["certified_date"], poc["end_date"])


def _certification_late(c: _Clinic, m: _Made) -> None:
    late = m.plan_start + dt.timedelta(days=c.between(31, 60))  # D-3: 30 days
    m.visit["episode"]["plan_of_care"]["certified_date"] = late.isoformat()


def _progress_report_overdue(c: _Clinic, m: _Made) -> None:
    # D-8: a progress report at least every 10 treatment days. The period after a report on
    # visit L starts on L+1 (the evaluation's period on visit 1), so this visit is made at
    # least the 11th day of its period: overdue, not merely due today.
    ep = m.visit["episode"]
    if ep["visit_number"] < 12:
        ep["visit_number"] = c.between(12, 15)
    last = max(1, ep["visit_number"] - 11 - c.between(0, 2))
    ep["last_progress_report_visit"] = last if last > 1 else None
    ep["progress_report_this_visit"] = False


def _authorization_exhausted(c: _Clinic, m: _Made) -> None:
    auth = m.visit["episode"]["authorization"]
    auth["visits_used"] = auth["visits_authorized"] + c.between(0, 2)


def _kx_not_documented(c: _Clinic, m: _Made) -> None:
    ep = m.visit["episode"]
    threshold = kx_threshold_cents(m.dos.year) or _FALLBACK_KX_CENTS
    ep["therapy_amount_ytd"] = _money(max(m.ytd_cents, threshold + c.between(100, 60000)))
    ep["kx_medical_necessity_documented"] = False


def _invalid_npi(c: _Clinic, m: _Made) -> None:
    # The rendering PT's NPI with one wrong digit, wherever the visit repeats it.
    good = m.visit["rendering_provider"]["npi"]
    bad = good[:9] + str((int(good[9]) + c.between(1, 9)) % 10)
    for key in ("rendering_provider", "supervising_provider", "signed"):
        part = m.visit[key]
        if part is not None:
            part["by_npi" if key == "signed" else "npi"] = bad


def _missing_referring(c: _Clinic, m: _Made) -> None:
    m.visit["referring_provider"] = None


def _invalid_member_id(c: _Clinic, m: _Made) -> None:
    sub = m.visit["subscriber"]
    style = c.between(0, 2)
    if style == 0:  # an old SSN-based claim number instead of the MBI
        sub["member_id"] = c.digits(9) + "A"
    elif style == 1:  # a letter the MBI never uses
        mbi = sub["member_id"]
        sub["member_id"] = mbi[:1] + c.pick("SLOIBZ") + mbi[2:]
    else:  # a digit dropped
        sub["member_id"] = sub["member_id"][:-1]


def _eval_and_reeval_same_day(c: _Clinic, m: _Made) -> None:
    # An NCCI pair no modifier can bypass (billing-rules.md E-7, M-14 indicator 0).
    m.visit["services"].append(c.reevaluation(m.region, _treatable(m.visit["diagnoses"])))
    mark_distinct(m.visit["services"], m.dos)
    _refresh(m)


def _timely_filing(c: _Clinic, m: _Made) -> None:
    # C-8: more than 12 months after the date of service. Every date moves back by whole
    # weeks (a weekday stays a weekday); the Medicare amount is that earlier year's.
    behind = (m.dos - c.start).days + 365
    shift = dt.timedelta(days=7 * (behind // 7 + 1 + c.between(0, 8)))
    v = m.visit
    ep = v["episode"]

    def back(iso: str) -> str:
        return (dt.date.fromisoformat(iso) - shift).isoformat()

    v["date_of_service"] = back(v["date_of_service"])
    v["signed"]["date"] = back(v["signed"]["date"])
    for part in (ep["plan_of_care"], ep["authorization"]):
        for key in ("start_date", "end_date", "certified_date"):
            if part is not None and part.get(key):
                part[key] = back(part[key])
    if v["payer"] == MEDICARE:
        ep["therapy_amount_ytd"] = _money(c.between(0, 80000))
        ep["kx_medical_necessity_documented"] = False


MISTAKES = {
    "invalid_diagnosis": _invalid_diagnosis,
    "no_diagnosis": _no_diagnosis,
    "external_cause_first": _external_cause_first,
    "bad_pointer": _bad_pointer,
    "timed_code_no_minutes": _timed_code_no_minutes,
    "minutes_total_mismatch": _minutes_total_mismatch,
    "medicare_bundled_code": _medicare_bundled_code,
    "medicare_invalid_code": _medicare_invalid_code,
    "ncci_not_distinct": _ncci_not_distinct,
    "unsigned_note": _unsigned_note,
    "missing_note": _missing_note,
    "plan_of_care_expired": _plan_of_care_expired,
    "certification_late": _certification_late,
    "progress_report_overdue": _progress_report_overdue,
    "authorization_exhausted": _authorization_exhausted,
    "kx_not_documented": _kx_not_documented,
    "invalid_npi": _invalid_npi,
    "missing_referring": _missing_referring,
    "invalid_member_id": _invalid_member_id,
    "eval_and_reeval_same_day": _eval_and_reeval_same_day,
    "timely_filing": _timely_filing,
}
assert tuple(MISTAKES) == MISTAKE_KINDS


def generate(
    n: int,
    seed: int,
    start: dt.date = START,
    days: int = 20,
    error_rate: float = 0.12,
) -> list[dict[str, Any]]:
    """n synthetic visits of the demo clinic over `days` working days from `start`, in date
    order; about `error_rate` of them carry one labelled mistake. Same arguments, same output."""
    if n < 0:
        raise ValueError("n must be 0 or more")
    if days < 1:
        raise ValueError("days must be 1 or more")
    if not 0 <= error_rate <= 1:
        raise ValueError("error_rate must be between 0 and 1")
    if n == 0:
        return []
    # The visits hold no reference cycles, so the cycle collector has nothing to find while
    # millions of small dicts are made; pausing it saves about a third of the time.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _Clinic(n, seed, start, days, error_rate).run()
    finally:
        if paused:
            gc.enable()


def summarize(visits: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts without patient data: visits, visits per payer, mistakes per kind."""
    payers = Counter(v["payer"] for v in visits)
    mistakes = Counter(k for v in visits for k in v["extensions"]["synthetic"]["mistakes"])
    return {
        "visits": len(visits),
        "payers": dict(payers.most_common()),
        "mistaken_visits": sum(1 for v in visits if v["extensions"]["synthetic"]["mistakes"]),
        "mistakes": dict(sorted(mistakes.items())),
    }
