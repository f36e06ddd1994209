"""The visit under review: the visit, its coded lines, its payer context and the dates, with the
lookups several rules share computed once."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property
from typing import TypeVar

from ptbill.coding.context import VisitContext
from ptbill.coding.modifiers import NcciHit, ncci_pairs
from ptbill.config.profiles import PayerProfile
from ptbill.domain.coded import CodedLine, CodedVisit
from ptbill.domain.visit import Authorization, PlanOfCare, Service, Visit
from ptbill.reference.catalog import EVALUATION_CODES, CodeInfo, catalog
from ptbill.reference.ncci import PtpTable, ptp_table

T = TypeVar("T")


class Batch:
    """The visits of one run, indexed once, so duplicate checks stay linear in the batch."""

    def __init__(self, visits: Iterable[Visit]) -> None:
        # Values that depend only on reference data and their key, shared by the run's visits
        # (reference data do not change during a run).
        self.memo: dict[object, object] = {}
        self.by_id: dict[str, list[Visit]] = defaultdict(list)
        self.by_patient_day: dict[tuple[str, dt.date], list[Visit]] = defaultdict(list)
        for v in visits:
            self.by_id[v.visit_id].append(v)
            self.by_patient_day[(v.patient.id, v.date_of_service)].append(v)

    @classmethod
    def of(cls, batch: Batch | Iterable[Visit] | None) -> Batch | None:
        if batch is None or isinstance(batch, Batch):
            return batch
        return cls(batch)

    def others(self, visit: Visit) -> tuple[list[Visit], list[Visit]]:
        """(other visits with this visit_id, other visits of this patient on this day)."""
        by_id = self.by_id.get(visit.visit_id, ())
        by_day = self.by_patient_day.get((visit.patient.id, visit.date_of_service), ())
        if len(by_day) <= 1 and len(by_id) <= 1:  # the usual case: only the visit itself
            return [v for v in by_id if v is not visit], []
        same_id = [v for v in by_id if v is not visit]
        same_day = [v for v in by_day if v is not visit and v.visit_id != visit.visit_id]
        return same_id, same_day


class Review:
    """Everything a rule may look at. Plain attributes for what every visit needs; cached
    properties for what only some rules need."""

    def __init__(
        self,
        visit: Visit,
        coded: CodedVisit,
        ctx: VisitContext,
        as_of: dt.date,
        history: Sequence[CodedVisit] | None,
        batch: Batch | None,
    ) -> None:
        self.visit = visit
        self.coded = coded
        self.ctx = ctx
        self.profile: PayerProfile = ctx.profile
        self.dos = visit.date_of_service
        self.as_of = as_of
        self.history = tuple(history or ())
        self.batch = batch
        self.episode = visit.episode
        self.poc: PlanOfCare | None = self.episode.plan_of_care if self.episode else None
        self.auth: Authorization | None = self.episode.authorization if self.episode else None
        # (1-based line number, line) for lines that carry at least one unit.
        self.billed: list[tuple[int, CodedLine]] = [
            (n, line) for n, line in enumerate(coded.lines, start=1) if line.units > 0
        ]
        self._shared: dict[str, object] = {}

    def shared(self, key: str, make: Callable[[Review], T]) -> T:
        """A value the rules of one group compute once per visit."""
        if key not in self._shared:
            self._shared[key] = make(self)
        return self._shared[key]  # type: ignore[return-value]

    @cached_property
    def billed_codes(self) -> dict[str, int]:
        """Billed code -> the number of its first billed line."""
        out: dict[str, int] = {}
        for n, line in self.billed:
            out.setdefault(line.code, n)
        return out

    @cached_property
    def code_info(self) -> dict[str, CodeInfo | None]:
        known = catalog()
        return {line.code: known.get(line.code) for line in self.coded.lines}

    def services_of(self, line: CodedLine) -> list[Service]:
        return [self.visit.services[i] for i in line.services]

    @cached_property
    def evaluation_lines(self) -> list[tuple[int, CodedLine]]:
        return [(n, x) for n, x in self.billed if x.code in EVALUATION_CODES]

    @cached_property
    def ncci(self) -> tuple[PtpTable | None, list[NcciHit]]:
        """The payer's PTP table and every edit in effect among the day's billed codes."""
        name = self.profile.ncci_table
        table = None if name == "none" else ptp_table(name)
        codes = list(self.billed_codes)
        if self.batch is None:
            return table, ncci_pairs(table, codes, self.dos)
        # The same codes on the same day meet the same edits: computed once per run.
        key = ("ncci", name, self.dos, tuple(codes))
        memo = self.batch.memo
        if key not in memo:
            memo[key] = ncci_pairs(table, codes, self.dos)
        return table, memo[key]  # type: ignore[return-value]

    def lines_of(self, code: str) -> list[tuple[int, CodedLine]]:
        return [(n, x) for n, x in self.billed if x.code == code]
