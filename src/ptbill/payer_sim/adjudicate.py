"""The simulated payer's decisions: accept or reject each claim (277CA), then allow, pay,
reduce or deny each line (835), deterministic by seed.

Allowed amounts come from ptbill.pricing under the payer's profile (the Medicare fee schedule
with MPPR, CQ, coinsurance and sequestration; a contract fee schedule when one is imported),
so a well-run clinic is paid what it expected, except where a pattern says otherwise. Lines
the pricing cannot price are allowed at `contract_percent` of the charge.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from ptbill.config.profiles import Config, PayerProfile
from ptbill.domain.coded import CodedLine, CodedVisit
from ptbill.domain.visit import BillingProvider
from ptbill.payer_sim.patterns import DenialPattern, Rejection, SimConfig
from ptbill.payer_sim.read_837 import SimClaim, SimLine
from ptbill.pricing import PricedLine, price_visit

ZERO = Decimal(0)
CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(slots=True)
class LineDecision:
    line: SimLine
    allowed: Decimal
    paid: Decimal
    adjustments: list[tuple[str, str, Decimal]]  # (group, CARC, amount)
    remarks: list[str] = field(default_factory=list)

    def negated(self) -> LineDecision:
        return LineDecision(
            dataclasses.replace(self.line, charge=-self.line.charge),
            -self.allowed,
            -self.paid,
            [(g, c, -a) for g, c, a in self.adjustments],
            list(self.remarks),
        )


@dataclass(slots=True)
class Decision:
    claim: SimClaim
    payer_key: str
    icn: str
    received: dt.date
    rejection: Rejection | None = None
    status: str = "1"  # CLP02
    lines: list[LineDecision] = field(default_factory=list)
    pattern: str | None = None  # the denial pattern that fired, if any
    underpaid: bool = False
    # The payer forwarded the claim to this supplemental payer (a Medicare crossover: the
    # 835 says MA18 and names it in NM1*TT).
    crossover: tuple[str, str] | None = None  # (name, id)

    @property
    def paid(self) -> Decimal:
        return sum((x.paid for x in self.lines), ZERO)

    @property
    def patient(self) -> Decimal:
        return sum((a for x in self.lines for g, _, a in x.adjustments if g == "PR"), ZERO)


class PayerSim:
    """One payer front end and adjudication engine for every payer of the configuration."""

    def __init__(self, config: Config, sim: SimConfig | None = None) -> None:
        self.config = config
        self.sim = sim or SimConfig()
        self.by_payer_id = {p.payer_id: p for p in config.payers.values()}
        self.providers = {c.npi: c.billing_provider() for c in config.clinics.values()}
        self.seen: set[str] = set()  # the ids of the claims adjudicated (frequency 1)

    def rng(self, claim: SimClaim, salt: str = "") -> random.Random:
        return random.Random(
            f"{self.sim.seed}|{claim.claim_id}|{claim.frequency_code}|"
            f"{claim.original_claim_id or ''}|{salt}"
        )

    def profile(self, claim: SimClaim) -> PayerProfile:
        found = self.by_payer_id.get(claim.payer_id)
        if found is not None:
            return found
        return self.config.payers.get("commercial") or next(iter(self.config.payers.values()))

    def adjudicate(self, claim: SimClaim, received: dt.date) -> Decision:
        rng = self.rng(claim)
        profile = self.profile(claim)
        icn = f"9{rng.randrange(10**13):013d}"
        decision = Decision(claim, profile.key, icn, received)
        if rng.random() < self.sim.reject_rate:
            decision.rejection = self.sim.rejections[int(rng.random() * len(self.sim.rejections))]
            return decision
        if claim.sequence != "P":
            return self.after_earlier_payer(decision)
        decision.lines = self._price(claim, profile)
        self._patient_share(decision)
        crossover = self.sim.crossovers.get(claim.member_id)
        if crossover is not None and crossover in self.config.payers:
            other = self.config.payers[crossover]
            decision.crossover = (other.payer_name, other.payer_id)
        deadline = claim.date_of_service + dt.timedelta(days=profile.timely_filing_days)
        if received > deadline:
            self._deny_all(decision, "CO", "29", None, "timely_filing")
        elif claim.claim_id in self.seen and claim.frequency_code == "1":
            self._deny_all(decision, "CO", "18", None, "duplicate")
        else:
            self._patterns(decision, rng)
        if claim.frequency_code == "1":
            self.seen.add(claim.claim_id)
        return decision

    # -- after another payer ----------------------------------------------------------------

    def after_earlier_payer(self, d: Decision) -> Decision:
        """A secondary (or tertiary) plan pays what the earlier payers left the patient on each
        line (a supplement's coinsurance and deductible); the rest is the earlier payer's
        (OA-23). CLP02 2: processed as secondary."""
        d.status = "2" if d.claim.sequence == "S" else "3"
        d.lines = [
            LineDecision(
                x,
                min(x.prior_patient, x.charge),
                min(x.prior_patient, x.charge),
                [("OA", "23", x.charge - min(x.prior_patient, x.charge))],
            )
            for x in d.claim.lines
        ]
        return d

    def crossover_answer(self, primary: Decision, received: dt.date) -> Decision:
        """The crossover payer's decision on a claim Medicare forwarded: it pays the patient's
        share Medicare left, line by line, and answers with Medicare's claim number (CLP01)."""
        key = self.sim.crossovers[primary.claim.member_id]
        lines = [
            dataclasses.replace(
                x.line, prior_patient=sum((a for g, _, a in x.adjustments if g == "PR"), ZERO)
            )
            for x in primary.lines
        ]
        other = self.config.payers[key]
        claim = dataclasses.replace(
            primary.claim,
            lines=lines,
            sequence="S",
            payer_id=other.payer_id,
            payer_name=other.payer_name,
        )
        icn = f"7{self.rng(claim, 'crossover').randrange(10**13):013d}"
        return self.after_earlier_payer(Decision(claim, key, icn, received))

    # -- the patient's share --------------------------------------------------------------------

    def _patient_share(self, d: Decision) -> None:
        """A commercial plan's copay (PR-3, once per visit) and, on some claims, its
        deductible (PR-1) taken from what it would pay."""
        copay = self.sim.copays.get(d.payer_key)
        if copay is None:
            return
        deductible = ZERO
        if self.rng(d.claim, "deductible").random() < self.sim.deductible_rate:
            deductible = self.sim.deductible
        for i, x in enumerate(d.lines):
            take_copay = min(copay, x.paid)
            copay -= take_copay
            take_deductible = min(deductible, x.paid - take_copay)
            deductible -= take_deductible
            if take_copay or take_deductible:
                extra = [("PR", "3", take_copay), ("PR", "1", take_deductible)]
                d.lines[i] = LineDecision(
                    x.line,
                    x.allowed,
                    x.paid - take_copay - take_deductible,
                    x.adjustments + [a for a in extra if a[2]],
                    x.remarks,
                )

    # -- pricing --------------------------------------------------------------------------------

    def _price(self, claim: SimClaim, profile: PayerProfile) -> list[LineDecision]:
        coded = CodedVisit(
            claim.claim_id,
            claim.date_of_service,
            profile.key,
            profile.unit_method,
            0,
            0,
            tuple(
                CodedLine(x.code, x.units, x.modifiers, (1,), None, 0, x.charge, (), ())
                for x in claim.lines
            ),
        )
        provider: BillingProvider | None = self.providers.get(claim.billing_npi)
        priced = price_visit(
            coded,
            profile,
            provider,
            as_of=claim.date_of_service,
            reference=self.config.reference,
        )
        by_index = {p.index: p for p in priced.lines}
        return [self._line(x, by_index.get(i), profile) for i, x in enumerate(claim.lines)]

    def _line(self, line: SimLine, p: PricedLine | None, profile: PayerProfile) -> LineDecision:
        if p is not None and p.status == "not_paid":
            return LineDecision(line, ZERO, ZERO, [("CO", "97", line.charge)], ["M15"])
        if p is not None and p.status == "priced" and p.allowed is not None:
            allowed = min(p.allowed, line.charge)
            if allowed == p.allowed and p.expected_payment is not None:
                return _settled(line, allowed, p.coinsurance, p.sequestration or ZERO)
            return self._share(line, allowed, profile)
        allowed = _cents(line.charge * self.sim.contract_percent / HUNDRED)
        return self._share(line, allowed, profile)

    def _share(self, line: SimLine, allowed: Decimal, profile: PayerProfile) -> LineDecision:
        percent = profile.coinsurance_percent
        if percent is None:
            percent = Decimal(20) if profile.pricing == "medicare_pfs" else ZERO
        coinsurance = _cents(allowed * percent / HUNDRED)
        seq = ZERO
        if profile.pricing == "medicare_pfs":
            seq = _cents((allowed - coinsurance) * Decimal(2) / HUNDRED)
        return _settled(line, allowed, coinsurance, seq)

    # -- patterns -------------------------------------------------------------------------------

    def _deny_all(self, d: Decision, group: str, carc: str, rarc: str | None, name: str) -> None:
        d.lines = [
            LineDecision(x.line, ZERO, ZERO, [(group, carc, x.line.charge)], [rarc] if rarc else [])
            for x in d.lines
        ]
        d.status = "4"
        d.pattern = name

    def _patterns(self, d: Decision, rng: random.Random) -> None:
        codes = {x.code for x in d.claim.lines}
        for pattern in self.sim.denials:
            draw = rng.random()
            if not _applies(pattern, d.payer_key, codes) or draw >= pattern.probability:
                continue
            lines = [x for x in d.lines if _line_applies(pattern, x.line)]
            if not lines:
                continue
            if pattern.scope == "claim":
                if pattern.group == "PR":
                    d.lines = [_patient_owes(x, pattern) for x in d.lines]
                    d.pattern = pattern.name
                    return
                self._deny_all(d, pattern.group, pattern.carc, pattern.rarc, pattern.name)
                return
            target = lines[int(rng.random() * len(lines))]
            i = d.lines.index(target)
            d.lines[i] = (
                _patient_owes(target, pattern)
                if pattern.group == "PR"
                else LineDecision(
                    target.line,
                    ZERO,
                    ZERO,
                    [(pattern.group, pattern.carc, target.line.charge)],
                    [pattern.rarc] if pattern.rarc else [],
                )
            )
            if all(x.paid == 0 and x.allowed == 0 for x in d.lines):
                d.status = "4"
            d.pattern = pattern.name
            return
        if rng.random() < self.sim.underpay_rate:
            paid = [i for i, x in enumerate(d.lines) if x.paid > 0]
            if paid:
                i = paid[int(rng.random() * len(paid))]
                x = d.lines[i]
                allowed = _cents(x.allowed * self.sim.underpay_percent / HUNDRED)
                d.lines[i] = self._share(x.line, allowed, self.config.payers[d.payer_key])
                d.underpaid = True

    def correction(self, d: Decision, received: dt.date) -> Decision:
        """The payer's corrected decision on a claim it paid: the lines allowed in full."""
        profile = self.config.payers[d.payer_key]
        again = Decision(d.claim, d.payer_key, f"8{d.icn[1:]}", received)
        again.lines = self._price(d.claim, profile)
        return again


def _settled(
    line: SimLine, allowed: Decimal, coinsurance: Decimal, sequestration: Decimal
) -> LineDecision:
    paid = allowed - coinsurance - sequestration
    adjustments = []
    if line.charge - allowed:
        adjustments.append(("CO", "45", line.charge - allowed))
    if coinsurance:
        adjustments.append(("PR", "2", coinsurance))
    if sequestration:
        adjustments.append(("CO", "253", sequestration))
    return LineDecision(line, allowed, paid, adjustments)


def _patient_owes(x: LineDecision, pattern: DenialPattern) -> LineDecision:
    return LineDecision(
        x.line,
        ZERO,
        ZERO,
        [(pattern.group, pattern.carc, x.line.charge)],
        [pattern.rarc] if pattern.rarc else [],
    )


def _applies(pattern: DenialPattern, payer: str, codes: set[str]) -> bool:
    if pattern.payers and payer not in pattern.payers:
        return False
    return not pattern.requires or set(pattern.requires) <= codes


def _line_applies(pattern: DenialPattern, line: SimLine) -> bool:
    if pattern.codes and line.code not in pattern.codes:
        return False
    return not (pattern.without_modifier and pattern.without_modifier in line.modifiers)
