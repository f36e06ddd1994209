"""FHIR R4 intake: a Bundle of clinical resources (one visit per Encounter) or Claims (one
visit per Claim) -> visits. docs/intake.md maps every element to its visit field.

Each resource is checked with fhir.resources' R4B models (which cover R4) when the file is
read with `validate="full"`; the visits are built from the parsed JSON either way, by accessors
that check each element the mapping reads and name it (`Procedure[3].performedPeriod`) when
it is wrong. Validating every resource with the models costs about 25 times the rest of the
intake (docs/benchmarks.md), so a bulk file is read with `validate="mapped"` (the default):
the elements the mapping reads are checked, the others are not.

What FHIR has no element for (the plan of care in force, progress reports, authorizations, the
note's signature) comes from the ledger's history, or from the ptbill extensions named below,
which `ptbill demo-data --format fhir` writes and docs/intake.md documents.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import orjson
from pydantic import ValidationError

from ptbill.config.profiles import Config
from ptbill.domain.visit import Visit
from ptbill.errors import InputError, InputErrors
from ptbill.intake.build import Draft, Recognise, finish, no_clinic

Validate = Literal["mapped", "full"]

NPI = "http://hl7.org/fhir/sid/us-npi"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
CPT = "http://www.ama-assn.org/go/cpt"
HCPCS = "urn:oid:2.16.840.1.113883.6.285"
EIN = "urn:oid:2.16.840.1.113883.4.4"
POS = "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set"
NUCC = "http://nucc.org/provider-taxonomy"
PTBILL = "https://ptbill.dev/fhir/StructureDefinition/"
EXT_VISIT = PTBILL + "visit"  # Encounter/Claim: valueString, JSON of visit fields FHIR lacks
EXT_SERVICE = PTBILL + "service"  # Procedure/Claim.item: valueString, JSON of service fields
EXT_MODIFIER = PTBILL + "modifier"  # Procedure: valueCode, one per modifier
EXT_MINUTES = PTBILL + "minutes"  # Procedure.performer, Claim.item: valueInteger
FUNCTION = "https://ptbill.dev/fhir/CodeSystem/performer-function"  # therapist | assistant
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
CARE_TEAM_ROLE = "http://terminology.hl7.org/CodeSystem/claimcareteamrole"

_SEX = {"female": "F", "male": "M", "other": "U", "unknown": "U"}
_RELATIONSHIP = {"self": "self", "spouse": "spouse", "child": "child", "common": "spouse"}
# Encounter.participant.type (v3 ParticipationType) -> the visit's provider field.
_ROLES = {"PPRF": "rendering_provider", "SPRF": "supervising_provider", "REF": "referring_provider"}
_TEAM = {"primary": "rendering_provider", "supervisor": "supervising_provider"}
_TEAM_REFERRING = "referring"  # careTeam role code ptbill reads as the referring provider
_FIX_FHIR = (
    "send FHIR R4 JSON: a Bundle (collection, transaction, searchset or document) or a Claim"
)
_BUNDLE_TYPES = {"collection", "transaction", "searchset", "document", "batch"}


class _Fail(Exception):
    """An element the mapping cannot read: where it is, what is wrong, the fix."""

    def __init__(self, where: str, problem: str, fix: str) -> None:
        self.where, self.problem, self.fix = where, problem, fix


# Where a service's fields come from in its Procedure (the place of `services[n].FIELD`);
# units and charge come from its ChargeItem, which the visit's places name.
_PROCEDURE_ELEMENTS = {
    "code": ".code",
    "minutes": ".performedPeriod",
    "assistant_minutes": ".performer",
    "diagnosis_pointers": ".reasonReference",
    "note": ".reasonCode/outcome",
    "body_region": ".bodySite",
    "modifiers": f".extension({EXT_MODIFIER})",
}


class Res:
    """One resource and the label that names it in errors (`Procedure[3]`, 1-based per type)."""

    __slots__ = ("data", "label", "type")

    def __init__(self, data: dict[str, Any], label: str) -> None:
        self.data, self.label, self.type = data, label, data["resourceType"]

    def at(self, element: str) -> str:
        return f"{self.label}.{element}"

    def get(self, *path: str | int) -> Any:
        node: Any = self.data
        for step in path:
            if isinstance(step, int):
                node = node[step] if isinstance(node, list) and len(node) > step else None
            else:
                node = node.get(step) if isinstance(node, dict) else None
            if node is None:
                return None
        return node

    def text(self, *path: str | int) -> str | None:
        value = self.get(*path)
        if value is None:
            return None
        if not isinstance(value, str):
            raise _Fail(self.at(_dotted(path)), f"expected text, found {value!r}", "send a string")
        return value

    def list(self, name: str) -> list[Any]:
        value = self.data.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise _Fail(self.at(name), "expected a list", f"send {name} as a JSON array")
        return value

    def ident(self, system: str) -> str | None:
        for entry in self.list("identifier"):
            if isinstance(entry, dict) and entry.get("system") == system:
                value = entry.get("value")
                return value if isinstance(value, str) else None
        return None

    def extension(self, url: str, key: str = "valueString") -> Any:
        return _extension(self.data, url, key)


def _dotted(path: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def _extension(node: Any, url: str, key: str = "valueString") -> Any:
    if not isinstance(node, dict):
        return None
    for ext in node.get("extension") or ():
        if isinstance(ext, dict) and ext.get("url") == url:
            return ext.get(key)
    return None


def _extensions(node: Any, url: str, key: str) -> list[Any]:
    if not isinstance(node, dict):
        return []
    return [
        e.get(key)
        for e in node.get("extension") or ()
        if isinstance(e, dict) and e.get("url") == url
    ]


def _code(concept: Any, *systems: str) -> str | None:
    if isinstance(concept, dict):
        for coding in concept.get("coding") or ():
            if isinstance(coding, dict) and coding.get("system") in systems:
                code = coding.get("code")
                return code if isinstance(code, str) else None
    return None


def _any_code(concept: Any) -> str | None:
    if isinstance(concept, dict):
        for coding in concept.get("coding") or ():
            if isinstance(coding, dict) and isinstance(coding.get("code"), str):
                return str(coding["code"])
    return None


def _instant(value: Any, where: str) -> dt.datetime:
    if isinstance(value, str) and len(value) >= 16 and value[10:11] == "T":
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
    raise _Fail(
        where,
        f"{value!r} is not a FHIR dateTime with a time",
        "write e.g. 2025-03-03T09:00:00-06:00",
    )


def _date(value: Any, where: str) -> str:
    """The calendar date of a FHIR date or dateTime (as the clinic wrote it, no time zone
    conversion)."""
    if isinstance(value, str) and len(value) >= 10:
        try:
            return dt.date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            pass
    raise _Fail(where, f"{value!r} is not a FHIR date", "write the date as YYYY-MM-DD")


def _json_ext(res: Res, node: Any, url: str, where: str) -> dict[str, Any]:
    raw = _extension(node, url)
    if raw is None:
        return {}
    try:  # a float in it (money) becomes a Decimal, never a binary float
        value = json.loads(raw, parse_float=Decimal) if isinstance(raw, str) else None
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise _Fail(
            f"{where}.extension({url})",
            "expected a JSON object as valueString",
            "fix the extension",
        )
    return value


# -- reading the file ------------------------------------------------------------------------


Found = list[tuple[dict[str, Any], str | None]]  # each resource and its Bundle fullUrl


def parse(text: str, origin: str) -> Found:
    """The resources of a FHIR JSON file: a Bundle's entries, a lone resource, or NDJSON (one
    resource or Bundle a line, as FHIR bulk export writes)."""
    try:
        docs = [orjson.loads(text)]
    except orjson.JSONDecodeError:
        docs = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    docs.append(orjson.loads(line))
                except orjson.JSONDecodeError as e:
                    raise InputError(
                        file=origin,
                        visit_id=None,
                        field=f"line {number}",
                        problem=f"not valid JSON ({e})",
                        fix=_FIX_FHIR,
                    ) from None
    out: Found = []
    for n, doc in enumerate(docs, start=1):
        _resources(doc, None, origin, f"document {n}" if len(docs) > 1 else "document", out)
    return out


def _resources(doc: Any, url: str | None, origin: str, where: str, out: Found) -> None:
    if not isinstance(doc, dict) or not isinstance(doc.get("resourceType"), str):
        raise InputError(
            file=origin,
            visit_id=None,
            field=where,
            problem="not a FHIR resource (no resourceType)",
            fix=_FIX_FHIR,
        )
    if doc["resourceType"] != "Bundle":
        out.append((doc, url))
        return
    kind = doc.get("type")
    if kind not in _BUNDLE_TYPES:
        raise InputError(
            file=origin,
            visit_id=None,
            field=f"{where}: Bundle.type",
            problem=f"a {kind!r} Bundle holds no clinical record to bill",
            fix="send a collection, transaction, searchset or document Bundle",
        )
    for i, entry in enumerate(doc.get("entry") or (), start=1):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise InputError(
                file=origin,
                visit_id=None,
                field=f"{where}: Bundle.entry[{i}].resource",
                problem="the entry holds no resource",
                fix="give each entry a resource",
            )
        full = entry.get("fullUrl")
        _resources(resource, full if isinstance(full, str) else None, origin, where, out)


class Index:
    """The file's resources by reference (Type/id and fullUrl) and by type."""

    def __init__(self, resources: Found) -> None:
        self.by_ref: dict[str, Res] = {}
        self.by_type: dict[str, list[Res]] = {}
        for data, url in resources:
            kind = data["resourceType"]
            same = self.by_type.setdefault(kind, [])
            res = Res(data, f"{kind}[{len(same) + 1}]")
            same.append(res)
            if isinstance(data.get("id"), str):
                self.by_ref[f"{kind}/{data['id']}"] = res
            if url is not None:
                self.by_ref[url] = res
                tail = url.rsplit("/", 2)[-2:]  # .../Patient/123 -> Patient/123
                if len(tail) == 2:
                    self.by_ref.setdefault("/".join(tail), res)

    def ref(self, owner: Res, element: str, node: Any, kinds: tuple[str, ...]) -> Res:
        reference = node.get("reference") if isinstance(node, dict) else None
        found = self.by_ref.get(reference) if isinstance(reference, str) else None
        if found is None or found.type not in kinds:
            raise _Fail(
                owner.at(element),
                f"reference {reference!r} does not name a {' or '.join(kinds)} in the file",
                "include the referenced resource in the Bundle",
            )
        return found

    def optional_ref(
        self, owner: Res, element: str, node: Any, kinds: tuple[str, ...]
    ) -> Res | None:
        return None if node is None else self.ref(owner, element, node, kinds)

    def of(self, kind: str) -> list[Res]:
        return self.by_type.get(kind, [])


def validate_models(resources: Found, origin: str) -> None:
    """Every resource checked against fhir.resources' R4B model of its type (slow: see the
    module's docstring); all problems are reported."""
    from fhir.resources.R4B import get_fhir_model_class

    errors: list[InputError] = []
    counts: dict[str, int] = {}
    for body, _ in resources:
        kind = body["resourceType"]
        counts[kind] = counts.get(kind, 0) + 1
        try:
            get_fhir_model_class(kind).model_validate(body)
        except ValueError as e:  # an unknown resource type, or pydantic's ValidationError
            problems = (
                [(_dotted(tuple(x["loc"])), x["msg"]) for x in e.errors(include_url=False)]
                if isinstance(e, ValidationError)
                else [("resourceType", str(e))]
            )
            for where, problem in problems[:5]:
                errors.append(
                    InputError(
                        file=origin,
                        visit_id=None,
                        field=f"{kind}[{counts[kind]}].{where}",
                        problem=f"not valid FHIR R4: {problem}",
                        fix="correct the element (FHIR R4 resource definitions)",
                    )
                )
    if errors:
        raise InputErrors(errors)


def read(text: str, origin: str, config: Config, validate: Validate = "mapped") -> list[Visit]:
    resources = parse(text, origin)
    if validate == "full":
        validate_models(resources, origin)
    index = Index(resources)
    mapper = _Mapper(index, Recognise(config), origin)
    drafts: list[Draft] = []
    errors: list[InputError] = []
    units = [*index.of("Encounter"), *index.of("Claim")]
    if not units:
        raise InputError(
            file=origin,
            visit_id=None,
            field="Bundle",
            problem="no Encounter or Claim: nothing to bill",
            fix=_FIX_FHIR,
        )
    for res in units:
        try:
            drafts.append(mapper.encounter(res) if res.type == "Encounter" else mapper.claim(res))
        except _Fail as f:
            errors.append(
                InputError(
                    file=origin, visit_id=_id_of(res), field=f.where, problem=f.problem, fix=f.fix
                )
            )
        except InputError as e:
            errors.append(e)
    if errors:
        raise InputErrors(errors)
    return finish(drafts, origin)


def _id_of(res: Res) -> str | None:
    ident = res.get("identifier", 0, "value")
    value = ident if isinstance(ident, str) else res.data.get("id")
    return value if isinstance(value, str) else None


# -- the mapping ----------------------------------------------------------------------------------


class _Mapper:
    def __init__(self, index: Index, recognise: Recognise, origin: str) -> None:
        self.index, self.recognise, self.origin = index, recognise, origin
        self._positions: dict[int, int] = {}  # a Condition's 1-based place in the diagnoses
        # What a resource many visits share (a patient, a practitioner, an account) gives a
        # visit, worked out once: (document fields, their places).
        self._memo: dict[tuple[Any, ...], tuple[dict[str, Any], dict[str, str]]] = {}
        self._providers: dict[int, dict[str, Any]] = {}
        # Procedures, Conditions and ChargeItems by the Encounter/Procedure they belong to.
        self.procedures = self._children("Procedure", "encounter")
        self.conditions = self._children("Condition", "encounter")
        self.charges: dict[int, Res] = {}
        for item in index.of("ChargeItem"):
            for i, service in enumerate(item.list("service")):
                proc = index.ref(item, f"service[{i}]", service, ("Procedure",))
                self.charges[id(proc)] = item

    def _children(self, kind: str, element: str) -> dict[int, list[Res]]:
        out: dict[int, list[Res]] = {}
        for res in self.index.of(kind):
            parent = res.get(element)
            if parent is not None:
                enc = self.index.ref(res, element, parent, ("Encounter",))
                out.setdefault(id(enc), []).append(res)
        return out

    # -- an Encounter and its resources -----------------------------------------------------

    def encounter(self, enc: Res) -> Draft:
        vid = _id_of(enc)
        d = Draft({}, enc.label, elements=_PROCEDURE_ELEMENTS)
        d.put("visit_id", vid, f"{enc.label}.identifier")
        start = enc.get("period", "start")
        if start is None:
            raise _Fail(enc.at("period.start"), "the Encounter has no date", "give period.start")
        d.put("date_of_service", _date(start, enc.at("period.start")), enc.at("period.start"))
        locations = tuple(map(str, enc.list("location")))
        self._shared(("pos", locations), d, lambda x: self._place_of_service(x, enc))
        patient = self.index.ref(enc, "subject", enc.get("subject"), ("Patient",))
        self._shared(("patient", id(patient)), d, lambda x: self._patient(x, patient))
        account = str(enc.get("account")) if enc.get("account") else id(patient)
        self._shared(("coverages", account), d, lambda x: self._coverages(x, enc, patient))
        provider = str(enc.get("serviceProvider"))
        self._shared(
            ("billing", provider),
            d,
            lambda x: self._billing(x, enc, enc.get("serviceProvider"), "serviceProvider"),
        )
        for i, part in enumerate(enc.list("participant")):
            role = None
            for t in part.get("type") or () if isinstance(part, dict) else ():
                role = role or _ROLES.get(_code(t, PARTICIPATION) or "")
            if not isinstance(part, dict):
                continue
            if role is not None:
                who = self.index.ref(
                    enc, f"participant[{i}].individual", part.get("individual"), ("Practitioner",)
                )
                d.put(role, self._provider(who), who.label)
        self._diagnoses(d, enc)
        services: list[dict[str, Any]] = []
        for proc in self.procedures.get(id(enc), []):
            services.append(self._procedure(d, proc, len(services)))
        d.put("services", services, f"{enc.label} (its Procedures)")
        self._extras(d, enc, enc.data)
        return d

    def _shared(self, key: tuple[Any, ...], d: Draft, build: Callable[[Draft], None]) -> None:
        part = self._memo.get(key)
        if part is None:
            scratch = Draft({}, d.where)
            build(scratch)
            part = self._memo[key] = (scratch.doc, scratch.places)
        d.doc.update(part[0])
        d.places.update(part[1])

    def _place_of_service(self, d: Draft, enc: Res) -> None:
        for i, loc in enumerate(enc.list("location")):
            where = self.index.ref(
                enc,
                f"location[{i}].location",
                loc.get("location") if isinstance(loc, dict) else None,
                ("Location",),
            )
            for t in where.list("type"):
                code = _code(t, POS)
                if code is not None:
                    d.put("place_of_service", code, where.at("type"))
                    return

    def _patient(self, d: Draft, p: Res) -> None:
        name = p.get("name", 0) or {}
        d.put("patient.id", p.get("identifier", 0, "value") or p.data.get("id"), p.at("identifier"))
        d.put("patient.first_name", (name.get("given") or [None])[0], p.at("name.given"))
        d.put("patient.last_name", name.get("family"), p.at("name.family"))
        d.put("patient.birth_date", p.text("birthDate"), p.at("birthDate"))
        d.put("patient.sex", _SEX.get(p.text("gender") or "", p.get("gender")), p.at("gender"))
        address = _address(p, "address")
        if address is not None:
            d.put("patient.address", address, p.at("address"))

    def _coverages(self, d: Draft, enc: Res, patient: Res) -> None:
        """The Encounter's Account's coverages by priority; without an Account, the patient's
        active Coverages by order."""
        account = self.index.optional_ref(enc, "account[0]", enc.get("account", 0), ("Account",))
        found: list[Res] = []
        if account is not None:
            ranked = []
            for i, entry in enumerate(account.list("coverage")):
                node = entry.get("coverage") if isinstance(entry, dict) else None
                cov = self.index.ref(account, f"coverage[{i}].coverage", node, ("Coverage",))
                priority = entry.get("priority")
                ranked.append((priority if isinstance(priority, int) else 99, i, cov))
            found = [c for _, _, c in sorted(ranked, key=lambda x: x[:2])]
        else:
            for cov in self.index.of("Coverage"):
                who = cov.get("beneficiary")
                if who is None or cov.get("status") not in (None, "active"):
                    continue
                if self.index.ref(cov, "beneficiary", who, ("Patient",)) is patient:
                    found.append(cov)
            found.sort(key=lambda c: c.get("order") if isinstance(c.get("order"), int) else 99)
        if not found:
            raise _Fail(
                enc.at("account"),
                "no coverage: no Account with coverages, nor an active Coverage of the Patient",
                "include the patient's Coverage resources",
            )
        self._put_coverages(d, [self._coverage(d, c, n) for n, c in enumerate(found)])

    def _put_coverages(self, d: Draft, entries: list[dict[str, Any]]) -> None:
        if len(entries) == 1:
            d.put("payer", entries[0]["payer"], d.places.pop("coverages[0].payer"))
            d.put("subscriber", entries[0]["subscriber"], d.places.pop("coverages[0].subscriber"))
        else:
            d.doc["coverages"] = entries

    def _coverage(self, d: Draft, cov: Res, n: int) -> dict[str, Any]:
        payors = cov.list("payor")
        payer = None
        values: list[str] = []
        for i, ref in enumerate(payors):
            org = self.index.ref(
                cov, f"payor[{i}]", ref, ("Organization", "Patient", "RelatedPerson")
            )
            if org.type != "Organization":
                continue
            values += [
                str(e["value"])
                for e in org.list("identifier")
                if isinstance(e, dict) and isinstance(e.get("value"), str)
            ]
            values += [org.text("name") or ""]
            payer = self.recognise.payer(values)
            if payer:
                break
        if payer is None:
            self.recognise.unknown_payer(
                self.origin, cov.at("payor"), values[0] if values else "(none)", None
            )
        sub: dict[str, Any] = {
            "member_id": cov.text("subscriberId") or cov.get("identifier", 0, "value")
        }
        relationship = _code(
            cov.get("relationship"), "http://terminology.hl7.org/CodeSystem/subscriber-relationship"
        ) or _any_code(cov.get("relationship"))
        if relationship:
            sub["relationship"] = _RELATIONSHIP.get(relationship, "other")
        for cls in cov.list("class"):
            if _any_code(cls.get("type") if isinstance(cls, dict) else None) == "group":
                sub["group_number"] = cls.get("value")
        holder = cov.get("subscriber")
        if holder is not None and sub.get("relationship", "self") != "self":
            person = self.index.ref(cov, "subscriber", holder, ("Patient", "RelatedPerson"))
            name = person.get("name", 0) or {}
            sub.update(
                first_name=(name.get("given") or [None])[0],
                last_name=name.get("family"),
                birth_date=person.text("birthDate"),
            )
            if person.get("gender"):
                sub["sex"] = _SEX.get(person.text("gender") or "", "U")
            sub["address"] = _address(person, "address")
        d.places[f"coverages[{n}].payer"] = cov.at("payor")
        d.places[f"coverages[{n}].subscriber"] = cov.label
        return {"payer": payer, "subscriber": {k: v for k, v in sub.items() if v is not None}}

    def _billing(self, d: Draft, owner: Res, node: Any, element: str) -> None:
        org = self.index.optional_ref(owner, element, node, ("Organization", "Practitioner"))
        if org is None:
            clinic = self.recognise.default_clinic()
            if clinic is None:
                no_clinic(self.origin, owner.at(element), _id_of(owner))
            d.put("clinic", clinic, owner.at(element))
            return
        npi = org.ident(NPI)
        clinic = self.recognise.clinic_of_npi(npi)
        if clinic is not None:
            d.put("clinic", clinic, org.at("identifier"))
            return
        provider: dict[str, Any] = {
            "name": org.text("name"),
            "npi": npi,
            "tax_id": org.ident(EIN),
            "address": _address(org, "address"),
        }
        d.put("billing_provider", {k: v for k, v in provider.items() if v is not None}, org.label)

    def _provider(self, p: Res) -> dict[str, Any]:
        known = self._providers.get(id(p))
        if known is None:
            known = self._providers[id(p)] = self._read_provider(p)
        return known

    def _read_provider(self, p: Res) -> dict[str, Any]:
        name = p.get("name", 0) or {}
        out: dict[str, Any] = {
            "npi": p.ident(NPI),
            "first_name": (name.get("given") or [None])[0],
            "last_name": name.get("family"),
        }
        for q in p.list("qualification"):
            concept = q.get("code") if isinstance(q, dict) else None
            taxonomy = _code(concept, NUCC)
            if taxonomy:
                out["taxonomy"] = taxonomy
            elif _any_code(concept):
                out.setdefault("credential", _any_code(concept))
        return {k: v for k, v in out.items() if v is not None}

    def _diagnoses(self, d: Draft, enc: Res) -> None:
        ranked = []
        for i, entry in enumerate(enc.list("diagnosis")):
            cond = self.index.ref(
                enc,
                f"diagnosis[{i}].condition",
                entry.get("condition") if isinstance(entry, dict) else None,
                ("Condition",),
            )
            rank = entry.get("rank")
            ranked.append((rank if isinstance(rank, int) else 99, i, cond))
        conditions = [c for _, _, c in sorted(ranked, key=lambda x: x[:2])] or self.conditions.get(
            id(enc), []
        )
        codes = []
        self._positions = {}
        for n, cond in enumerate(conditions):
            code = _code(cond.get("code"), ICD10CM)
            if code is None:
                raise _Fail(
                    cond.at("code"), "no ICD-10-CM coding", f"code the condition in {ICD10CM}"
                )
            d.places[f"diagnoses[{n}]"] = cond.at("code")
            codes.append(code)
            self._positions[id(cond)] = n + 1
        d.doc["diagnoses"] = codes

    def _procedure(self, d: Draft, proc: Res, n: int) -> dict[str, Any]:
        at = f"services[{n}]"
        data = proc.data  # read directly: a bulk file has a Procedure per service
        code = _code(data.get("code"), CPT, HCPCS)
        if code is None:
            raise _Fail(proc.at("code"), "no CPT or HCPCS coding", f"code the procedure in {CPT}")
        s: dict[str, Any] = {"code": code}
        d.places[at] = proc.label  # its fields' elements: _PROCEDURE_ELEMENTS
        if "extension" in data:
            mods = _extensions(data, EXT_MODIFIER, "valueCode")
            if mods:
                s["modifiers"] = mods
        period = data.get("performedPeriod")
        if period is not None:
            if not isinstance(period, dict):
                period = {}
            start = _instant(period.get("start"), proc.at("performedPeriod.start"))
            end = _instant(period.get("end"), proc.at("performedPeriod.end"))
            seconds = (end - start).total_seconds()
            if seconds < 0:
                raise _Fail(
                    proc.at("performedPeriod"),
                    "the period ends before it starts",
                    "correct start and end",
                )
            s["minutes"] = int(seconds // 60)
            performers = data.get("performer")
            assistant = (
                self._assistant_minutes(proc, s["minutes"])
                if isinstance(performers, list)
                and len(performers) > 1
                or _has_assistant(performers)
                else 0
            )
            if assistant:
                s["assistant_minutes"] = assistant
        pointers = []
        for i, reason in enumerate(
            proc.list("reasonReference") if "reasonReference" in data else ()
        ):
            cond = self.index.ref(proc, f"reasonReference[{i}]", reason, ("Condition",))
            if id(cond) not in self._positions:
                raise _Fail(
                    proc.at(f"reasonReference[{i}]"),
                    "the Condition is not one of the Encounter's diagnoses",
                    "list it in Encounter.diagnosis",
                )
            pointers.append(self._positions[id(cond)])
        if pointers:
            s["diagnosis_pointers"] = pointers
        purpose, response = proc.get("reasonCode", 0, "text"), proc.get("outcome", "text")
        if purpose is not None or response is not None:
            s["note"] = {
                k: v for k, v in (("purpose", purpose), ("response", response)) if v is not None
            }
        region = proc.get("bodySite", 0, "text")
        if region is not None:
            s["body_region"] = region
        item = self.charges.get(id(proc))
        if item is not None:
            quantity = item.get("quantity", "value")
            if quantity is not None:
                s["units"] = quantity
                d.places[f"{at}.units"] = item.at("quantity")
            price = item.get("priceOverride", "value")
            if price is not None:
                s["charge"] = _money(price, item.at("priceOverride"))
                d.places[f"{at}.charge"] = item.at("priceOverride")
        extra = _json_ext(proc, data, EXT_SERVICE, proc.label) if "extension" in data else {}
        for key in extra:
            d.places[f"{at}.{key}"] = f"{proc.label}.extension({EXT_SERVICE})"
        return {**s, **extra}

    def _assistant_minutes(self, proc: Res, minutes: int) -> int:
        total, assistants, others = 0, 0, 0
        for performer in proc.list("performer"):
            function = _code(
                performer.get("function") if isinstance(performer, dict) else None, FUNCTION
            )
            if function != "assistant":
                others += 1
                continue
            assistants += 1
            own = _extension(performer, EXT_MINUTES, "valueInteger")
            total += own if isinstance(own, int) else (minutes if not others else 0)
        return min(total, minutes) if assistants else 0

    def _extras(self, d: Draft, res: Res, node: Any) -> None:
        for key, value in _json_ext(res, node, EXT_VISIT, res.label).items():
            old = d.doc.get(key)
            merged = (
                {**old, **value} if isinstance(old, dict) and isinstance(value, dict) else value
            )
            d.put(key, merged, f"{res.label}.extension({EXT_VISIT})")

    # -- a Claim ------------------------------------------------------------------------------

    def claim(self, claim: Res) -> Draft:
        d = Draft({}, claim.label)
        d.put("visit_id", _id_of(claim), claim.at("identifier"))
        patient = self.index.ref(claim, "patient", claim.get("patient"), ("Patient",))
        self._patient(d, patient)
        self._billing(d, claim, claim.get("provider"), "provider")
        self._claim_coverages(d, claim)
        team: dict[int, tuple[str, Res]] = {}
        for i, member in enumerate(claim.list("careTeam")):
            who = self.index.ref(
                claim,
                f"careTeam[{i}].provider",
                member.get("provider"),
                ("Practitioner", "Organization"),
            )
            role = _code(member.get("role"), CARE_TEAM_ROLE) or _any_code(member.get("role")) or ""
            team[member.get("sequence")] = (role, who)
            field = _TEAM.get(role) or ("referring_provider" if role == _TEAM_REFERRING else None)
            if field is not None and field not in d.doc:
                d.put(field, self._provider(who), claim.at(f"careTeam[{i}]"))
        referral = claim.get("referral")
        if referral is not None and "referring_provider" not in d.doc:
            request = self.index.ref(claim, "referral", referral, ("ServiceRequest",))
            doctor = self.index.ref(
                request, "requester", request.get("requester"), ("Practitioner",)
            )
            d.put("referring_provider", self._provider(doctor), request.at("requester"))
        by_sequence = []
        for i, dx in enumerate(claim.list("diagnosis")):
            code = _code(
                dx.get("diagnosisCodeableConcept") if isinstance(dx, dict) else None, ICD10CM
            )
            if code is None:
                raise _Fail(
                    claim.at(f"diagnosis[{i}].diagnosisCodeableConcept"),
                    "no ICD-10-CM code",
                    f"code it in {ICD10CM}",
                )
            by_sequence.append((dx.get("sequence") or i + 1, i, code))
        by_sequence.sort()
        position = {seq: n + 1 for n, (seq, _, _) in enumerate(by_sequence)}
        d.doc["diagnoses"] = [code for _, _, code in by_sequence]
        for n, (_, i, _) in enumerate(by_sequence):
            d.places[f"diagnoses[{n}]"] = claim.at(f"diagnosis[{i}]")
        services: list[dict[str, Any]] = []
        days: set[str] = set()
        for i, item in enumerate(claim.list("item")):
            where = f"item[{i}]"
            s: dict[str, Any] = {}
            code = _code(item.get("productOrService"), CPT, HCPCS)
            if code is None:
                raise _Fail(
                    claim.at(f"{where}.productOrService"),
                    "no CPT or HCPCS coding",
                    f"code it in {CPT}",
                )
            s["code"] = code
            mods = [_any_code(m) for m in item.get("modifier") or ()]
            if mods:
                s["modifiers"] = mods
            quantity = (
                item.get("quantity", {}).get("value")
                if isinstance(item.get("quantity"), dict)
                else None
            )
            if quantity is not None:
                s["units"] = quantity
            minutes = _extension(item, EXT_MINUTES, "valueInteger")
            if minutes is not None:
                s["minutes"] = minutes
            net = item.get("net", {}).get("value") if isinstance(item.get("net"), dict) else None
            unit_price = (
                item.get("unitPrice", {}).get("value")
                if isinstance(item.get("unitPrice"), dict)
                else None
            )
            if net is not None:
                s["charge"] = _money(net, claim.at(f"{where}.net"))
            elif unit_price is not None and quantity is not None:
                s["charge"] = _money(unit_price, claim.at(f"{where}.unitPrice")) * Decimal(
                    str(quantity)
                )
            pointers = []
            for seq in item.get("diagnosisSequence") or ():
                if seq not in position:
                    raise _Fail(
                        claim.at(f"{where}.diagnosisSequence"),
                        f"no diagnosis with sequence {seq}",
                        "point at a Claim.diagnosis sequence",
                    )
                pointers.append(position[seq])
            if pointers:
                s["diagnosis_pointers"] = pointers
            for seq in item.get("careTeamSequence") or ():
                role, _ = team.get(seq, ("", None))
                if role == "assist" and minutes is not None:
                    s["assistant_minutes"] = minutes
            day = item.get("servicedDate")
            if day is None:
                raise _Fail(
                    claim.at(f"{where}.servicedDate"), "the item has no date", "give servicedDate"
                )
            days.add(_date(day, claim.at(f"{where}.servicedDate")))
            pos = _code(item.get("locationCodeableConcept"), POS)
            if pos is not None:
                d.put("place_of_service", pos, claim.at(f"{where}.locationCodeableConcept"))
            extra = _json_ext(claim, item, EXT_SERVICE, claim.at(where))
            for key, place in (
                ("code", "productOrService"),
                ("modifiers", "modifier"),
                ("units", "quantity"),
                ("charge", "net"),
                ("diagnosis_pointers", "diagnosisSequence"),
                ("minutes", f"extension({EXT_MINUTES})"),
            ):
                d.places[f"services[{len(services)}].{key}"] = claim.at(f"{where}.{place}")
            services.append({**s, **extra})
        if len(days) > 1:
            raise _Fail(
                claim.at("item.servicedDate"),
                f"the items are on {len(days)} different days",
                "send one Claim per visit (one date of service)",
            )
        if days:
            d.put("date_of_service", days.pop(), claim.at("item[0].servicedDate"))
        d.put("services", services, claim.at("item"))
        self._extras(d, claim, claim.data)
        return d

    def _claim_coverages(self, d: Draft, claim: Res) -> None:
        ordered = sorted(
            enumerate(claim.list("insurance")),
            key=lambda x: x[1].get("sequence", x[0]) if isinstance(x[1], dict) else x[0],
        )
        entries = []
        for n, (i, ins) in enumerate(ordered):
            cov = self.index.ref(
                claim, f"insurance[{i}].coverage", ins.get("coverage"), ("Coverage",)
            )
            entries.append(self._coverage(d, cov, n))
        if not entries:
            raise _Fail(
                claim.at("insurance"),
                "the Claim names no coverage",
                "give insurance with a Coverage",
            )
        self._put_coverages(d, entries)


def _has_assistant(performers: Any) -> bool:
    return isinstance(performers, list) and any(
        _code(p.get("function"), FUNCTION) == "assistant" for p in performers if isinstance(p, dict)
    )


def _address(res: Res, element: str) -> dict[str, Any] | None:
    a = res.get(element, 0) if isinstance(res.get(element), list) else res.get(element)
    if not isinstance(a, dict):
        return None
    lines = a.get("line") or []
    out = {
        "line1": lines[0] if lines else None,
        "line2": lines[1] if len(lines) > 1 else None,
        "city": a.get("city"),
        "state": a.get("state"),
        "zip": a.get("postalCode"),
    }
    return {k: v for k, v in out.items() if v is not None}


def _money(value: Any, where: str) -> Decimal:
    try:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise InvalidOperation
        return Decimal(str(value))
    except InvalidOperation:
        raise _Fail(
            where, f"{value!r} is not an amount", "send the amount as a decimal number"
        ) from None
