"""The FHIR R4 mapping: an Encounter and the resources around it -> one visit document (the
Claim's mapping is ptbill.intake.fhir_claim). docs/intake.md has the element of every field."""

from __future__ import annotations

from collections.abc import Callable
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

_SEX = {"female": "F", "male": "M", "other": "U", "unknown": "U"}
_RELATIONSHIP = {"self": "self", "spouse": "spouse", "child": "child", "common": "spouse"}
# Encounter.participant.type (v3 ParticipationType) -> the visit's provider field.
_ROLES = {"PPRF": "rendering_provider", "SPRF": "supervising_provider", "REF": "referring_provider"}


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


class Mapper:
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
        vid = id_of(enc)
        d = Draft({}, enc.label, elements=_PROCEDURE_ELEMENTS)
        d.put("visit_id", vid, f"{enc.label}.identifier")
        start = enc.get("period", "start")
        if start is None:
            raise Fail(enc.at("period.start"), "the Encounter has no date", "give period.start")
        d.put("date_of_service", fhir_date(start, enc.at("period.start")), enc.at("period.start"))
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
                role = role or _ROLES.get(code_in(t, PARTICIPATION) or "")
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
                code = code_in(t, POS)
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
        relationship = code_in(
            cov.get("relationship"), "http://terminology.hl7.org/CodeSystem/subscriber-relationship"
        ) or any_code(cov.get("relationship"))
        if relationship:
            sub["relationship"] = _RELATIONSHIP.get(relationship, "other")
        for cls in cov.list("class"):
            if any_code(cls.get("type") if isinstance(cls, dict) else None) == "group":
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
        name = p.get("name", 0) or {}
        out: dict[str, Any] = {
            "npi": p.ident(NPI),
            "first_name": (name.get("given") or [None])[0],
            "last_name": name.get("family"),
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
            code = code_in(cond.get("code"), ICD10CM)
            if code is None:
                raise Fail(
                    cond.at("code"), "no ICD-10-CM coding", f"code the condition in {ICD10CM}"
                )
            d.places[f"diagnoses[{n}]"] = cond.at("code")
            codes.append(code)
            self._positions[id(cond)] = n + 1
        d.doc["diagnoses"] = codes

    def _procedure(self, d: Draft, proc: Res, n: int) -> dict[str, Any]:
        at = f"services[{n}]"
        data = proc.data  # read directly: a bulk file has a Procedure per service
        code = code_in(data.get("code"), CPT, HCPCS)
        if code is None:
            raise Fail(proc.at("code"), "no CPT or HCPCS coding", f"code the procedure in {CPT}")
        s: dict[str, Any] = {"code": code}
        d.places[at] = proc.label  # its fields' elements: _PROCEDURE_ELEMENTS
        if "extension" in data:
            mods = extensions(data, EXT_MODIFIER, "valueCode")
            if mods:
                s["modifiers"] = mods
        period = data.get("performedPeriod")
        if period is not None:
            if not isinstance(period, dict):
                period = {}
            start = instant(period.get("start"), proc.at("performedPeriod.start"))
            end = instant(period.get("end"), proc.at("performedPeriod.end"))
            seconds = (end - start).total_seconds()
            if seconds < 0:
                raise Fail(
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
                raise Fail(
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
                s["charge"] = money(price, item.at("priceOverride"))
                d.places[f"{at}.charge"] = item.at("priceOverride")
        extra = json_extension(proc, data, EXT_SERVICE, proc.label) if "extension" in data else {}
        for key in extra:
            d.places[f"{at}.{key}"] = f"{proc.label}.extension({EXT_SERVICE})"
        return {**s, **extra}

    def _assistant_minutes(self, proc: Res, minutes: int) -> int:
        total, assistants, others = 0, 0, 0
        for performer in proc.list("performer"):
            function = code_in(
                performer.get("function") if isinstance(performer, dict) else None, FUNCTION
            )
            if function != "assistant":
                others += 1
                continue
            assistants += 1
            own = extension(performer, EXT_MINUTES, "valueInteger")
            total += own if isinstance(own, int) else (minutes if not others else 0)
        return min(total, minutes) if assistants else 0

    def _extras(self, d: Draft, res: Res, node: Any) -> None:
        for key, value in json_extension(res, node, EXT_VISIT, res.label).items():
            old = d.doc.get(key)
            merged = (
                {**old, **value} if isinstance(old, dict) and isinstance(value, dict) else value
            )
            d.put(key, merged, f"{res.label}.extension({EXT_VISIT})")

    # -- a Claim ------------------------------------------------------------------------------


def _has_assistant(performers: Any) -> bool:
    return isinstance(performers, list) and any(
        code_in(p.get("function"), FUNCTION) == "assistant"
        for p in performers
        if isinstance(p, dict)
    )
