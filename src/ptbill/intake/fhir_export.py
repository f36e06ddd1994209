"""Visits -> one FHIR R4 Bundle (collection), as ptbill.intake.fhir reads it back: the demo
data in FHIR (`ptbill demo-data --format fhir`) and the round-trip tests.

Each element goes where docs/intake.md maps it; a value FHIR has no element for (or that an
element cannot hold, such as a diagnosis pointer past the diagnoses) goes in the ptbill
`visit` or `service` extension, so that reading the Bundle gives the visit back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import orjson

from ptbill.config.profiles import Config
from ptbill.domain.visit import Address, Provider, Service, Visit
from ptbill.intake import fhir_resources as f

_GENDER = {"F": "female", "M": "male", "U": "unknown"}
# The visit fields the Encounter and its resources carry natively.
_NATIVE_VISIT = {
    "visit_id", "date_of_service", "place_of_service", "payer", "subscriber", "coverages",
    "clinic", "patient", "rendering_provider", "supervising_provider", "referring_provider",
    "diagnoses", "services",
}  # fmt: skip
_NATIVE_SERVICE = {"code", "modifiers", "minutes", "assistant_minutes", "units", "charge"}


def _json(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def _address(a: Address | None) -> dict[str, Any] | None:
    if a is None:
        return None
    lines = [a.line1] + ([a.line2] if a.line2 else [])
    return {"line": lines, "city": a.city, "state": a.state, "postalCode": a.zip}


def _name(first: str | None, last: str | None) -> list[dict[str, Any]]:
    name: dict[str, Any] = {}
    if last is not None:
        name["family"] = last
    if first is not None:
        name["given"] = [first]
    return [name] if name else []


class _Writer:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.entries: list[dict[str, Any]] = []
        self.refs: dict[tuple[Any, ...], str] = {}
        self.count = 0

    def add(self, kind: str, body: dict[str, Any], key: tuple[Any, ...] | None = None) -> str:
        """The reference of the resource `body` (added once per `key`)."""
        if key is not None and (key := (kind, *key)) in self.refs:
            return self.refs[key]
        self.count += 1
        rid = f"{kind[:3].lower()}{self.count}"
        ref = f"{kind}/{rid}"
        self.entries.append(
            {"fullUrl": f"urn:ptbill:{ref}", "resource": {"resourceType": kind, "id": rid, **body}}
        )
        if key is not None:
            self.refs[key] = ref
        return ref

    def practitioner(self, p: Provider) -> str:
        quals = []
        if p.credential:
            quals.append({"code": {"coding": [{"code": p.credential}]}})
        if p.taxonomy:
            quals.append({"code": {"coding": [{"system": f.NUCC, "code": p.taxonomy}]}})
        body = {
            "identifier": [{"system": f.NPI, "value": p.npi}],
            "name": _name(p.first_name, p.last_name),
            "qualification": quals,
        }
        return self.add("Practitioner", body, (p.model_dump_json(),))

    def organization(self, v: Visit) -> str:
        if v.clinic is not None:
            clinic = self.config.clinic(v.clinic)
            npi = clinic.npi if clinic else v.clinic
            body = {"identifier": [{"system": f.NPI, "value": npi}], "name": v.clinic}
            return self.add("Organization", body, ("clinic", v.clinic))
        bp = v.billing_provider
        assert bp is not None
        body = {
            "identifier": [
                {"system": f.NPI, "value": bp.npi},
                {"system": f.EIN, "value": bp.tax_id},
            ],
            "name": bp.name,
            "address": [_address(bp.address) or {}],
        }
        return self.add("Organization", body, ("bp", bp.model_dump_json()))

    def coverage(self, patient: str, order: int, payer: str, sub: Any) -> str:
        org = self.add(
            "Organization",
            {"identifier": [{"system": "https://ptbill.dev/payer", "value": payer}], "name": payer},
            ("payer", payer),
        )
        body: dict[str, Any] = {
            "status": "active",
            "beneficiary": {"reference": patient},
            "payor": [{"reference": org}],
            "subscriberId": sub.member_id,
            "relationship": {"coding": [{"code": sub.relationship}]},
            "order": order,
        }
        if sub.group_number is not None:
            body["class"] = [{"type": {"coding": [{"code": "group"}]}, "value": sub.group_number}]
        if sub.relationship != "self":
            person: dict[str, Any] = {
                "patient": {"reference": patient},
                "name": _name(sub.first_name, sub.last_name),
            }
            if sub.birth_date is not None:
                person["birthDate"] = sub.birth_date.isoformat()
            if sub.sex is not None:
                person["gender"] = _GENDER[sub.sex]
            if sub.address is not None:
                person["address"] = [_address(sub.address)]
            body["subscriber"] = {"reference": self.add("RelatedPerson", person)}
        return self.add("Coverage", body, (patient, order, payer, sub.model_dump_json()))

    def visit(self, v: Visit) -> None:
        p = v.patient
        patient_body: dict[str, Any] = {
            "identifier": [{"value": p.id}],
            "name": _name(p.first_name, p.last_name),
            "birthDate": p.birth_date.isoformat(),
            "gender": _GENDER[p.sex],
        }
        if p.address is not None:
            patient_body["address"] = [_address(p.address)]
        patient = self.add("Patient", patient_body, (p.model_dump_json(),))
        coverages = v.coverages or []
        pairs = [(c.payer, c.subscriber) for c in coverages] or [(v.payer, v.subscriber)]
        covered = [
            {
                "coverage": {"reference": self.coverage(patient, order, payer, sub)},
                "priority": order,
            }
            for order, (payer, sub) in enumerate(pairs, start=1)
        ]
        account = self.add(
            "Account",
            {"status": "active", "subject": [{"reference": patient}], "coverage": covered},
            (_json(covered),),
        )
        conditions = [
            self.add(
                "Condition",
                {
                    "subject": {"reference": patient},
                    "code": {"coding": [{"system": f.ICD10CM, "code": dx}]},
                },
            )
            for dx in v.diagnoses
        ]
        participants = []
        for role, who in (
            ("PPRF", v.rendering_provider),
            ("SPRF", v.supervising_provider),
            ("REF", v.referring_provider),
        ):
            if who is not None:
                participants.append(
                    {
                        "type": [{"coding": [{"system": f.PARTICIPATION, "code": role}]}],
                        "individual": {"reference": self.practitioner(who)},
                    }
                )
        location = self.add(
            "Location",
            {"type": [{"coding": [{"system": f.POS, "code": v.place_of_service}]}]},
            ("pos", v.place_of_service),
        )
        extra = v.model_dump(mode="json", exclude_unset=True, exclude=_NATIVE_VISIT)
        if v.billing_provider is not None:
            bp = v.billing_provider
            extra["billing_provider"] = {
                k: getattr(bp, k)
                for k in ("taxonomy", "medicare_locality")
                if k in bp.model_fields_set
            }
        encounter: dict[str, Any] = {
            "identifier": [{"value": v.visit_id}],
            "status": "finished",
            "class": {"code": "AMB"},
            "subject": {"reference": patient},
            "period": {"start": v.date_of_service.isoformat()},
            "participant": participants,
            "diagnosis": [
                {"condition": {"reference": c}, "rank": n} for n, c in enumerate(conditions, 1)
            ],
            "location": [{"location": {"reference": location}}],
            "serviceProvider": {"reference": self.organization(v)},
            "account": [{"reference": account}],
        }
        if extra:
            encounter["extension"] = [{"url": f.EXT_VISIT, "valueString": _json(extra)}]
        enc = self.add("Encounter", encounter)
        clock = dt.datetime.combine(v.date_of_service, dt.time(8, 0))
        rendering = self.practitioner(v.rendering_provider)
        for s in v.services:
            clock = self.procedure(s, enc, patient, rendering, conditions, clock)

    def procedure(
        self,
        s: Service,
        enc: str,
        patient: str,
        rendering: str,
        conditions: list[str],
        clock: dt.datetime,
    ) -> dt.datetime:
        extra = s.model_dump(mode="json", exclude_unset=True, exclude=_NATIVE_SERVICE)
        body: dict[str, Any] = {
            "status": "completed",
            "subject": {"reference": patient},
            "encounter": {"reference": enc},
            "code": {"coding": [{"system": f.CPT, "code": s.code}]},
        }
        therapist = {
            "actor": {"reference": rendering},
            "function": {"coding": [{"system": f.FUNCTION, "code": "therapist"}]},
        }
        performers = [therapist]
        if s.minutes is not None:
            end = clock + dt.timedelta(minutes=s.minutes)
            body["performedPeriod"] = {"start": _instant(clock), "end": _instant(end)}
            clock = end
            if s.assistant_minutes:
                performers.append(
                    {
                        "extension": [{"url": f.EXT_MINUTES, "valueInteger": s.assistant_minutes}],
                        "actor": {"display": "physical therapist assistant"},
                        "function": {"coding": [{"system": f.FUNCTION, "code": "assistant"}]},
                    }
                )
        elif s.assistant_minutes:
            extra["assistant_minutes"] = s.assistant_minutes
        body["performer"] = performers
        pointers = s.diagnosis_pointers or []
        if (
            pointers
            and all(1 <= n <= len(conditions) for n in pointers)
            and len(set(pointers)) == len(pointers)
        ):
            body["reasonReference"] = [{"reference": conditions[n - 1]} for n in pointers]
            extra.pop("diagnosis_pointers", None)
        note = s.note
        if note is not None and (note.purpose is not None or note.response is not None):
            if note.purpose is not None:
                body["reasonCode"] = [{"text": note.purpose}]
            if note.response is not None:
                body["outcome"] = {"text": note.response}
            extra.pop("note", None)
        if s.body_region is not None:
            body["bodySite"] = [{"text": s.body_region}]
            extra.pop("body_region", None)
        exts = [{"url": f.EXT_MODIFIER, "valueCode": m} for m in s.modifiers]
        if extra:
            exts.append({"url": f.EXT_SERVICE, "valueString": _json(extra)})
        if exts:
            body["extension"] = exts
        proc = self.add("Procedure", body)
        if s.units is not None or s.charge is not None:
            item: dict[str, Any] = {
                "status": "billable",
                "code": {"coding": [{"system": f.CPT, "code": s.code}]},
                "subject": {"reference": patient},
                "context": {"reference": enc},
                "service": [{"reference": proc}],
            }
            if s.units is not None:
                item["quantity"] = {"value": s.units}
            if s.charge is not None:
                item["priceOverride"] = {"value": str(s.charge), "currency": "USD"}
            self.add("ChargeItem", item)
        return clock


def _instant(moment: dt.datetime) -> str:
    return moment.isoformat() + "Z"


def bundle(visits: Iterable[Visit], config: Config) -> dict[str, Any]:
    w = _Writer(config)
    for v in visits:
        w.visit(v)
    return {"resourceType": "Bundle", "type": "collection", "entry": w.entries}


def write(visits: Iterable[Visit], config: Config) -> str:
    return orjson.dumps(bundle(visits, config), option=orjson.OPT_INDENT_2).decode() + "\n"
