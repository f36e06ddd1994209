"""The totals a batch command ends with, for people: counted while the results stream past,
printed once at the end (never with --quiet, never in a machine format)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from ptbill.cli.common import escape, out
from ptbill.domain import CodedVisit
from ptbill.pricing import PricedVisit
from ptbill.scrub import ScrubResult

ZERO = Decimal(0)


def dollars(value: Decimal | None) -> str:
    return "-" if value is None else f"${value:,.2f}"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


@dataclass
class Totals:
    """Visits, lines and money of a run; ready and blocked when it was scrubbed."""

    visits: int = 0
    lines: int = 0
    units: int = 0
    charges: Decimal = ZERO
    scrubbed: bool = False
    blocked: int = 0
    blocked_by: Counter[str] = field(default_factory=Counter)  # category -> visits
    errors_by_rule: Counter[str] = field(default_factory=Counter)
    priced: bool = False
    allowed: Decimal = ZERO
    expected: Decimal = ZERO
    patient: Decimal = ZERO
    unpriced: int = 0  # visits with a line that could not be priced

    def add_coded(self, coded: CodedVisit) -> None:
        self.visits += 1
        billed = coded.billed_lines
        self.lines += len(billed)
        self.units += sum(x.units for x in billed)
        self.charges += coded.total_charge

    def add_claim(
        self, coded: CodedVisit, scrub: ScrubResult | None, priced: PricedVisit | None
    ) -> None:
        self.add_coded(coded)
        if scrub is not None:
            self.scrubbed = True
            if scrub.blocked:
                self.blocked += 1
                errors = [f for f in scrub.findings if f.severity == "error"]
                # Each category once a visit, in the findings' order (a set's order would make
                # the summary's ties come out differently from run to run).
                self.blocked_by.update(dict.fromkeys((f.category for f in errors), 1))
                self.errors_by_rule.update(f.rule for f in errors)
        if priced is not None:
            self.add_priced(priced)

    def add_priced(self, p: PricedVisit) -> None:
        self.priced = True
        if not p.complete:
            self.unpriced += 1
            return
        self.allowed += p.allowed or ZERO
        self.expected += p.expected_payment or ZERO
        self.patient += p.patient_responsibility or ZERO

    def lines_of_text(self, as_of: dt.date | None = None, how: str = "") -> list[str]:
        head = plural(self.visits, "visit")
        if as_of is not None:
            head += f" as of {as_of}{how}"
        if self.scrubbed:
            head += f": {self.visits - self.blocked:,} ready, {self.blocked:,} blocked"
        said = [head]
        if self.blocked_by:
            said.append(
                "  blocked by category: "
                + ", ".join(f"{k} {n:,}" for k, n in self.blocked_by.most_common())
            )
            said.append(
                "  errors by rule: "
                + ", ".join(f"{k} {n:,}" for k, n in self.errors_by_rule.most_common(10))
                + (" ..." if len(self.errors_by_rule) > 10 else "")
            )
        money = (
            f"  {plural(self.lines, 'billed line')}, {plural(self.units, 'unit')}, "
            f"charges {dollars(self.charges)}"
        )
        if self.priced:
            priced = self.visits - self.unpriced
            money += (
                f"; expected payment {dollars(self.expected)}, patient "
                f"{dollars(self.patient)} (allowed {dollars(self.allowed)}"
                + (
                    f", on the {plural(priced, 'visit')} that could be priced)"
                    if self.unpriced
                    else ")"
                )
            )
        said.append(money)
        return said

    def show(self, as_of: dt.date | None = None, how: str = "") -> None:
        out.print()
        for i, line in enumerate(self.lines_of_text(as_of, how)):
            out.print(
                f"[bold]{escape(line)}[/]" if i == 0 else escape(line),
                highlight=False,
                soft_wrap=True,
            )
