"""FHIR R4 resources as ptbill reads them: the file's resources indexed by reference, and
accessors that check each element the mapping reads and name it when it is wrong
(`Procedure[3].performedPeriod`). The mapping itself is ptbill.intake.fhir_map."""

from __future__ import annotations

import builtins
import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from ptbill.errors import InputError, a_or_an, clip
from ptbill.intake.numbers import json_object, loads

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
SUBSCRIBER_RELATIONSHIP = "http://terminology.hl7.org/CodeSystem/subscriber-relationship"
CARE_TEAM_ROLE = "http://terminology.hl7.org/CodeSystem/claimcareteamrole"

FIX_FHIR = "send FHIR R4 JSON: a Bundle (collection, transaction, searchset or document) or a Claim"
_BUNDLE_TYPES = {"collection", "transaction", "searchset", "document", "batch"}


class Fail(Exception):
    """An element the mapping cannot read: where it is, what is wrong, the fix."""

    def __init__(self, where: str, problem: str, fix: str) -> None:
        self.where, self.problem, self.fix = where, problem, fix


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
            raise Fail(self.at(dotted(path)), f"expected text, found {value!r}", "send a string")
        return value

    def list(self, name: str) -> list[Any]:
        value = self.data.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise Fail(self.at(name), "expected a list", f"send {name} as a JSON array")
        return value

    def objects(self, name: str) -> builtins.list[tuple[int, dict[str, Any]]]:
        """A list element whose entries must be objects (Claim.item, careTeam, insurance)."""
        out = []
        for i, entry in enumerate(self.list(name)):
            if not isinstance(entry, dict):
                raise Fail(
                    self.at(f"{name}[{i}]"),
                    "expected an object",
                    f"send {name} as a list of JSON objects",
                )
            out.append((i, entry))
        return out

    def name(self) -> tuple[Any, Any]:
        """The first given name and the family name of the resource's first HumanName."""
        name = self.get("name", 0) or {}
        if not isinstance(name, dict):
            raise Fail(
                self.at("name[0]"),
                "expected a HumanName object",
                "send name as a list of HumanName objects",
            )
        given = name.get("given") or [None]
        if isinstance(given, str):  # FHIR says a list; some exports send the one name bare
            return given, name.get("family")
        if not isinstance(given, list):
            raise Fail(
                self.at("name[0].given"),
                "expected a list of given names",
                "send given as a JSON array",
            )
        return given[0], name.get("family")

    def ident(self, system: str) -> str | None:
        for entry in self.list("identifier"):
            if isinstance(entry, dict) and entry.get("system") == system:
                value = entry.get("value")
                return value if isinstance(value, str) else None
        return None

    def extension(self, url: str, key: str = "valueString") -> Any:
        return extension(self.data, url, key)


def dotted(path: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def _list(node: dict[str, Any], key: str) -> Any:
    """node[key] when it is a list, else () (an element of another type holds no entries)."""
    value = node.get(key)
    return value if isinstance(value, list) else ()


def extension(node: Any, url: str, key: str = "valueString") -> Any:
    if not isinstance(node, dict):
        return None
    for ext in _list(node, "extension"):
        if isinstance(ext, dict) and ext.get("url") == url:
            return ext.get(key)
    return None


def extensions(node: Any, url: str, key: str) -> list[Any]:
    if not isinstance(node, dict):
        return []
    return [
        e.get(key) for e in _list(node, "extension") if isinstance(e, dict) and e.get("url") == url
    ]


def code_in(concept: Any, *systems: str) -> str | None:
    if isinstance(concept, dict):
        for coding in _list(concept, "coding"):
            if isinstance(coding, dict) and coding.get("system") in systems:
                code = coding.get("code")
                return code if isinstance(code, str) else None
    return None


def any_code(concept: Any) -> str | None:
    if isinstance(concept, dict):
        for coding in _list(concept, "coding"):
            if isinstance(coding, dict) and isinstance(coding.get("code"), str):
                return str(coding["code"])
    return None


def instant(value: Any, where: str) -> dt.datetime:
    if isinstance(value, str) and len(value) >= 16 and value[10:11] == "T":
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
    raise Fail(
        where,
        f"{value!r} is not a FHIR dateTime with a time",
        "write e.g. 2025-03-03T09:00:00-06:00",
    )


def fhir_date(value: Any, where: str) -> str:
    """The calendar date of a FHIR date or dateTime (as the clinic wrote it, no time zone
    conversion)."""
    if isinstance(value, str) and len(value) >= 10:
        try:
            return dt.date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            pass
    raise Fail(where, f"{value!r} is not a FHIR date", "write the date as YYYY-MM-DD")


def json_extension(res: Res, node: Any, url: str, where: str) -> dict[str, Any]:
    raw = extension(node, url)
    if raw is None:
        return {}
    try:
        value = json_object(raw) if isinstance(raw, str) else None
    except (ValueError, ArithmeticError, RecursionError):  # not JSON; 1e999999999999999999; deep
        value = None
    if not isinstance(value, dict):
        raise Fail(
            f"{where}.extension({url})",
            "expected a JSON object as valueString",
            "fix the extension",
        )
    return value


# -- reading the file ------------------------------------------------------------------------


Found = list[tuple[dict[str, Any], str | None]]  # each resource and its Bundle fullUrl


def parse(text: str, origin: str) -> Found:
    """The resources of a FHIR JSON file: a Bundle's entries, a lone resource, or NDJSON (one
    resource or Bundle a line, as FHIR bulk export writes). Its numbers are read exactly
    (ptbill.intake.numbers): money as the Decimal it is written as."""
    try:
        docs = [loads(text)]
    except json.JSONDecodeError as whole:
        docs = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    docs.append(loads(line))
                except json.JSONDecodeError as e:
                    bad, at = e, number
                    if not docs and "\n" in text.strip():
                        # Not NDJSON (its first line is no JSON of its own): a document of
                        # several lines, broken where the whole text's error says.
                        bad, at = whole, whole.lineno
                    raise InputError(
                        file=origin,
                        visit_id=None,
                        field=f"line {at}",
                        problem=f"not valid JSON ({bad})",
                        fix=FIX_FHIR,
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
            fix=FIX_FHIR,
        )
    if doc["resourceType"] != "Bundle":
        out.append((doc, url))
        return
    kind = doc.get("type")
    if not isinstance(kind, str) or kind not in _BUNDLE_TYPES:
        raise InputError(
            file=origin,
            visit_id=None,
            field=f"{where}: Bundle.type",
            problem=(
                f"a Bundle of type {clip(kind, quote=True)}"
                if kind is not None
                else "a Bundle without a type"
            )
            + " holds no clinical record to bill",
            fix="send a collection, transaction, searchset or document Bundle",
        )
    append = out.append
    for i, entry in enumerate(doc.get("entry") or (), start=1):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        kind = resource.get("resourceType") if isinstance(resource, dict) else None
        if not isinstance(resource, dict) or not isinstance(kind, str):
            raise InputError(
                file=origin,
                visit_id=None,
                field=f"{where}: Bundle.entry[{i}].resource",
                problem="the entry holds no resource",
                fix="give each entry a resource",
            )
        full = entry.get("fullUrl")
        if kind == "Bundle":
            _resources(resource, None, origin, where, out)
        else:
            append((resource, full if isinstance(full, str) else None))


class Index:
    """The file's resources by reference (Type/id and fullUrl) and by type."""

    def __init__(self, resources: Found) -> None:
        self.by_ref: dict[str, Res] = {}
        self.by_type: dict[str, list[Res]] = {}
        by_ref, by_type = self.by_ref, self.by_type
        for data, url in resources:
            kind = data["resourceType"]
            same = by_type.get(kind)
            if same is None:
                same = by_type[kind] = []
            res = Res(data, f"{kind}[{len(same) + 1}]")
            same.append(res)
            rid = data.get("id")
            if isinstance(rid, str):
                _name(by_ref, f"{kind}/{rid}", res)
            if url is not None:
                _name(by_ref, url, res)
                if url.count("/") > 1:  # .../Patient/123 -> Patient/123
                    by_ref.setdefault("/".join(url.rsplit("/", 2)[-2:]), res)

    def find(self, node: Any, kinds: tuple[str, ...]) -> Res | None:
        """The resource a Reference names, if it is one of `kinds` (else None)."""
        reference = node.get("reference") if isinstance(node, dict) else None
        found = self.by_ref.get(reference) if isinstance(reference, str) else None
        return found if found is not None and found.type in kinds else None

    def ref(self, owner: Res, element: str, node: Any, kinds: tuple[str, ...]) -> Res:
        found = self.find(node, kinds)
        if found is None:
            reference = node.get("reference") if isinstance(node, dict) else None
            raise Fail(
                owner.at(element),
                f"reference {reference!r} does not name {a_or_an(' or '.join(kinds))} in the file",
                "include the referenced resource in the Bundle",
            )
        return found

    def optional_ref(
        self, owner: Res, element: str, node: Any, kinds: tuple[str, ...]
    ) -> Res | None:
        return None if node is None else self.ref(owner, element, node, kinds)

    def of(self, kind: str) -> list[Res]:
        return self.by_type.get(kind, [])


def _name(by_ref: dict[str, Res], name: str, res: Res) -> None:
    """Index a resource by a name (its fullUrl, Type/id); another resource of that name is
    refused (a reference to it would pick one in silence), the same one sent twice is one."""
    before = by_ref.setdefault(name, res)
    if before is not res and before.data != res.data:
        raise Fail(
            res.label,
            f"{name!r} is {before.label}'s name too, with other content",
            "give each resource its own fullUrl and id (they are unique in a Bundle)",
        )


def id_of(res: Res) -> str | None:
    ident = res.get("identifier", 0, "value")
    value = ident if isinstance(ident, str) else res.data.get("id")
    return value if isinstance(value, str) else None


def address_of(res: Res, element: str) -> dict[str, Any] | None:
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


def money(value: Any, where: str) -> Decimal:
    try:
        if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
            raise InvalidOperation
        return Decimal(str(value))
    except InvalidOperation:
        raise Fail(
            where, f"{value!r} is not an amount", "send the amount as a decimal number"
        ) from None


def _bundle_named(kind: object) -> str:
    if kind is None:
        return "a Bundle without a type"
    return f"a Bundle of type {clip(kind, quote=True)}"
