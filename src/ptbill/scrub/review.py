"""The visit under review: the visit, its coded lines, its payer context and the dates, with the
lookups several rules share computed once."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Generic, NamedTuple, TypeVar

from ptbill.coding.context import VisitContext
from ptbill.coding.modifiers import DISTINCT_MODIFIERS, NcciHit, ncci_pairs
from ptbill.config.profiles import PayerProfile
from ptbill.domain.coded import CodedLine, CodedVisit
from ptbill.domain.visit import Authorization, PlanOfCare, Service, Visit
from ptbill.reference.catalog import EVALUATION_CODES, CodeInfo, catalog
from ptbill.reference.ncci import PtpTable, ptp_table

T = TypeVar("T")


# How many other visits a duplicate finding names (it counts them all).
NAMED_MAX = 3


# A patient's day: (billing clinic, the clinic's patient id, date of service). A patient id is
# the clinic's own: the same id at two clinics is two patients.
PatientDay = tuple[str, str, dt.date]


def clinic_named(visit: Visit) -> str:
    """The billing clinic a visit names: its configured key, else its billing provider's NPI."""
    if visit.clinic is not None:
        return visit.clinic
    assert visit.billing_provider is not None  # the visit format asks for one or the other
    return f"npi:{visit.billing_provider.npi}"


class SameDay(NamedTuple):
    """The other visits of a visit's patient and day (other visit ids) that bill a code it
    bills: how many, the codes they share, and the first few of their visit ids."""

    visits: int
    codes: tuple[str, ...]
    first: tuple[str, ...]


class _Day:
    """One patient's visits of one day (two or more), indexed so that what a visit shares with
    the others is counted from the index, not by comparing it with each of them: a visit
    copied 3,000 times into a run stays linear. Answers depend only on a visit's id and codes,
    so they are computed once per distinct (visit id, codes)."""

    def __init__(self, visits: list[Visit]) -> None:
        self.sets: Counter[frozenset[str]] = Counter()  # a visit's codes -> how many visits
        self.codes: Counter[str] = Counter()  # code -> how many visits bill it
        self.sets_of: dict[str, list[frozenset[str]]] = defaultdict(list)  # by visit id
        self.position: dict[str, int] = {}  # visit id -> where it first appears
        # code -> the first visit ids billing it, enough to name NAMED_MAX besides any one id
        self.first: dict[str, dict[str, None]] = defaultdict(dict)
        for v in visits:
            codes = frozenset(s.code for s in v.services)
            self.sets[codes] += 1
            self.codes.update(codes)
            self.sets_of[v.visit_id].append(codes)
            self.position.setdefault(v.visit_id, len(self.position))
            for code in codes:
                ids = self.first[code]
                if len(ids) <= NAMED_MAX:
                    ids[v.visit_id] = None
        self._answers: dict[tuple[str, frozenset[str]], SameDay | None] = {}

    def same_day(self, visit_id: str, codes: frozenset[str]) -> SameDay | None:
        key = (visit_id, codes)
        if key not in self._answers:
            self._answers[key] = self._same_day(visit_id, codes)
        return self._answers[key]

    def _same_day(self, visit_id: str, codes: frozenset[str]) -> SameDay | None:
        mine = self.sets_of.get(visit_id, [])
        # Visits sharing a code, less those with this visit id (this visit among them).
        count = sum(n for other, n in self.sets.items() if not codes.isdisjoint(other))
        count -= sum(1 for other in mine if not codes.isdisjoint(other))
        if count == 0:
            return None
        own: Counter[str] = Counter()
        for other in mine:
            own.update(other)
        shared = tuple(sorted(c for c in codes if self.codes[c] > own[c]))
        named = {i for code in shared for i in self.first[code] if i != visit_id}
        first = sorted(named, key=self.position.__getitem__)[:NAMED_MAX]
        return SameDay(count, shared, tuple(first))


class Batch:
    """The visits of one run, indexed once, so duplicate checks stay linear in the batch."""

    def __init__(
        self, visits: Iterable[Visit], contexts: Iterable[VisitContext] | None = None
    ) -> None:
        """`contexts` (one per visit, when the caller resolved them) name each visit's billing
        clinic as configured, so that a clinic's key and its NPI are one clinic; without them,
        the clinic is the one the visit names."""
        # Values that depend only on reference data and their key (which names the reference
        # snapshot), shared by the run's visits.
        self.memo: dict[object, object] = {}
        self.by_id: dict[str, list[Visit]] = defaultdict(list)
        self.by_patient_day: dict[PatientDay, list[Visit]] = defaultdict(list)
        self._day_of: dict[int, PatientDay] = {}  # id(visit) -> its patient and day
        visits = list(visits)
        clinics = (
            [c.clinic_key for c in contexts] if contexts is not None else map(clinic_named, visits)
        )
        for v, clinic in zip(visits, clinics, strict=True):
            self.by_id[v.visit_id].append(v)
            key = self._day_of[id(v)] = (clinic, v.patient.id, v.date_of_service)
            self.by_patient_day[key].append(v)
        # By id(): the batch holds its visits, so no other live object has these ids.
        self._members = set(self._day_of)
        # The usual visit: the only one with its visit_id and the only one of its patient that
        # day.
        self._alone = {
            id(vs[0])
            for vs in self.by_id.values()
            if len(vs) == 1 and len(self.by_patient_day[self._day_of[id(vs[0])]]) == 1
        }
        self._days: dict[PatientDay, _Day] = {}

    def _key(self, visit: Visit) -> PatientDay:
        found = self._day_of.get(id(visit))
        if found is None:  # a visit not of the batch, looked up against it
            return (clinic_named(visit), visit.patient.id, visit.date_of_service)
        return found

    @classmethod
    def of(cls, batch: Batch | Iterable[Visit] | None) -> Batch | None:
        if batch is None or isinstance(batch, Batch):
            return batch
        return cls(batch)

    def may_repeat(self, visit: Visit) -> bool:
        """Whether another visit of the batch may share this visit's id, or its patient and
        day: False for a visit alone in its batch, and for every visit against an empty one."""
        return bool(self._day_of) and id(visit) not in self._alone

    def alone(self, visit: Visit) -> bool:
        """Whether the visit is one of the batch's and has no other visit with its visit_id,
        nor of its patient on its day."""
        return id(visit) in self._alone

    def copies(self, visit: Visit) -> int:
        """How many other visits of the batch have this visit's visit_id."""
        if id(visit) in self._alone:
            return 0
        return len(self.by_id.get(visit.visit_id, ())) - (id(visit) in self._members)

    def same_day(self, visit: Visit) -> SameDay | None:
        """The other visits (other visit ids) of this visit's patient and day that bill a
        code it bills, or None."""
        if id(visit) in self._alone:
            return None
        key = self._key(visit)
        day = self._days.get(key)
        if day is None:
            visits = self.by_patient_day.get(key)
            if not visits:
                return None
            day = self._days[key] = _Day(visits)
        return day.same_day(visit.visit_id, frozenset(s.code for s in visit.services))

    def others(self, visit: Visit) -> tuple[list[Visit], list[Visit]]:
        """(other visits with this visit_id, other visits of this patient on this day): lists
        as long as the duplicates; the rules use copies() and same_day(), which count them."""
        if id(visit) in self._alone:
            return [], []
        by_id = self.by_id.get(visit.visit_id, ())
        by_day = self.by_patient_day.get(self._key(visit), ())
        if len(by_day) <= 1 and len(by_id) <= 1:  # the usual case: only the visit itself
            return [v for v in by_id if v is not visit], []
        same_id = [v for v in by_id if v is not visit]
        same_day = [v for v in by_day if v is not visit and v.visit_id != visit.visit_id]
        return same_id, same_day


class Needs:
    """What a visit may have that some rules need before they can find anything (a bit each).
    A rule registered with `needs` (ptbill.scrub.registry.rule) is skipped for a visit that
    has none of them: it would have returned at its first test (tests/scrub/test_rule_needs.py
    runs every such rule on visits without them)."""

    EVALUATION = 1 << 0  # a billed evaluation or re-evaluation line (97161-97164)
    DISTINCT = 1 << 1  # a billed line with 59 or an X modifier
    UNBILLED = 1 << 2  # a coded line with no unit
    NOTHING_BILLED = 1 << 3  # no billed line at all
    REQUESTED_UNITS = 1 << 4  # a coded line with units the visit asked for
    CHARGES = 1 << 5  # a service with the EMR's charge
    ASSISTANT = 1 << 6  # a service with assistant minutes
    SIGNED = 1 << 7  # a signature on the note
    BATCH = 1 << 8  # other visits in the run that may repeat this one
    HISTORY = 1 << 9  # the patient's prior claims
    REPLACEMENT = 1 << 10  # a replacement or void claim (frequency 7 or 8)
    ELIGIBILITY = 1 << 11  # an eligibility answer in the episode
    AUTHORIZATION = 1 << 12  # an authorization in the episode
    PLAN_OF_CARE = 1 << 13  # a plan of care in the episode
    PROGRESS_REPORT = 1 << 14  # a progress report at this visit
    UNKNOWN_CODE = 1 << 15  # a coded line whose code is not in the catalog
    NO_MINUTES = 1 << 16  # a coded line without minutes
    UNLISTED = 1 << 17  # a billed line of PFS status C (unlisted, contractor-priced)
    UNTIMED_UNITS = 1 << 18  # a billed untimed code with more than one unit
    NO_CHARGE = 1 << 19  # a billed line without a charge


class _PerVisit(Generic[T]):
    """A value computed on first use and then kept on the review, like
    functools.cached_property but without its per-access lock (Python 3.11), which costs more
    than most rules."""

    def __init__(self, make: Callable[[Review], T]) -> None:
        self.make = make
        self.name = make.__name__
        self.__doc__ = make.__doc__

    def __get__(self, review: Review, owner: type | None = None) -> T:
        if review is None:
            return self
        # Stored under the same name, the value shadows this descriptor from now on. Set as an
        # attribute: writing to review.__dict__ would turn every later attribute lookup on the
        # review into a slower dictionary lookup (CPython 3.11+).
        value = self.make(review)
        setattr(review, self.name, value)
        return value


class Review:
    """Everything a rule may look at. Plain attributes for what every visit needs; values
    computed on first use for what only some rules need."""

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
        self.episode = episode = visit.episode
        self.poc: PlanOfCare | None = episode.plan_of_care if episode else None
        self.auth: Authorization | None = episode.authorization if episode else None
        # The coded lines, indexed in one pass:
        # (1-based line number, line) for lines that carry at least one unit;
        self.billed: list[tuple[int, CodedLine]] = []
        # billed code -> the number of its first billed line;
        self.billed_codes: dict[str, int] = {}
        # the billed evaluation and re-evaluation lines (97161-97164);
        self.evaluation_lines: list[tuple[int, CodedLine]] = []
        # the billed lines that carry a distinct-service modifier (59, XE, XS, XP, XU);
        self.distinct_lines: list[tuple[int, CodedLine]] = []
        # every coded line's code -> its catalog entry (None: not in the catalog).
        self.code_info: dict[str, CodeInfo | None] = {}
        known = catalog()
        has = 0  # what the visit has of Needs
        for n, line in enumerate(coded.lines, start=1):
            info = self.code_info[line.code] = known.get(line.code)
            if info is None:
                has |= Needs.UNKNOWN_CODE
            if line.requested_units is not None:
                has |= Needs.REQUESTED_UNITS
            if line.minutes is None:
                has |= Needs.NO_MINUTES
            if line.units > 0:
                if line.charge is None:
                    has |= Needs.NO_CHARGE
                if info is not None:
                    if info.mpfs_status == "C":
                        has |= Needs.UNLISTED
                    if line.units > 1 and info.timed is False:
                        has |= Needs.UNTIMED_UNITS
                self.billed.append((n, line))
                self.billed_codes.setdefault(line.code, n)
                if line.code in EVALUATION_CODES:
                    self.evaluation_lines.append((n, line))
                    has |= Needs.EVALUATION
                if not DISTINCT_MODIFIERS.isdisjoint(line.modifiers):
                    self.distinct_lines.append((n, line))
                    has |= Needs.DISTINCT
            else:
                has |= Needs.UNBILLED
        if not self.billed:
            has |= Needs.NOTHING_BILLED
        for s in visit.services:
            if s.charge is not None:
                has |= Needs.CHARGES
            if s.assistant_minutes:
                has |= Needs.ASSISTANT
        if visit.signed is not None:
            has |= Needs.SIGNED
        if batch is not None and batch.may_repeat(visit):
            has |= Needs.BATCH
        if self.history:
            has |= Needs.HISTORY
        if visit.frequency_code in ("7", "8"):
            has |= Needs.REPLACEMENT
        if episode is not None:
            if episode.eligibility is not None:
                has |= Needs.ELIGIBILITY
            if episode.authorization is not None:
                has |= Needs.AUTHORIZATION
            if episode.plan_of_care is not None:
                has |= Needs.PLAN_OF_CARE
            if episode.progress_report_this_visit:
                has |= Needs.PROGRESS_REPORT
        self.has = has
        self._shared: dict[str, object] = {}

    def shared(self, key: str, make: Callable[[Review], T]) -> T:
        """A value the rules of one group compute once per visit."""
        if key not in self._shared:
            self._shared[key] = make(self)
        return self._shared[key]  # type: ignore[return-value]

    def services_of(self, line: CodedLine) -> list[Service]:
        return list(map(self.visit.services.__getitem__, line.services))

    @_PerVisit
    def ncci(self) -> tuple[PtpTable | None, list[NcciHit]]:
        """The payer's PTP table and every edit in effect among the day's billed codes."""
        name = self.profile.ncci_table
        if self.batch is None:
            return self._ncci(name)
        # The same codes on the same day meet the same edits of the same table of the same
        # reference snapshot: computed once per run.
        key = ("ncci", self.ctx.reference.key, name, self.dos, tuple(self.billed_codes))
        found = self.batch.memo.get(key)
        if found is None:
            found = self.batch.memo[key] = self._ncci(name)
        return found  # type: ignore[return-value]

    def _ncci(self, name: str) -> tuple[PtpTable | None, list[NcciHit]]:
        table = None if name == "none" else ptp_table(name, self.ctx.reference)
        return table, ncci_pairs(table, list(self.billed_codes), self.dos)

    def lines_of(self, code: str) -> list[tuple[int, CodedLine]]:
        return [(n, x) for n, x in self.billed if x.code == code]
