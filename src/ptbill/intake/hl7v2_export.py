"""Visits -> HL7 v2 DFT^P03 messages, as ptbill.intake.hl7v2 reads them back: the demo data in
HL7 (`ptbill demo-data --format hl7`) and the round-trip tests. What no segment carries goes in
ZSV-4 (a service's fields) and ZPV-1 (the visit's), as JSON."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from ptbill.config.profiles import Config
from ptbill.domain.visit import Provider, Visit
from ptbill.intake.hl7v2 import escape


def _xcn(p: Provider | None) -> str:
    if p is None:
        return ""
    parts = [
        p.npi,
        escape(p.last_name or ""),
        escape(p.first_name or ""),
        "",
        "",
        "",
        escape(p.credential or ""),
    ]
    return "^".join(parts).rstrip("^")


def _xad(a: Any) -> str:
    if a is None:
        return ""
    return "^".join(escape(x or "") for x in (a.line1, a.line2, a.city, a.state, a.zip))


def _seg(*fields: str) -> str:
    return "|".join(fields).rstrip("|")


_NATIVE_VISIT = {
    "visit_id", "date_of_service", "clinic", "patient", "payer", "subscriber", "coverages",
    "rendering_provider", "referring_provider", "supervising_provider", "diagnoses", "services",
}  # fmt: skip
_NATIVE_SERVICE = {
    "code",
    "units",
    "charge",
    "modifiers",
    "minutes",
    "assistant_minutes",
    "diagnosis_pointers",
}
_RELATIONSHIP_CODE = {"self": "SEL", "spouse": "SPO", "child": "CHD", "other": "OTH"}


def write_message(v: Visit, number: int, config: Config) -> str:
    clinic = v.clinic or ""
    stamp = v.date_of_service.strftime("%Y%m%d")
    segs = [
        _seg(
            "MSH",
            "^~\\&",
            "PTBILL-DEMO",
            escape(clinic),
            "PTBILL",
            escape(clinic),
            stamp + "0800",
            "",
            "DFT^P03",
            f"DEMO{number:08d}",
            "P",
            "2.5",
        ),
        _seg("EVN", "P03", stamp + "0800"),
    ]
    p = v.patient
    segs.append(
        _seg(
            "PID",
            "1",
            "",
            escape(p.id),
            "",
            f"{escape(p.last_name)}^{escape(p.first_name)}",
            "",
            p.birth_date.strftime("%Y%m%d"),
            p.sex,
            "",
            "",
            _xad(p.address),
        )
    )
    pv1 = [
        "PV1",
        "1",
        "O",
        "",
        "",
        "",
        "",
        _xcn(v.rendering_provider),
        _xcn(v.referring_provider),
        _xcn(v.supervising_provider),
    ]
    pv1 += [""] * 9 + [escape(v.visit_id)]
    segs.append(_seg(*pv1))
    for n, s in enumerate(v.services, start=1):
        ft1 = [
            "FT1",
            str(n),
            "",
            "",
            stamp,
            "",
            "CG",
            f"{s.code}^^CPT4",
            "",
            "",
            "" if s.units is None else str(s.units),
            "" if s.charge is None else str(s.charge),
        ]
        ft1 += [""] * 7
        pointers = s.diagnosis_pointers or []
        extra = s.model_dump(mode="json", exclude_unset=True, exclude=_NATIVE_SERVICE)
        if (
            pointers
            and all(1 <= i <= len(v.diagnoses) for i in pointers)
            and len(set(pointers)) == len(pointers)
            and len(set(v.diagnoses)) == len(v.diagnoses)
        ):
            ft1.append("~".join(f"{escape(v.diagnoses[i - 1])}^^I10" for i in pointers))
        else:
            ft1.append("")
            if s.diagnosis_pointers is not None:
                extra["diagnosis_pointers"] = s.diagnosis_pointers
        ft1 += [_xcn(v.rendering_provider), "", "", "", "", "", "~".join(s.modifiers)]
        segs.append(_seg(*ft1))
        zsv = [
            "ZSV",
            str(n),
            "" if s.minutes is None else str(s.minutes),
            str(s.assistant_minutes) if s.assistant_minutes else "",
            escape(orjson.dumps(extra).decode()) if extra else "",
        ]
        if s.minutes is None and s.assistant_minutes:
            extra["assistant_minutes"] = s.assistant_minutes
            zsv[4] = escape(orjson.dumps(extra).decode())
        if any(zsv[2:]):
            segs.append(_seg(*zsv))
    for n, dx in enumerate(v.diagnoses, start=1):
        segs.append(
            _seg(
                "DG1",
                str(n),
                "I10",
                f"{escape(dx)}^^I10",
                "",
                "",
                "F",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                str(n),
            )
        )
    pairs = (
        [(c.payer, c.subscriber) for c in v.coverages] if v.coverages else [(v.payer, v.subscriber)]
    )
    for n, (payer, sub) in enumerate(pairs, start=1):
        in1 = [
            "IN1",
            str(n),
            escape(payer),
            escape(payer),
            "",
            "",
            "",
            "",
            escape(sub.group_number or ""),
        ]
        in1 += [""] * 7
        in1 += [
            f"{escape(sub.last_name or '')}^{escape(sub.first_name or '')}"
            if sub.relationship != "self"
            else "",
            _RELATIONSHIP_CODE[sub.relationship],
            sub.birth_date.strftime("%Y%m%d") if sub.birth_date else "",
            _xad(sub.address),
        ]
        in1 += [""] * 16 + [escape(sub.member_id)] + [""] * 6 + [sub.sex or ""]
        segs.append(_seg(*in1))
    extra = v.model_dump(mode="json", exclude_unset=True, exclude=_NATIVE_VISIT)
    if v.subscriber.relationship != "self" and v.subscriber.sex is None:
        pass
    if extra:
        segs.append(_seg("ZPV", escape(orjson.dumps(extra, default=str).decode())))
    return "\r".join(segs)


def write(visits: Iterable[Visit], config: Config) -> str:
    return "".join(write_message(v, n, config) + "\r\n" for n, v in enumerate(visits, start=1))
