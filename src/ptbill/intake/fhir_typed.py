"""The fast way through a FHIR R4 Bundle of Encounters: msgspec decodes it into structs of the
elements the mapping reads (and a few common ones it passes over: meta, text, status, ...),
their types checked in C while parsing, and the visits are mapped from them one Encounter at a
time.

It reads a file or declines it, never refuses it: `read` gives the visits, or None for any file
it does not read in full (an undeclared element, or one of another type; another resource
type, a Claim, a nested Bundle, NDJSON; a reference, date or code the mapping cannot use; a
visit the visit format refuses). A declined file is read by the generic reader
(ptbill.intake.fhir_map over the parsed JSON), which names the element and the fix. The
structs forbid undeclared elements because one skipped unread would go unchecked, where the
generic reader's parser checks every value (ptbill.intake.numbers refuses a number beyond
10^4300, for one). When both read a file they give the same visits
(tests/intake/test_fhir_typed.py, on the differential harness's 753 FHIR inputs);
docs/intake.md maps each element to its field.

Measured on 5,000 demo visits (docs/benchmarks/intake.md), CPU: the typed decoding 0.07-0.10 s
against 0.22-0.25 s for orjson's parse into dicts and the walk of the entries, the index and
the mapping 0.20 s against 0.47 s; the visits' validation (0.20 s) is the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Annotated, Any, TypeAlias

import msgspec
from pydantic import ValidationError

from ptbill.config.profiles import Config
from ptbill.domain.visit import Visit
from ptbill.errors import InputError
from ptbill.intake import fhir_resources as fr
from ptbill.intake.build import Draft, Recognise
from ptbill.intake.fhir_map import (
    RELATIONSHIP,
    ROLES,
    SEX,
    PeriodFault,
    assistant_share,
    period_minutes,
    put_texts,
)
from ptbill.intake.fhir_resources import Fail, fhir_date, instant, money
from ptbill.intake.numbers import json_object

# A file with an integer beyond int64 is declined: the generic reader reads it whole
# (ptbill.intake.numbers) and names the element it is wrong for.
Int = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]


class _Part(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """A FHIR element: null is the element absent, as the generic reader reads it."""


class Coding(_Part):
    system: str | None = None
    code: str | None = None
    display: str | None = None


class Concept(_Part):
    coding: list[Coding] | None = None
    text: str | None = None


class Ref(_Part):
    reference: str | None = None
    display: str | None = None


class Identifier(_Part):
    system: str | None = None
    value: str | None = None


class Extension(_Part):
    url: str | None = None
    valueString: str | None = None
    valueCode: str | None = None
    valueInteger: Int | None = None


class Period(_Part):
    start: str | None = None
    end: str | None = None


class HumanName(_Part):
    family: str | None = None
    given: list[str] | None = None


class Address(_Part):
    line: list[str] | None = None
    city: str | None = None
    state: str | None = None
    postalCode: str | None = None


# Elements of a Bundle, an entry or any resource that the mapping does not read but exports
# commonly carry (declared to be read past; a value of another type declines the file).
class Meta(_Part):
    versionId: str | None = None
    lastUpdated: str | None = None
    source: str | None = None
    profile: list[str] | None = None
    tag: list[Coding] | None = None
    security: list[Coding] | None = None


class Narrative(_Part):
    status: str | None = None
    div: str | None = None


class Resource(_Part, tag_field="resourceType"):
    id: str | None = None
    meta: Meta | None = None
    text: Narrative | None = None
    identifier: list[Identifier] | None = None


class Person(Resource):
    name: list[HumanName] | None = None
    birthDate: str | None = None
    gender: str | None = None
    address: list[Address] | None = None


class Patient(Person, tag=True):
    pass


class RelatedPerson(Person, tag=True):
    patient: Ref | None = None


class Organization(Resource, tag=True):
    name: str | None = None
    address: list[Address] | None = None


class Qualification(_Part):
    code: Concept | None = None


class Practitioner(Resource, tag=True):
    name: list[HumanName] | None = None
    qualification: list[Qualification] | None = None


class CoverageClass(_Part):
    type: Concept | None = None
    value: str | None = None


class Coverage(Resource, tag=True):
    status: str | None = None
    beneficiary: Ref | None = None
    payor: list[Ref] | None = None
    subscriberId: str | None = None
    subscriber: Ref | None = None
    relationship: Concept | None = None
    order: Int | None = None
    classes: list[CoverageClass] | None = msgspec.field(default=None, name="class")


class AccountCoverage(_Part):
    coverage: Ref | None = None
    priority: Int | None = None


class Account(Resource, tag=True):
    status: str | None = None
    subject: list[Ref] | None = None
    coverage: list[AccountCoverage] | None = None


class Condition(Resource, tag=True):
    subject: Ref | None = None
    encounter: Ref | None = None
    code: Concept | None = None


class Location(Resource, tag=True):
    name: str | None = None
    type: list[Concept] | None = None


class Participant(_Part):
    type: list[Concept] | None = None
    individual: Ref | None = None


class Diagnosis(_Part):
    condition: Ref | None = None
    rank: Int | None = None


class EncounterLocation(_Part):
    location: Ref | None = None


class Encounter(Resource, tag=True):
    status: str | None = None
    kind: Coding | None = msgspec.field(default=None, name="class")
    subject: Ref | None = None
    period: Period | None = None
    participant: list[Participant] | None = None
    diagnosis: list[Diagnosis] | None = None
    location: list[EncounterLocation] | None = None
    serviceProvider: Ref | None = None
    account: list[Ref] | None = None
    extension: list[Extension] | None = None


class Performer(_Part):
    actor: Ref | None = None
    function: Concept | None = None
    extension: list[Extension] | None = None


class Procedure(Resource, tag=True):
    status: str | None = None
    subject: Ref | None = None
    encounter: Ref | None = None
    code: Concept | None = None
    performedPeriod: Period | None = None
    performer: list[Performer] | None = None
    reasonReference: list[Ref] | None = None
    reasonCode: list[Concept] | None = None
    outcome: Concept | None = None
    bodySite: list[Concept] | None = None
    extension: list[Extension] | None = None


class Quantity(_Part):
    value: Int | None = None


class Money(_Part):
    value: Decimal | None = None  # as written (a float would round 17 digits), or a string
    currency: str | None = None


class ChargeItem(Resource, tag=True):
    status: str | None = None
    code: Concept | None = None
    subject: Ref | None = None
    context: Ref | None = None
    service: list[Ref] | None = None
    quantity: Quantity | None = None
    priceOverride: Money | None = None


Any_: TypeAlias = (
    Patient
    | RelatedPerson
    | Organization
    | Practitioner
    | Coverage
    | Account
    | Condition
    | Location
    | Encounter
    | Procedure
    | ChargeItem
)


class EntryRequest(_Part):
    method: str | None = None
    url: str | None = None


class EntrySearch(_Part):
    mode: str | None = None
    score: float | None = None


class Entry(_Part):
    resource: Any_
    fullUrl: str | None = None
    request: EntryRequest | None = None
    search: EntrySearch | None = None


class BundleLink(_Part):
    relation: str | None = None
    url: str | None = None


class Bundle(_Part):
    resourceType: str
    id: str | None = None
    meta: Meta | None = None
    type: str | None = None
    timestamp: str | None = None
    total: Int | None = None
    link: list[BundleLink] | None = None
    entry: list[Entry] | None = None


_DECODER = msgspec.json.Decoder(Bundle)
_BUNDLE_TYPES = {"collection", "transaction", "searchset", "document", "batch"}


class Declined(Exception):
    """The file is left to the generic reader."""


# What declines a file once its Bundle is decoded: the mapping's own refusals (Fail, InputError)
# and the visit format's (ValidationError), each of which the generic reader reports in full.
DECLINES = (Declined, Fail, InputError, ValidationError)


def mapper_of(text: str, config: Config) -> TypedMapper | None:
    """The Bundle of Encounters decoded and indexed, or None when it is left to the generic
    reader (see the module's docstring)."""
    try:
        bundle = _DECODER.decode(text)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError, UnicodeError):
        return None
    if bundle.resourceType != "Bundle" or bundle.type not in _BUNDLE_TYPES:
        return None
    try:
        mapper = TypedMapper(bundle.entry or [], Recognise(config))
    except DECLINES:
        return None
    return mapper if mapper.encounters else None


def read(text: str, config: Config) -> list[Visit] | None:
    """The visits of a Bundle of Encounters, or None when the file is left to the generic
    reader."""
    mapper = mapper_of(text, config)
    try:
        return list(mapper.visits()) if mapper is not None else None
    except DECLINES:
        return None


def _index(by_ref: dict[str, Resource], name: str, res: Resource) -> None:
    """Index a resource by a name; one that names another resource too declines the file (the
    generic reader refuses it), the same one sent twice is one."""
    before = by_ref.setdefault(name, res)
    if before is not res and before != res:
        raise Declined


def _code_in(concept: Concept | None, *systems: str) -> str | None:
    if concept is not None and concept.coding:
        for coding in concept.coding:
            if coding.system in systems:
                return coding.code
    return None


def _any_code(concept: Concept | None) -> str | None:
    if concept is not None and concept.coding:
        for coding in concept.coding:
            if coding.code is not None:
                return coding.code
    return None


def _name(res: Person | Practitioner) -> tuple[str | None, str | None]:
    name = res.name[0] if res.name else None
    if name is None:
        return None, None
    return (name.given[0] if name.given else None), name.family


def _ident(res: Resource, system: str) -> str | None:
    for entry in res.identifier or ():
        if entry.system == system:
            return entry.value
    return None


def _first_value(res: Resource) -> str | None:
    return res.identifier[0].value if res.identifier else None


def _address(addresses: list[Address] | None) -> dict[str, Any] | None:
    if not addresses:
        return None
    a = addresses[0]
    lines = a.line or []
    out = {
        "line1": lines[0] if lines else None,
        "line2": lines[1] if len(lines) > 1 else None,
        "city": a.city,
        "state": a.state,
        "zip": a.postalCode,
    }
    return {k: v for k, v in out.items() if v is not None}


def _extension(extensions: list[Extension] | None, url: str) -> Extension | None:
    for ext in extensions or ():
        if ext.url == url:
            return ext
    return None


def _json_extension(extensions: list[Extension] | None, url: str) -> dict[str, Any]:
    ext = _extension(extensions, url)
    raw = ext.valueString if ext is not None else None
    if raw is None:
        return {}
    try:
        value = json_object(raw)
    except (ValueError, ArithmeticError, RecursionError):
        raise Declined from None
    if not isinstance(value, dict):
        raise Declined
    return value


def _first_text(concepts: list[Concept] | None) -> str | None:
    return concepts[0].text if concepts else None


class TypedMapper:
    """The generic mapping (ptbill.intake.fhir_map.Mapper) over the typed resources; where
    that one raises an error, this one declines."""

    def __init__(self, entries: list[Entry], recognise: Recognise) -> None:
        self.recognise = recognise
        by_ref: dict[str, Resource] = {}
        self.encounters: list[Encounter] = []
        self.coverages: list[Coverage] = []
        procedures: list[Procedure] = []
        conditions: list[Condition] = []
        items: list[ChargeItem] = []
        lists: dict[type, list[Any]] = {
            Encounter: self.encounters,
            Coverage: self.coverages,
            Procedure: procedures,
            Condition: conditions,
            ChargeItem: items,
        }
        for entry in entries:
            res, url = entry.resource, entry.fullUrl
            same = lists.get(type(res))
            if same is not None:
                same.append(res)
            if res.id is not None:
                _index(by_ref, f"{type(res).__name__}/{res.id}", res)
            if url is not None:
                _index(by_ref, url, res)
                if url.count("/") > 1:  # .../Patient/123 -> Patient/123
                    by_ref.setdefault("/".join(url.rsplit("/", 2)[-2:]), res)
        self.by_ref = by_ref
        self.procedures = self._children(procedures)
        self.conditions = self._children(conditions)
        self.charges: dict[int, ChargeItem] = {}
        for item in items:
            for service in item.service or ():
                self.charges[id(self.ref(service, Procedure))] = item
        self._positions: dict[int, int] = {}
        self._memo: dict[tuple[Any, ...], dict[str, Any]] = {}
        self._providers: dict[int, dict[str, Any]] = {}
        self._codes: dict[int, str] = {}
        self._days: dict[str, str] = {}
        self._instants: dict[str, dt.datetime] = {}

    def visits(self) -> Iterator[Visit]:
        """Each Encounter's visit, mapped and validated as it comes; raises one of DECLINES
        at the first the typed reader does not read."""
        for enc in self.encounters:
            yield Visit.model_validate(self.encounter(enc))

    def ref(self, node: Ref | None, *kinds: type[Any]) -> Any:
        ref = node.reference if node is not None else None
        found = self.by_ref.get(ref) if ref is not None else None
        if found is None or not isinstance(found, kinds):
            raise Declined
        return found

    def _children(self, resources: list[Any]) -> dict[int, list[Any]]:
        out: dict[int, list[Any]] = {}
        for res in resources:
            if res.encounter is not None:
                out.setdefault(id(self.ref(res.encounter, Encounter)), []).append(res)
        return out

    def _shared(self, key: tuple[Any, ...], doc: dict[str, Any], build: Any, *args: Any) -> None:
        part = self._memo.get(key)
        if part is None:
            part = self._memo[key] = {}
            build(part, *args)
        doc.update(part)

    # -- an Encounter and its resources -----------------------------------------------------

    def encounter(self, enc: Encounter) -> dict[str, Any]:
        value = _first_value(enc)
        doc: dict[str, Any] = {"visit_id": value if value is not None else enc.id}
        start = enc.period.start if enc.period is not None else None
        if start is None:
            raise Declined
        doc["date_of_service"] = self._day(start)
        locations = [loc.location for loc in enc.location or ()]
        key = ("pos", *[r.reference if r is not None else None for r in locations])
        self._shared(key, doc, self._place_of_service, locations)
        patient = self.ref(enc.subject, Patient)
        self._shared(("patient", id(patient)), doc, self._patient, patient)
        account = self.ref(enc.account[0], Account) if enc.account else None
        found = account if account is not None else patient
        self._shared(("coverages", id(found)), doc, self._coverages, account, patient)
        node = enc.serviceProvider
        org = self.ref(node, Organization, Practitioner) if node is not None else None
        self._shared(("billing", id(org)), doc, self._billing, org)
        for part in enc.participant or ():
            role = None
            for t in part.type or ():
                role = role or ROLES.get(_code_in(t, fr.PARTICIPATION) or "")
            if role is not None:
                doc[role] = self._provider(self.ref(part.individual, Practitioner))
        doc["diagnoses"] = self._diagnoses(enc)
        doc["services"] = [self._procedure(p) for p in self.procedures.get(id(enc), ())]
        fields = _json_extension(enc.extension, fr.EXT_VISIT)
        if fields:
            Draft(doc, "").merge(fields, "")
        return doc

    def _day(self, value: str) -> str:
        day = self._days.get(value)
        if day is None:
            day = self._days[value] = fhir_date(value, "")
        return day

    def _instant(self, value: str | None) -> dt.datetime:
        found = self._instants.get(value) if value is not None else None
        if found is None:
            found = instant(value, "")
            self._instants[value] = found  # type: ignore[index]  # not None: instant raised
        return found

    def _place_of_service(self, part: dict[str, Any], locations: list[Ref | None]) -> None:
        for node in locations:
            where: Location = self.ref(node, Location)
            for t in where.type or ():
                code = _code_in(t, fr.POS)
                if code is not None:
                    part["place_of_service"] = code
                    return

    def _patient(self, part: dict[str, Any], p: Patient) -> None:
        first, family = _name(p)
        patient = part["patient"] = {
            "id": _first_value(p) or p.id,
            "first_name": first,
            "last_name": family,
            "birth_date": p.birthDate,
            "sex": SEX.get(p.gender or "", p.gender),
        }
        address = _address(p.address)
        if address is not None:
            patient["address"] = address

    def _coverages(self, part: dict[str, Any], account: Account | None, patient: Patient) -> None:
        found: list[Coverage] = []
        if account is not None:
            ranked = []
            for i, entry in enumerate(account.coverage or ()):
                cov = self.ref(entry.coverage, Coverage)
                ranked.append((entry.priority if entry.priority is not None else 99, i, cov))
            found = [c for _, _, c in sorted(ranked, key=lambda x: x[:2])]
        else:
            for cov in self.coverages:
                if cov.beneficiary is None or cov.status not in (None, "active"):
                    continue
                if self.ref(cov.beneficiary, Patient) is patient:
                    found.append(cov)
            found.sort(key=lambda c: c.order if c.order is not None else 99)
        if not found:
            raise Declined
        entries = [self._coverage(c) for c in found]
        if len(entries) == 1:
            part.update(entries[0])
        else:
            part["coverages"] = entries

    def _coverage(self, cov: Coverage) -> dict[str, Any]:
        payer = None
        values: list[str] = []
        for ref in cov.payor or ():
            org = self.ref(ref, Organization, Patient, RelatedPerson)
            if not isinstance(org, Organization):
                continue
            values += [e.value for e in org.identifier or () if e.value is not None]
            values += [org.name or ""]
            payer = self.recognise.payer(values)
            if payer:
                break
        if payer is None:
            raise Declined
        sub: dict[str, Any] = {"member_id": cov.subscriberId or _first_value(cov)}
        relationship = _code_in(cov.relationship, fr.SUBSCRIBER_RELATIONSHIP) or _any_code(
            cov.relationship
        )
        if relationship:
            sub["relationship"] = RELATIONSHIP.get(relationship, "other")
        for cls in cov.classes or ():
            if _any_code(cls.type) == "group":
                sub["group_number"] = cls.value
        if cov.subscriber is not None and sub.get("relationship", "self") != "self":
            person: Person = self.ref(cov.subscriber, Patient, RelatedPerson)
            first, family = _name(person)
            sub.update(first_name=first, last_name=family, birth_date=person.birthDate)
            if person.gender:
                sub["sex"] = SEX.get(person.gender, "U")
            sub["address"] = _address(person.address)
        return {"payer": payer, "subscriber": {k: v for k, v in sub.items() if v is not None}}

    def _billing(self, part: dict[str, Any], org: Organization | Practitioner | None) -> None:
        if org is None:
            clinic = self.recognise.default_clinic()
            if clinic is None:
                raise Declined
            part["clinic"] = clinic
            return
        npi = _ident(org, fr.NPI)
        clinic = self.recognise.clinic_of_npi(npi)
        if clinic is not None:
            part["clinic"] = clinic
            return
        if not isinstance(org, Organization):  # a Practitioner's name is no text
            raise Declined
        provider = {
            "name": org.name,
            "npi": npi,
            "tax_id": _ident(org, fr.EIN),
            "address": _address(org.address),
        }
        part["billing_provider"] = {k: v for k, v in provider.items() if v is not None}

    def _provider(self, p: Practitioner) -> dict[str, Any]:
        known = self._providers.get(id(p))
        if known is None:
            first, family = _name(p)
            out: dict[str, Any] = {
                "npi": _ident(p, fr.NPI),
                "first_name": first,
                "last_name": family,
            }
            for q in p.qualification or ():
                taxonomy = _code_in(q.code, fr.NUCC)
                if taxonomy:
                    out["taxonomy"] = taxonomy
                elif _any_code(q.code):
                    out.setdefault("credential", _any_code(q.code))
            known = self._providers[id(p)] = {k: v for k, v in out.items() if v is not None}
        return known

    def _diagnoses(self, enc: Encounter) -> list[str]:
        conditions: list[Condition]
        if enc.diagnosis:
            ranked = []
            for i, entry in enumerate(enc.diagnosis):
                cond = self.ref(entry.condition, Condition)
                ranked.append((entry.rank if entry.rank is not None else 99, i, cond))
            ranked.sort(key=lambda x: x[:2])
            conditions = [c for _, _, c in ranked]
        else:
            conditions = self.conditions.get(id(enc), [])
        codes = []
        positions: dict[int, int] = {}
        for n, cond in enumerate(conditions):
            code = self._codes.get(id(cond))
            if code is None:
                code = _code_in(cond.code, fr.ICD10CM)
                if code is None:
                    raise Declined
                self._codes[id(cond)] = code
            codes.append(code)
            positions[id(cond)] = n + 1
        self._positions = positions
        return codes

    def _procedure(self, proc: Procedure) -> dict[str, Any]:
        code = _code_in(proc.code, fr.CPT, fr.HCPCS)
        if code is None:
            raise Declined
        s: dict[str, Any] = {"code": code}
        exts = proc.extension
        if exts:
            mods = [e.valueCode for e in exts if e.url == fr.EXT_MODIFIER]
            if mods:
                s["modifiers"] = mods
        period = proc.performedPeriod
        if period is not None:
            s["minutes"] = minutes = self._minutes(period)
            performers = proc.performer
            if performers and (len(performers) > 1 or _has_assistant(performers)):
                assistant = _assistant_minutes(performers, minutes)
                if assistant:
                    s["assistant_minutes"] = assistant
        if proc.reasonReference:
            pointers = []
            by_ref, positions = self.by_ref, self._positions  # a Condition's: its position
            for reason in proc.reasonReference:
                cond = by_ref.get(reason.reference) if reason.reference is not None else None
                position = positions.get(id(cond)) if isinstance(cond, Condition) else None
                if position is None:
                    raise Declined
                pointers.append(position)
            s["diagnosis_pointers"] = pointers
        put_texts(
            s,
            _first_text(proc.reasonCode),
            proc.outcome.text if proc.outcome is not None else None,
            _first_text(proc.bodySite),
        )
        item = self.charges.get(id(proc)) if self.charges else None
        if item is not None:
            if item.quantity is not None and item.quantity.value is not None:
                s["units"] = item.quantity.value
            price = item.priceOverride.value if item.priceOverride is not None else None
            if price is not None:
                s["charge"] = _money(price)
        extra = _json_extension(exts, fr.EXT_SERVICE) if exts else None
        return {**s, **extra} if extra else s

    def _minutes(self, period: Period) -> int:
        try:
            return period_minutes(self._instant(period.start), self._instant(period.end))
        except PeriodFault:
            raise Declined from None


def _money(value: Decimal) -> Decimal:
    return money(value, "")


def _function(performer: Performer) -> str | None:
    return _code_in(performer.function, fr.FUNCTION)


def _has_assistant(performers: list[Performer]) -> bool:
    return any(_function(p) == "assistant" for p in performers)


def _assistant_minutes(performers: list[Performer], minutes: int) -> int:
    def function_and_own(performer: Performer) -> tuple[str | None, int | None]:
        function = _function(performer)
        if function != "assistant":
            return function, None
        ext = _extension(performer.extension, fr.EXT_MINUTES)
        return function, ext.valueInteger if ext is not None else None

    return assistant_share(map(function_and_own, performers), minutes)
