"""The FHIR R4 mapping: an Encounter and the resources around it -> one visit document (the
Claim's mapping is ptbill.intake.fhir_claim). docs/intake.md has the element of every field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from ptbill.intake.build import Draft, Recognise, no_clinic
from ptbill.intake.fhir_resources import (
    CPT,
    EIN,
    EXT_MINUTES,
    EXT_MODIFIER,
    EXT_SERVICE,
    EXT_VISIT,
    FUNCTION,
    HCPCS,
    ICD10CM,
    NPI,
    NUCC,
    PARTICIPATION,
    POS,
    SUBSCRIBER_RELATIONSHIP,
    Fail,
    Index,
    Res,
    address_of,
    any_code,
    code_in,
    extension,
    extensions,
    fhir_date,
    id_of,
    instant,
    json_extension,
    money,
)  # fmt: skip

SEX = {"female": "F", "male": "M", "other": "U", "unknown": "U"}
RELATIONSHIP = {"self": "self", "spouse": "spouse", "child": "child", "common": "spouse"}
# Encounter.participant.type (v3 ParticipationType) -> the visit's provider field.
ROLES = {"PPRF": "rendering_provider", "SPRF": "supervising_provider", "REF": "referring_provider"}


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


_ENCOUNTER, _PATIENT, _ACCOUNT = ("Encounter",), ("Patient",), ("Account",)
_LOCATION, _PRACTITIONER, _CONDITION = ("Location",), ("Practitioner",), ("Condition",)
_PROVIDER = ("Organization", "Practitioner")


def _refs(entries: list[Any], inner: str) -> tuple[str | int, ...]:
    """What a list of entries that hold a Reference in `inner` points at, as a memo key: the
    reference texts (an entry of another shape stands for itself, by its id)."""
    out: list[str | int] = []
    for e in entries:
        node = e.get(inner) if isinstance(e, dict) else None
        ref = node.get("reference") if isinstance(node, dict) else None
        out.append(ref if isinstance(ref, str) else id(e))
    return tuple(out)


class Mapper:
    def __init__(self, index: Index, recognise: Recognise, origin: str) -> None:
        self.index, self.recognise, self.origin = index, recognise, origin
        self._positions: dict[int, int] = {}  # a Condition's 1-based place in the diagnoses
        # What a resource many visits share (a patient, a practitioner, an account) gives a
        # visit, worked out once: (document fields, their places).
        self._memo: dict[tuple[Any, ...], tuple[dict[str, Any], dict[str, str]]] = {}
        self._providers: dict[int, dict[str, Any]] = {}
        self._codes: dict[int, tuple[str, str]] = {}  # a Condition: its ICD-10-CM code, place
        self._days: dict[str, str] = {}  # FHIR date(Time) text -> its ISO date
        self._instants: dict[str, dt.datetime] = {}  # FHIR dateTime text -> its instant
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
        find = self.index.find
        for res in self.index.of(kind):
            parent = res.data.get(element)
            if parent is not None:
                enc = find(parent, _ENCOUNTER) or self.index.ref(res, element, parent, _ENCOUNTER)
                found = out.get(id(enc))
                if found is None:
                    out[id(enc)] = [res]
                else:
                    found.append(res)
        return out

    # -- an Encounter and its resources -----------------------------------------------------

    def encounter(self, enc: Res) -> Draft:
        data, label, index = enc.data, enc.label, self.index
        doc: dict[str, Any] = {"visit_id": id_of(enc)}
        places = {"visit_id": f"{label}.identifier"}
        d = Draft(doc, label, places, elements=_PROCEDURE_ELEMENTS)
        period = data.get("period")
        start = period.get("start") if isinstance(period, dict) else None
        if start is None:
            raise Fail(enc.at("period.start"), "the Encounter has no date", "give period.start")
        places["date_of_service"] = at = f"{label}.period.start"
        doc["date_of_service"] = self._day(start, at)
        enc.list("location")  # checked: a list
        key: tuple[Any, ...] = ("pos", _refs(data.get("location") or [], "location"))
        self._shared(key, d, self._place_of_service, enc)
        patient = index.ref(enc, "subject", data.get("subject"), _PATIENT)
        self._shared(("patient", id(patient)), d, self._patient, patient)
        # The coverages depend on the first Account (else the patient's Coverages), the billing
        # provider on its Organization: shared by the resource; an unresolved reference is
        # worked out here, which raises its error.
        account = data.get("account")
        first = account[0] if isinstance(account, list) and account else None
        found = index.find(first, _ACCOUNT) if first is not None else patient
        if found is None:
            self._coverages(d, enc, patient)
        self._shared(("coverages", id(found)), d, self._coverages, enc, patient)
        node = data.get("serviceProvider")
        org = index.find(node, _PROVIDER) if node is not None else None
        if node is not None and org is None:
            self._billing(d, enc, node, "serviceProvider")
        key = ("billing", id(org) if org is not None else None)
        self._shared(key, d, self._billing, enc, node, "serviceProvider")
        if "participant" in data:
            self._participants(d, enc)
        self._diagnoses(d, enc)
        services: list[dict[str, Any]] = []
        for proc in self.procedures.get(id(enc), ()):
            services.append(self._procedure(d, proc, len(services)))
        doc["services"] = services
        places["services"] = f"{label} (its Procedures)"
        if "extension" in data:
            self._extras(d, enc, data)
        return d

    def _shared(
        self, key: tuple[Any, ...], d: Draft, build: Callable[..., None], *args: Any
    ) -> None:
        part = self._memo.get(key)
        if part is None:
            scratch = Draft({}, d.where)
            build(scratch, *args)
            part = self._memo[key] = (scratch.doc, scratch.places)
        d.doc.update(part[0])
        d.places.update(part[1])

    def _day(self, value: Any, where: str) -> str:
        day = self._days.get(value) if isinstance(value, str) else None
        if day is None:
            day = fhir_date(value, where)
            self._days[value] = day
        return day

    def _instant(self, res: Res, value: Any, element: str) -> dt.datetime:
        found = self._instants.get(value) if isinstance(value, str) else None
        if found is None:
            found = instant(value, res.at(element))
            self._instants[value] = found
        return found

    def _participants(self, d: Draft, enc: Res) -> None:
        index = self.index
        for i, part in enumerate(enc.list("participant")):
            role = None
            for t in part.get("type") or () if isinstance(part, dict) else ():
                role = role or ROLES.get(code_in(t, PARTICIPATION) or "")
            if not isinstance(part, dict):
                continue
            if role is not None:
                node = part.get("individual")
                who = index.find(node, _PRACTITIONER) or index.ref(
                    enc, f"participant[{i}].individual", node, _PRACTITIONER
                )
                d.doc[role] = self._provider(who)
                d.places[role] = who.label

    def _place_of_service(self, d: Draft, enc: Res) -> None:
        for i, loc in enumerate(enc.list("location")):
            where = self.index.ref(
                enc,
                f"location[{i}].location",
                loc.get("location") if isinstance(loc, dict) else None,
                ("Location",),
            )
            for t in where.list("type"):
                code = code_in(t, POS)
                if code is not None:
                    d.put("place_of_service", code, where.at("type"))
                    return

    def _patient(self, d: Draft, p: Res) -> None:
        first, family = p.name()
        d.put("patient.id", p.get("identifier", 0, "value") or p.data.get("id"), p.at("identifier"))
        d.put("patient.first_name", first, p.at("name.given"))
        d.put("patient.last_name", family, p.at("name.family"))
        d.put("patient.birth_date", p.text("birthDate"), p.at("birthDate"))
        d.put("patient.sex", SEX.get(p.text("gender") or "", p.get("gender")), p.at("gender"))
        address = address_of(p, "address")
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
            raise Fail(
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
        relationship = code_in(cov.get("relationship"), SUBSCRIBER_RELATIONSHIP) or any_code(
            cov.get("relationship")
        )
        if relationship:
            sub["relationship"] = RELATIONSHIP.get(relationship, "other")
        for cls in cov.list("class"):
            if any_code(cls.get("type") if isinstance(cls, dict) else None) == "group":
                sub["group_number"] = cls.get("value")
        holder = cov.get("subscriber")
        if holder is not None and sub.get("relationship", "self") != "self":
            person = self.index.ref(cov, "subscriber", holder, ("Patient", "RelatedPerson"))
            first, family = person.name()
            sub.update(
                first_name=first,
                last_name=family,
                birth_date=person.text("birthDate"),
            )
            if person.get("gender"):
                sub["sex"] = SEX.get(person.text("gender") or "", "U")
            sub["address"] = address_of(person, "address")
        d.places[f"coverages[{n}].payer"] = cov.at("payor")
        d.places[f"coverages[{n}].subscriber"] = cov.label
        return {"payer": payer, "subscriber": {k: v for k, v in sub.items() if v is not None}}

    def _billing(self, d: Draft, owner: Res, node: Any, element: str) -> None:
        org = self.index.optional_ref(owner, element, node, ("Organization", "Practitioner"))
        if org is None:
            clinic = self.recognise.default_clinic()
            if clinic is None:
                no_clinic(self.origin, owner.at(element), id_of(owner))
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
            "address": address_of(org, "address"),
        }
        d.put("billing_provider", {k: v for k, v in provider.items() if v is not None}, org.label)

    def _provider(self, p: Res) -> dict[str, Any]:
        known = self._providers.get(id(p))
        if known is None:
            known = self._providers[id(p)] = self._read_provider(p)
        return known

    def _read_provider(self, p: Res) -> dict[str, Any]:
        first, family = p.name()
        out: dict[str, Any] = {
            "npi": p.ident(NPI),
            "first_name": first,
            "last_name": family,
        }
        for q in p.list("qualification"):
            concept = q.get("code") if isinstance(q, dict) else None
            taxonomy = code_in(concept, NUCC)
            if taxonomy:
                out["taxonomy"] = taxonomy
            elif any_code(concept):
                out.setdefault("credential", any_code(concept))
        return {k: v for k, v in out.items() if v is not None}

    def _diagnoses(self, d: Draft, enc: Res) -> None:
        index = self.index
        entries = enc.list("diagnosis")
        if entries:
            ranked = []
            for i, entry in enumerate(entries):
                node = entry.get("condition") if isinstance(entry, dict) else None
                cond = index.find(node, _CONDITION) or index.ref(
                    enc, f"diagnosis[{i}].condition", node, _CONDITION
                )
                rank = entry.get("rank")
                ranked.append((rank if isinstance(rank, int) else 99, i, cond))
            ranked.sort()  # by rank, then order (never further: the order is unique)
            conditions = [c for _, _, c in ranked]
        else:
            conditions = self.conditions.get(id(enc), [])
        codes = []
        positions: dict[int, int] = {}
        places = d.places
        for n, cond in enumerate(conditions):
            found = self._codes.get(id(cond))
            if found is None:
                code = code_in(cond.data.get("code"), ICD10CM)
                if code is None:
                    raise Fail(
                        cond.at("code"), "no ICD-10-CM coding", f"code the condition in {ICD10CM}"
                    )
                found = self._codes[id(cond)] = (code, cond.at("code"))
            places[f"diagnoses[{n}]"] = found[1]
            codes.append(found[0])
            positions[id(cond)] = n + 1
        self._positions = positions
        d.doc["diagnoses"] = codes

    def _procedure(self, d: Draft, proc: Res, n: int) -> dict[str, Any]:
        data = proc.data  # read directly: a bulk file has a Procedure per service
        code = code_in(data.get("code"), CPT, HCPCS)
        if code is None:
            raise Fail(proc.at("code"), "no CPT or HCPCS coding", f"code the procedure in {CPT}")
        s: dict[str, Any] = {"code": code}
        at = f"services[{n}]"
        places = d.places
        places[at] = label = proc.label  # its fields' elements: _PROCEDURE_ELEMENTS
        extended = "extension" in data
        if extended:
            mods = extensions(data, EXT_MODIFIER, "valueCode")
            if mods:
                s["modifiers"] = mods
        period = data.get("performedPeriod")
        if period is not None:
            s["minutes"] = minutes = self._minutes(proc, period)
            performers = data.get("performer")
            if isinstance(performers, list) and (len(performers) > 1 or _has_assistant(performers)):
                assistant = self._assistant_minutes(proc, minutes)
                if assistant:
                    s["assistant_minutes"] = assistant
        if "reasonReference" in data:
            pointers = []
            index, positions = self.index, self._positions
            for i, reason in enumerate(proc.list("reasonReference")):
                cond = index.find(reason, _CONDITION) or index.ref(
                    proc, f"reasonReference[{i}]", reason, _CONDITION
                )
                position = positions.get(id(cond))
                if position is None:
                    raise Fail(
                        proc.at(f"reasonReference[{i}]"),
                        "the Condition is not one of the Encounter's diagnoses",
                        "list it in Encounter.diagnosis",
                    )
                pointers.append(position)
            if pointers:
                s["diagnosis_pointers"] = pointers
        outcome = data.get("outcome")
        put_texts(
            s,
            _first_text(data.get("reasonCode")),
            outcome.get("text") if isinstance(outcome, dict) else None,
            _first_text(data.get("bodySite")),
        )
        item = self.charges.get(id(proc))
        if item is not None:
            quantity = item.get("quantity", "value")
            if quantity is not None:
                s["units"] = quantity
                places[f"{at}.units"] = item.at("quantity")
            price = item.get("priceOverride", "value")
            if price is not None:
                s["charge"] = money(price, item.at("priceOverride"))
                places[f"{at}.charge"] = item.at("priceOverride")
        if not extended:
            return s
        extra = json_extension(proc, data, EXT_SERVICE, label)
        if not extra:
            return s
        place = f"{label}.extension({EXT_SERVICE})"
        for key in extra:
            places[f"{at}.{key}"] = place
        return {**s, **extra}

    def _minutes(self, proc: Res, period: Any) -> int:
        """A Procedure's performedPeriod in whole minutes."""
        if not isinstance(period, dict):
            period = {}
        start = self._instant(proc, period.get("start"), "performedPeriod.start")
        end = self._instant(proc, period.get("end"), "performedPeriod.end")
        try:
            return period_minutes(start, end)
        except PeriodFault as e:
            raise Fail(proc.at("performedPeriod"), e.problem, e.fix) from None

    def _assistant_minutes(self, proc: Res, minutes: int) -> int:
        def function_and_own(performer: Any) -> tuple[str | None, int | None]:
            if not isinstance(performer, dict):
                return None, None
            function = code_in(performer.get("function"), FUNCTION)
            if function != "assistant":  # only an assistant's own minutes are read
                return function, None
            own = extension(performer, EXT_MINUTES, "valueInteger")
            return function, own if isinstance(own, int) else None

        return assistant_share(map(function_and_own, proc.list("performer")), minutes)

    def _extras(self, d: Draft, res: Res, node: Any) -> None:
        fields = json_extension(res, node, EXT_VISIT, res.label)
        if fields:
            d.merge(fields, f"{res.label}.extension({EXT_VISIT})")

    # -- a Claim ------------------------------------------------------------------------------


class PeriodFault(ValueError):
    """A performedPeriod that gives no minutes: what is wrong and the fix."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.problem, self.fix = problem, fix


def period_minutes(start: dt.datetime, end: dt.datetime) -> int:
    """A Procedure's performedPeriod in whole minutes (PeriodFault when it gives none)."""
    if (start.tzinfo is None) != (end.tzinfo is None):
        raise PeriodFault(
            "one end of the period has a time zone and the other has none",
            "give both a time zone offset (or neither)",
        )
    seconds = (end - start).total_seconds()
    if seconds < 0:
        raise PeriodFault("the period ends before it starts", "correct start and end")
    return int(seconds // 60)


def assistant_share(performers: Iterable[tuple[str | None, int | None]], minutes: int) -> int:
    """The minutes of a Procedure done by assistants, from each performer's (function, own
    minutes): an assistant's own minutes (the ptbill minutes extension), else the whole period
    when it is listed before any other performer; at most the period; 0 without an assistant."""
    total, assistants, others = 0, 0, 0
    for function, own in performers:
        if function != "assistant":
            others += 1
            continue
        assistants += 1
        total += own if own is not None else (minutes if not others else 0)
    return min(total, minutes) if assistants else 0


def put_texts(service: dict[str, Any], purpose: Any, response: Any, region: Any) -> None:
    """A service's note (reasonCode[0].text, outcome.text) and body region (bodySite[0].text),
    each when the Procedure has it."""
    if purpose is not None or response is not None:
        note = service["note"] = {}
        if purpose is not None:
            note["purpose"] = purpose
        if response is not None:
            note["response"] = response
    if region is not None:
        service["body_region"] = region


def _first_text(node: Any) -> Any:
    """The text of a list's first element (reasonCode[0].text, bodySite[0].text), or None."""
    first = node[0] if isinstance(node, list) and node else None
    return first.get("text") if isinstance(first, dict) else None


def _has_assistant(performers: Any) -> bool:
    return isinstance(performers, list) and any(
        code_in(p.get("function"), FUNCTION) == "assistant"
        for p in performers
        if isinstance(p, dict)
    )
