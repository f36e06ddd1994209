"""The FHIR R4 Claim mapping: one visit per Claim (its items, diagnoses, insurance and care
team). docs/intake.md has the element of every field."""

from __future__ import annotations

from collections.abc import Hashable
from decimal import Decimal
from typing import Any

from ptbill.intake.build import Draft
from ptbill.intake.fhir_map import Mapper
from ptbill.intake.fhir_resources import (
    CARE_TEAM_ROLE,
    CPT,
    EXT_MINUTES,
    EXT_SERVICE,
    HCPCS,
    ICD10CM,
    POS,
    Fail,
    Res,
    any_code,
    code_in,
    extension,
    fhir_date,
    id_of,
    json_extension,
    money,
)  # fmt: skip

# Claim.careTeam.role (claimcareteamrole) -> the visit's provider field; and the role code
# ptbill reads as the referring provider, which that code system lacks.
_TEAM = {"primary": "rendering_provider", "supervisor": "supervising_provider"}
_TEAM_REFERRING = "referring"


class ClaimMapper(Mapper):
    """The Encounter mapping, and Claims."""

    def claim(self, claim: Res) -> Draft:
        d = Draft({}, claim.label)
        d.put("visit_id", id_of(claim), claim.at("identifier"))
        patient = self.index.ref(claim, "patient", claim.get("patient"), ("Patient",))
        self._patient(d, patient)
        self._billing(d, claim, claim.get("provider"), "provider")
        self._claim_coverages(d, claim)
        team: dict[Hashable, tuple[str, Res]] = {}  # careTeam sequence -> role, who
        for i, member in claim.objects("careTeam"):
            who = self.index.ref(
                claim,
                f"careTeam[{i}].provider",
                member.get("provider"),
                ("Practitioner", "Organization"),
            )
            role = code_in(member.get("role"), CARE_TEAM_ROLE) or any_code(member.get("role")) or ""
            sequence = member.get("sequence")
            if isinstance(sequence, Hashable):  # else no item can name it
                team[sequence] = (role, who)
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
            code = code_in(
                dx.get("diagnosisCodeableConcept") if isinstance(dx, dict) else None, ICD10CM
            )
            if code is None:
                raise Fail(
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
        for i, item in claim.objects("item"):
            where = f"item[{i}]"
            s: dict[str, Any] = {}
            code = code_in(item.get("productOrService"), CPT, HCPCS)
            if code is None:
                raise Fail(
                    claim.at(f"{where}.productOrService"),
                    "no CPT or HCPCS coding",
                    f"code it in {CPT}",
                )
            s["code"] = code
            mods = [any_code(m) for m in item.get("modifier") or ()]
            if mods:
                s["modifiers"] = mods
            quantity = (
                item.get("quantity", {}).get("value")
                if isinstance(item.get("quantity"), dict)
                else None
            )
            if quantity is not None:
                s["units"] = quantity
            minutes = extension(item, EXT_MINUTES, "valueInteger")
            if minutes is not None:
                s["minutes"] = minutes
            net = item.get("net", {}).get("value") if isinstance(item.get("net"), dict) else None
            unit_price = (
                item.get("unitPrice", {}).get("value")
                if isinstance(item.get("unitPrice"), dict)
                else None
            )
            if net is not None:
                s["charge"] = money(net, claim.at(f"{where}.net"))
            elif unit_price is not None and quantity is not None:
                s["charge"] = money(unit_price, claim.at(f"{where}.unitPrice")) * Decimal(
                    str(quantity)
                )
            pointers = []
            for seq in item.get("diagnosisSequence") or ():
                if not isinstance(seq, Hashable) or seq not in position:
                    raise Fail(
                        claim.at(f"{where}.diagnosisSequence"),
                        f"no diagnosis with sequence {seq}",
                        "point at a Claim.diagnosis sequence",
                    )
                pointers.append(position[seq])
            if pointers:
                s["diagnosis_pointers"] = pointers
            for seq in item.get("careTeamSequence") or ():
                role, _ = team.get(seq, ("", None)) if isinstance(seq, Hashable) else ("", None)
                if role == "assist" and minutes is not None:
                    s["assistant_minutes"] = minutes
            day = item.get("servicedDate")
            if day is None:
                raise Fail(
                    claim.at(f"{where}.servicedDate"), "the item has no date", "give servicedDate"
                )
            days.add(fhir_date(day, claim.at(f"{where}.servicedDate")))
            pos = code_in(item.get("locationCodeableConcept"), POS)
            if pos is not None:
                d.put("place_of_service", pos, claim.at(f"{where}.locationCodeableConcept"))
            extra = json_extension(claim, item, EXT_SERVICE, claim.at(where))
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
            raise Fail(
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
            if not isinstance(ins, dict):
                raise Fail(
                    claim.at(f"insurance[{i}]"),
                    "expected an object",
                    "send insurance as a list of JSON objects",
                )
            cov = self.index.ref(
                claim, f"insurance[{i}].coverage", ins.get("coverage"), ("Coverage",)
            )
            entries.append(self._coverage(d, cov, n))
        if not entries:
            raise Fail(
                claim.at("insurance"),
                "the Claim names no coverage",
                "give insurance with a Coverage",
            )
        self._put_coverages(d, entries)
