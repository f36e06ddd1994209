"""HL7 v2.x DFT^P03 (detail financial transaction) intake: one visit per message; the mapping
is in docs/intake.md.

MSH (message type, control id, sending facility), PID (patient), PV1 (visit number, providers),
FT1 (one per charge: FT1-4 date, FT1-7 code, FT1-10 units, FT1-11 charge, FT1-19 diagnoses,
FT1-20 performed by, FT1-26 modifiers), DG1 (diagnoses), IN1 (coverages). A charge's minutes
come from the segment after its FT1 that the configuration names ([intake.hl7], ZSV-2 by
default); a charge with units and no minutes is billed as sent, and the scrubber says the
8-minute rule could not be checked. ZSV-4 and ZPV-1 may carry, as JSON, the service and visit
fields HL7 has no place for (ptbill's demo export writes them).

A message is split on the separators its MSH declares. python-hl7's parser builds an object
per field, component and repetition, which took 770 us a message here, about 10 times the
whole JSON intake of a visit (docs/benchmarks.md); the listener (ptbill.intake.mllp) uses
python-hl7 for the MLLP framing and the acknowledgements.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from functools import lru_cache
from typing import Any

from ptbill.config.profiles import Config
from ptbill.domain.visit import Visit
from ptbill.errors import InputError, InputErrors, a_or_an, clip
from ptbill.intake.build import Draft, Recognise, finish, no_clinic, validated
from ptbill.intake.numbers import json_object

FIX_HL7 = "send HL7 v2 DFT^P03 messages, each starting with an MSH segment"
_SEX = {"F": "F", "M": "M"}
_RELATIONSHIP = {"SEL": "self", "SPO": "spouse", "CHD": "child", "01": "spouse", "18": "self"}
_ASSISTANT_DEGREES = {"PTA", "COTA", "SLPA"}
_SKIP = {"FHS", "BHS", "BTS", "FTS"}  # batch and file envelopes
_ESCAPES = {"F": "|", "S": "^", "T": "&", "R": "~", "E": "\\"}


# Where the patient's fields come from (their address, PID-11, when there is one).
_PID_PLACES = {
    "patient.id": "PID-3",
    "patient.last_name": "PID-5.1",
    "patient.first_name": "PID-5.2",
    "patient.birth_date": "PID-7",
    "patient.sex": "PID-8",
}

# The FT1 field of each service field (the place of `services[n].FIELD` is FT1[n+1]-N).
_FT1_FIELDS = {
    "code": "-7",
    "units": "-10",
    "charge": "-11",
    "diagnosis_pointers": "-19",
    "modifiers": "-26",
}


class Refused(Exception):
    """A message that cannot be stored: its control id, the problems and whether it could
    be read at all (an HL7 ACK answers AR then, AE otherwise)."""

    def __init__(self, control_id: str, errors: list[InputError], unreadable: bool) -> None:
        self.control_id, self.errors, self.unreadable = control_id, errors, unreadable
        super().__init__("; ".join(e.render() for e in errors))


class Segment:
    """One segment split on the message's separators; fields are numbered as HL7 numbers them
    (MSH-1 is the field separator itself)."""

    __slots__ = ("component", "escape", "fields", "id", "label", "repetition", "seps")

    def __init__(self, text: str, seps: str, label: str) -> None:
        self.seps, self.label = seps, label
        # the separators `get` splits on, looked up once: it runs for every field read
        self.component, self.repetition = seps[1], seps[2]
        self.escape = seps[3] if len(seps) > 3 else "\\"
        self.fields = text.split(seps[0])
        self.id = self.fields[0]
        if self.id == "MSH":
            self.fields.insert(1, seps[0])

    def raw(self, n: int) -> str:
        return self.fields[n] if n < len(self.fields) else ""

    def reps(self, n: int) -> list[list[str]]:
        """Field n's repetitions, each a list of its components (unescaped)."""
        value = self.raw(n)
        if not value:
            return []
        return [
            [_unescape(c, self.seps) for c in rep.split(self.seps[1])]
            for rep in value.split(self.seps[2])
        ]

    def firsts(self, n: int) -> list[str]:
        """The first component of each of field n's repetitions, unescaped ('' where empty):
        `[rep[0] for rep in reps(n)]` without splitting and unescaping the other components."""
        value = self.fields[n] if n < len(self.fields) else ""
        if not value:
            return []
        component, seps = self.component, self.seps
        return [_unescape(r.split(component, 1)[0], seps) for r in value.split(self.repetition)]

    def get(self, n: int, component: int = 1) -> str | None:
        """Field n's first repetition's component (1-based), unescaped; None when empty."""
        fields = self.fields
        value = fields[n] if n < len(fields) else ""
        if not value:
            return None
        if self.repetition in value:
            value = value.split(self.repetition, 1)[0]
        if self.component in value:
            parts = value.split(self.component)
            value = parts[component - 1] if len(parts) >= component else ""
        elif component > 1:
            return None
        if self.escape in value:
            value = _unescape(value, self.seps)
        return value or None

    def at(self, n: int) -> str:
        return f"{self.label}-{n}"


def _unescape(text: str, seps: str) -> str:
    esc = seps[3] if len(seps) > 3 else "\\"
    if esc not in text:
        return text
    out = []
    parts = text.split(esc)
    out.append(parts[0])
    for i in range(1, len(parts), 2):
        code = parts[i]
        meant = _ESCAPES.get(code)
        if i + 1 == len(parts):  # an escape character never closed: kept as written
            out.append(esc + code)
            break
        if meant is None:
            meant = _hex_or_mark(code)
        out.append(f"{esc}{code}{esc}" if meant is None else meant)
        out.append(parts[i + 1])
    return "".join(out)


def _hex_or_mark(code: str) -> str | None:
    """What `\\code\\` stands for beyond the separators (HL7 v2.5 §2.7.4): \\Xhh..\\ is bytes
    in hex (the message's text is UTF-8: an accented letter comes as \\XC3A9\\), \\H\\ and \\N\\
    start and end highlighting (nothing in a claim). None: kept as written."""
    if code in ("H", "N"):
        return ""
    if code[:1] != "X" or len(code) < 3:
        return None
    try:
        text = bytes.fromhex(code[1:]).decode("utf-8")
    except ValueError:  # not hex, or not UTF-8
        return None
    return text if text.isprintable() else None


def unescape(text: str) -> str:
    """A field's text with the standard separators' escapes undone."""
    return _unescape(text, "|^~\\&")


def escape(text: str) -> str:
    return (
        text.replace("\\", "\\E\\")
        .replace("|", "\\F\\")
        .replace("^", "\\S\\")
        .replace("&", "\\T\\")
        .replace("~", "\\R\\")
    )


def messages(text: str) -> Iterator[tuple[int, list[str]]]:
    """(message number, its segment texts) for each message of a file, in order. Segments end
    with CR, LF or CRLF; MLLP framing bytes and batch envelopes are ignored."""
    current: list[str] = []
    number = 0
    for line in _lines(text.strip("\x0b\x1c\r\n \t")):
        line = line.strip("\x0b\x1c")
        if not line.strip() or line[:3] in _SKIP:
            continue
        if line.startswith("MSH"):
            if current:
                yield number, current
            number += 1
            current = [line]
        elif current:
            current.append(line)
        else:
            raise InputError(
                file="",
                visit_id=None,
                field="line 1",
                problem=f"the text starts with {line[:3]!r}, not an MSH segment",
                fix=FIX_HL7,
            )
    if current:
        yield number, current


def _lines(text: str) -> list[str]:
    """The text split at each CRLF, CR or LF (as re.split(r"\\r\\n|\\r|\\n") splits it, in a
    tenth of the time: a file of 50,000 messages has a million segments)."""
    if "\n" in text:
        text = text.replace("\r\n", "\r").replace("\n", "\r")
    return text.split("\r")


def split(lines: list[str], where: str) -> list[Segment]:
    msh = lines[0]
    if len(msh) < 8:
        raise _Fail("MSH-2", "the MSH segment is too short to declare its separators", FIX_HL7)
    field_sep = msh[3]
    encoding = msh[4 : msh.find(field_sep, 4)] if msh.find(field_sep, 4) > 0 else "^~\\&"
    seps = field_sep + encoding  # | ^ ~ \ &
    if len(seps) < 4:
        raise _Fail("MSH-2", f"encoding characters {encoding!r} are incomplete", "send ^~\\&")
    counts: dict[str, int] = {}
    out = []
    for text in lines:
        seg_id = text[:3]
        counts[seg_id] = counts.get(seg_id, 0) + 1
        label = seg_id if seg_id in ("MSH", "PID", "PV1", "EVN") else f"{seg_id}[{counts[seg_id]}]"
        out.append(Segment(text, seps, label))
    return out


class _Fail(Exception):
    def __init__(self, where: str, problem: str, fix: str) -> None:
        self.where, self.problem, self.fix = where, problem, fix


def _date(seg: Segment, n: int) -> str:
    """Field n of a segment as an ISO date (YYYYMMDD, any time after it ignored)."""
    value = seg.get(n)
    day = _iso_day(value) if value else None
    if day is None:
        raise _Fail(seg.at(n), f"{value!r} is not an HL7 date", "write the date as YYYYMMDD")
    return day


@lru_cache(maxsize=65536)
def _iso_day(value: str) -> str | None:
    """An HL7 date's ISO date, or None (dates repeat down a file: each is read once)."""
    if len(value) >= 8 and value[:8].isdigit():
        try:
            return dt.date(int(value[:4]), int(value[4:6]), int(value[6:8])).isoformat()
        except ValueError:
            pass
    return None


def _int(seg: Segment, n: int, component: int = 1) -> int | None:
    value = seg.get(n, component)
    if value is None:
        return None
    if len(value) > 18:  # (no count of units or minutes is near; int() refuses 4,300 digits)
        raise _Fail(seg.at(n), f"{clip(value)} is too large", "send a whole number")
    if value.isascii() and value.isdigit():  # (int() refuses other scripts' digits: "²")
        return int(value)
    number = _nm(value)
    if number is None:
        raise _Fail(seg.at(n), f"{value!r} is not a number", "send a whole number")
    if number != number.to_integral_value():
        raise _Fail(seg.at(n), f"{value!r} is not a whole number", "send a whole number")
    return int(number)


# HL7 v2.5 §2.A.47, NM: an optional sign, digits and an optional decimal point (no exponent,
# no "NaN" or "Infinity", no digit separators, as Decimal() would take).
_NM = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)", re.ASCII)


def _nm(value: str) -> Decimal | None:
    """The number an NM value writes; None when it is no NM (1E2, 1_000, NaN)."""
    return Decimal(value) if _NM.fullmatch(value) else None


def _place(spec: str) -> tuple[str, int, int]:
    seg, _, rest = spec.partition("-")
    field, _, component = rest.partition(".")
    return seg, int(field), int(component or 1)


class _Mapper:
    def __init__(self, config: Config) -> None:
        self.recognise = Recognise(config)
        self.minutes = _place(config.intake.hl7.minutes)
        self.providers: dict[str, dict[str, Any] | None] = {}  # by the field's text
        self.assistant = _place(config.intake.hl7.assistant_minutes)

    def message(self, segs: list[Segment], where: str, origin: str) -> Draft:
        msh = segs[0]
        code, event = msh.get(9, 1), msh.get(9, 2)
        if (code, event) != ("DFT", "P03"):
            # the type as written: 'a D message', not 'a D^None message'
            kind = "^".join(part for part in (code, event) if part)
            what = f"{a_or_an(kind)} message" if kind else "a message without a type"
            not_charge = f"{what} is not a charge"
            raise _Fail("MSH-9", not_charge, "send DFT^P03 messages")
        d = Draft({}, where, elements=_FT1_FIELDS)
        by_id: dict[str, list[Segment]] = {}
        for s in segs:
            by_id.setdefault(s.id, []).append(s)
        pid = _one(by_id, "PID")
        pv1 = _one(by_id, "PV1")
        vid = pv1.get(19)
        if vid is None:
            raise _Fail(
                "PV1-19", "the message has no visit number", "send the visit number in PV1-19"
            )
        d.put("visit_id", vid, "PV1-19")
        self._patient(d, pid)
        self._clinic(d, msh, origin, vid)
        for field, n in (
            ("rendering_provider", 7),
            ("referring_provider", 8),
            ("supervising_provider", 9),
        ):
            provider = self._provider(pv1, n)
            if provider is not None:
                d.put(field, provider, pv1.at(n))
        diagnoses: list[str] = []
        ranked: list[tuple[int, int, str, str]] = []
        for dg1 in by_id.get("DG1", []):
            code = dg1.get(3)
            if code is None:
                raise _Fail(
                    dg1.at(3),
                    "the DG1 segment has no diagnosis code",
                    "send the ICD-10-CM code in DG1-3",
                )
            rank = _int(dg1, 15)
            ranked.append((rank if rank is not None else 99, len(ranked), _icd(code), dg1.at(3)))
        for n, (_, _, code, place) in enumerate(sorted(ranked)):
            diagnoses.append(code)
            d.places[f"diagnoses[{n}]"] = place
        self._coverages(d, by_id.get("IN1", []), origin, vid)
        services: list[dict[str, Any]] = []
        days = set()
        following = _following(segs)
        for ft1 in by_id.get("FT1", []):
            days.add(_date(ft1, 4))
            services.append(self._charge(d, ft1, following[id(ft1)], diagnoses, len(services)))
        if not services:
            raise _Fail("FT1", "the message has no FT1 charge", "send one FT1 per service")
        if len(days) > 1:
            raise _Fail(
                "FT1-4",
                f"the charges are on {len(days)} different days",
                "send one message per visit (one date of service)",
            )
        d.put("date_of_service", days.pop(), "FT1[1]-4")
        d.doc["diagnoses"] = diagnoses
        d.put("services", services, "FT1")
        for zpv in by_id.get("ZPV", [])[:1]:
            d.merge(_json(zpv, 1), zpv.at(1))
        return d

    def _provider(self, seg: Segment, n: int) -> dict[str, Any] | None:
        """A provider field (XCN), read once per distinct text: a file repeats a few."""
        raw = seg.raw(n)
        if raw not in self.providers:
            self.providers[raw] = _provider(seg.reps(n))
        return self.providers[raw]

    def _patient(self, d: Draft, pid: Segment) -> None:
        patient = d.doc["patient"] = {
            "id": pid.get(3),
            "last_name": pid.get(5, 1),
            "first_name": pid.get(5, 2),
            "birth_date": _date(pid, 7),
            "sex": _SEX.get(pid.get(8) or "", "U"),
        }
        d.places.update(_PID_PLACES)
        address = _address(pid.reps(11))
        if address:
            patient["address"] = address
            d.places["patient.address"] = "PID-11"

    def _clinic(self, d: Draft, msh: Segment, origin: str, vid: str) -> None:
        facility = msh.get(4)
        if facility is not None:
            key = facility if facility in self.recognise.config.clinics else None
            key = key or self.recognise.clinic_of_npi(msh.get(4, 2) or facility)
            if key is not None:
                d.put("clinic", key, "MSH-4")
                return
        clinic = self.recognise.default_clinic()
        if clinic is None:
            no_clinic(origin, f"{d.where}, MSH-4", vid)
        d.put("clinic", clinic, "MSH-4")

    def _coverages(self, d: Draft, in1s: list[Segment], origin: str, vid: str) -> None:
        if not in1s:
            raise _Fail(
                "IN1",
                "the message has no IN1 insurance segment",
                "send the patient's coverage in IN1",
            )
        entries = []
        ordered = sorted(in1s, key=lambda s: _int(s, 1) or 0)
        for n, in1 in enumerate(ordered):
            values = [in1.get(3), in1.get(2), in1.get(4)]
            payer = self.recognise.payer(values)
            if payer is None:
                shown = next((v for v in values if v), "(none)")
                self.recognise.unknown_payer(origin, f"{d.where}, {in1.at(3)}", shown, vid)
            sub: dict[str, Any] = {
                "member_id": in1.get(36) or in1.get(49),
                "relationship": _RELATIONSHIP.get(in1.get(17) or "SEL", "other"),
                "group_number": in1.get(8),
            }
            if sub["relationship"] != "self":
                sub["last_name"], sub["first_name"] = in1.get(16, 1), in1.get(16, 2)
                if in1.get(18):
                    sub["birth_date"] = _date(in1, 18)
                if in1.get(43):
                    sub["sex"] = _SEX.get(in1.get(43) or "", "U")
                sub["address"] = _address(in1.reps(19))
            entries.append(
                {"payer": payer, "subscriber": {k: v for k, v in sub.items() if v is not None}}
            )
            d.places[f"coverages[{n}].payer"] = in1.at(3)
            d.places[f"coverages[{n}].subscriber"] = in1.at(36)
        if len(entries) == 1:
            d.put("payer", entries[0]["payer"], d.places.pop("coverages[0].payer"))
            d.put("subscriber", entries[0]["subscriber"], d.places.pop("coverages[0].subscriber"))
        else:
            d.doc["coverages"] = entries

    def _charge(
        self, d: Draft, ft1: Segment, after: list[Segment], diagnoses: list[str], n: int
    ) -> dict[str, Any]:
        at = f"services[{n}]"
        kind = ft1.get(6)
        if kind not in (None, "CG"):
            raise _Fail(
                ft1.at(6),
                f"transaction type {kind!r} is not a charge",
                "send charges (CG); credits are not visits",
            )
        code = ft1.get(7)
        if code is None:
            raise _Fail(
                ft1.at(7), "the charge has no procedure code", "send the CPT/HCPCS code in FT1-7"
            )
        s: dict[str, Any] = {"code": code}
        d.places[at] = ft1.label  # its fields' places: _FT1_FIELDS
        units = _int(ft1, 10)
        if units is not None:
            s["units"] = units
        amount = ft1.get(11)
        if amount is not None:
            # a CP: its first component an MO, amount & currency (96.00&USD^UP)
            sent = amount
            amount, _, currency = amount.partition(ft1.seps[4] if len(ft1.seps) > 4 else "&")
            if currency and currency.upper() != "USD":
                raise _Fail(
                    ft1.at(11),
                    f"the charge is in {currency!r}",
                    "send charges in US dollars (96.00&USD, or the amount alone)",
                )
            s["charge"] = _nm(amount)
            if s["charge"] is None:
                raise _Fail(ft1.at(11), f"{sent!r} is not an amount", "send the charge as 123.45")
        pointers = []
        for first in ft1.firsts(19):
            if not first:
                continue
            dx = _icd(first)
            if dx not in diagnoses:
                diagnoses.append(dx)
            pointers.append(diagnoses.index(dx) + 1)
        if pointers:
            s["diagnosis_pointers"] = pointers
        mods = [first for first in ft1.firsts(26) if first]
        if mods:
            s["modifiers"] = mods
        minutes = self._value(after, self.minutes, d, f"{at}.minutes")
        if minutes is not None:
            s["minutes"] = minutes
            assistant = self._value(after, self.assistant, d, f"{at}.assistant_minutes")
            degree = ft1.get(20, 7) if assistant is None else None
            if degree is not None and degree.upper() in _ASSISTANT_DEGREES:
                assistant = minutes  # the charge was performed by an assistant
                d.places[f"{at}.assistant_minutes"] = ft1.at(20)
            if assistant:
                s["assistant_minutes"] = assistant
        for z in after:
            if z.id == "ZSV":
                extra = _json(z, 4)
                place = z.at(4)
                for key in extra:
                    d.places[f"{at}.{key}"] = place
                s.update(extra)
        return s

    def _value(
        self, after: list[Segment], spec: tuple[str, int, int], d: Draft, path: str
    ) -> int | None:
        seg_id, field, component = spec
        for s in after:
            if s.id == seg_id:
                value = _int(s, field, component)
                if value is not None:
                    d.places[path] = s.at(field)
                    return value
        return None


def _following(segs: list[Segment]) -> dict[int, list[Segment]]:
    """Each FT1's following segments up to the next FT1 (its NTE and Z-segments)."""
    out: dict[int, list[Segment]] = {}
    current: list[Segment] | None = None
    for s in segs:
        if s.id == "FT1":
            current = out[id(s)] = []
        elif current is not None and (s.id == "NTE" or s.id.startswith("Z")) and s.id != "ZPV":
            current.append(s)
        elif s.id in ("DG1", "IN1", "PR1"):
            current = None
    return out


def _one(by_id: dict[str, list[Segment]], seg_id: str) -> Segment:
    found = by_id.get(seg_id)
    if not found:
        raise _Fail(seg_id, f"the message has no {seg_id} segment", f"send the {seg_id} segment")
    return found[0]


@lru_cache(maxsize=65536)
def _icd(code: str) -> str:
    # Some EMRs send ICD-10-CM without its dot (M1711): the visit format writes it with one.
    code = code.strip().upper()
    if "." not in code and len(code) > 3:
        code = f"{code[:3]}.{code[3:]}"
    return code


def _provider(reps: list[list[str]]) -> dict[str, Any] | None:
    if not reps or not reps[0] or not reps[0][0]:
        return None
    c = reps[0] + [""] * 7
    out = {
        "npi": c[0],
        "last_name": c[1] or None,
        "first_name": c[2] or None,
        "credential": c[6] or None,
    }
    return {k: v for k, v in out.items() if v is not None}


def _address(reps: list[list[str]]) -> dict[str, Any] | None:
    if not reps or not any(reps[0]):
        return None
    c = reps[0] + [""] * 5
    out = {"line1": c[0], "line2": c[1], "city": c[2], "state": c[3], "zip": c[4]}
    return {k: v for k, v in out.items() if v}


def _json(seg: Segment, n: int) -> dict[str, Any]:
    raw = _unescape(seg.raw(n), seg.seps)
    if not raw:
        return {}
    try:
        value = json_object(raw)  # its numbers exact: a charge in ZSV-4 is not rounded
    except (ValueError, ArithmeticError, RecursionError):  # not JSON, 1E999999999, too deep
        value = None
    if not isinstance(value, dict):
        raise _Fail(
            seg.at(n), "expected a JSON object of visit fields", "fix the segment or leave it out"
        )
    return value


def control_id(lines: list[str]) -> str:
    msh = lines[0] if lines else ""
    fields = msh.split(msh[3]) if len(msh) > 3 else []
    return fields[9] if len(fields) > 9 else ""


def read_message(lines: list[str], where: str, origin: str, mapper: _Mapper) -> Draft:
    try:
        return mapper.message(split(lines, where), where, origin)
    except _Fail as f:
        raise InputError(
            file=origin, visit_id=None, field=f"{where}, {f.where}", problem=f.problem, fix=f.fix
        ) from None


def read(text: str, origin: str, config: Config) -> list[Visit]:
    """Every message's visit, or the errors of all bad messages (nothing from a bad file)."""
    return list(visits(text, origin, config))


def visits(text: str, origin: str, config: Config) -> Iterator[Visit]:
    """Each message's visit as it is read, until the first bad message; the rest are still
    read, and the errors of all bad messages are raised at the end (as `read` raises them), so
    that the file's visits need not be held at once."""
    return validated(_drafts(text, origin, _Mapper(config)), origin)


def _drafts(text: str, origin: str, mapper: _Mapper) -> Iterator[Draft]:
    """Each message's draft until the first message that cannot be mapped; InputErrors for
    all of those at the end, and a file that is not HL7 (no message, text before the first
    MSH) refused alone."""
    errors: list[InputError] = []
    found = False
    try:
        for number, lines in messages(text):
            found = True
            cid = control_id(lines)
            where = f"message {number}" + (f" ({cid})" if cid else "")
            try:
                draft = read_message(lines, where, origin, mapper)
            except InputError as e:
                errors.append(e)
                continue
            if not errors:
                yield draft
    except InputError as e:
        e.file = origin
        e.args = (e.render(),)
        raise
    if not found:
        raise InputError(
            file=origin,
            visit_id=None,
            field=None,
            problem="no HL7 message in the file",
            fix=FIX_HL7,
        )
    if errors:
        raise InputErrors(errors)


def read_one(text: str, origin: str, config: Config) -> Visit:
    """One message (from the listener): its visit, or Refused."""
    try:
        found = list(messages(text))
    except InputError as e:
        e.file = origin
        raise Refused("", [e], unreadable=True) from None
    lines = found[0][1] if found else []
    cid = control_id(lines)
    try:
        if len(found) != 1:
            raise InputError(
                file=origin,
                visit_id=None,
                field="message",
                problem=f"{len(found)} messages in one MLLP frame"
                if found
                else "the frame holds no HL7 message",
                fix="send one message a frame",
            )
        [visit] = finish([read_message(lines, f"message {cid}", origin, _Mapper(config))], origin)
    except InputErrors as e:
        raise Refused(cid, e.errors, unreadable=False) from None
    except InputError as e:  # no message, or one of a type not taken: HL7 rejects it (AR)
        unsupported = (e.field or "").endswith("MSH-9")
        raise Refused(cid, [e], unreadable=not lines or unsupported) from None
    return visit
