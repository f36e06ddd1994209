"""What the readers of other formats share: a visit document drafted from a source, with where
each of its parts came from, validated as a JSON visit is; payers and clinics recognised from
what an EMR sends.

A reader drafts plain visit documents (dicts in the visit format) and says, for each field it
filled, the place in the source it came from (`FT1[2]-7`, `Procedure[3].performedPeriod`,
`row 12, column minutes`). A pydantic error on a field is then reported at that place, with the
visit format's field beside it: the biller fixes the EMR's export, not a file they never saw.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ptbill.config.profiles import Config
from ptbill.domain.visit import Visit
from ptbill.errors import InputError, InputErrors, validation_errors


@dataclass(slots=True)
class Draft:
    """A visit document in the making and where its parts came from."""

    doc: dict[str, Any]
    where: str  # the source unit: "message 3", "rows 4-6", "Encounter/enc-1"
    places: dict[str, str] = field(default_factory=dict)  # visit field path -> source place
    # A reader may instead work the places out only when a field is wrong (they cost more
    # than the reading when every cell of a large file has one).
    locate: Callable[[], dict[str, str]] | None = None
    # The element, within a service's source place, that each of its fields comes from (e.g.
    # minutes: ".performedPeriod" of its Procedure), for readers that name only the service.
    elements: Mapping[str, str] = field(default_factory=dict)

    def put(self, path: str, value: Any, place: str) -> None:
        """Set a (dotted) field of the document and remember where its value came from."""
        self.places[path] = place
        if "." not in path:
            self.doc[path] = value
            return
        target = self.doc
        keys = path.split(".")
        for key in keys[:-1]:
            target = target.setdefault(key, {})
        target[keys[-1]] = value

    def merge(self, fields: Mapping[str, Any], place: str) -> None:
        """Visit fields sent as a JSON object (a ptbill extension, a Z-segment) over the
        document's: an object over an object merges (its keys win), any other value replaces;
        a dotted key sets the nested field, copying the parts on its way (they may be shared
        with other visits' documents, never changed)."""
        doc, places = self.doc, self.places
        for key, value in fields.items():
            old = doc.get(key)
            if isinstance(old, dict) and isinstance(value, dict):
                value = {**old, **value}
            if "." not in key:
                doc[key] = value
            else:
                target = doc
                *parents, last = key.split(".")
                for part in parents:
                    inner = target.get(part)
                    target[part] = inner = dict(inner) if isinstance(inner, dict) else {}
                    target = inner
                target[last] = value
            places[key] = place

    def place_of(self, path: str) -> str | None:
        """The source place of a field path, or of the nearest enclosing part that has one."""
        if self.locate is not None:
            self.places, self.locate = {**self.locate(), **self.places}, None
        field_name = ""
        while path:
            if path in self.places:
                return self.places[path] + self.elements.get(field_name, "")
            cut = max(path.rfind("."), path.rfind("["))
            field_name = path[cut + 1 :] if path[cut] == "." else ""
            path = path[:cut] if cut > 0 else ""
        return None


def refuse(origin: str, where: str, problem: str, fix: str, visit_id: str | None = None) -> None:
    raise InputError(file=origin, visit_id=visit_id, field=where, problem=problem, fix=fix)


def finish(drafts: Iterable[Draft], origin: str) -> list[Visit]:
    """Every draft validated into a Visit, or InputErrors for all the bad ones (nothing is
    returned when any is bad: a batch is stored whole or not at all)."""
    return list(validated(drafts, origin))


def validated(drafts: Iterable[Draft], origin: str) -> Iterator[Visit]:
    """Each draft validated into a Visit as it comes, until the first bad one; the rest are
    still validated, and InputErrors for all the bad ones is raised at the end (the caller
    that stores visits as they come stores nothing before it has seen the end)."""
    errors: list[InputError] = []
    for d in drafts:
        try:
            visit = Visit.model_validate(d.doc)
        except ValidationError as e:
            vid = d.doc.get("visit_id")
            for err in validation_errors(e, origin, vid if isinstance(vid, str) else None):
                path = err.field or ""
                place = d.place_of(path)
                if place is not None and place.startswith(f"{d.where}, "):
                    place = place.removeprefix(f"{d.where}, ")  # a CSV visit of one row
                err.field = f"{d.where}, {place} ({path})" if place else f"{d.where} ({path})"
                err.args = (err.render(),)
                errors.append(err)
            continue
        if not errors:
            yield visit
    if errors:
        raise InputErrors(errors)


class Recognise:
    """Payer profiles and clinics named the ways EMRs name them."""

    def __init__(self, config: Config) -> None:
        self.config = config
        names: dict[str, str] = {}
        for key, profile in config.payers.items():
            names.setdefault(profile.payer_id.casefold(), key)
        for key in config.payers:
            names[key.casefold()] = key  # a profile key wins over another profile's payer_id
        for ident, key in config.intake.payers.items():
            names[ident.strip().casefold()] = key
        self.names = names

    def payer(self, values: Iterable[str | None]) -> str | None:
        """The profile key that the first recognised value names."""
        for value in values:
            if value and (key := self.names.get(value.strip().casefold())) is not None:
                return key
        return None

    def unknown_payer(self, origin: str, where: str, value: str, visit_id: str | None) -> None:
        refuse(
            origin,
            where,
            f"payer {value!r} is not recognised",
            "use a payer profile key or payer_id, or map it to a profile in the configuration's "
            f'[intake.payers] ("{value}" = "KEY"); profiles: '
            + ", ".join(sorted(self.config.payers)),
            visit_id,
        )

    def clinic_of_npi(self, npi: str | None) -> str | None:
        found = self.config.clinic_by_npi(npi) if npi else None
        return found.key if found else None

    def default_clinic(self) -> str | None:
        """The clinic of visits whose input names none: the configured one, else the only one."""
        if self.config.intake.clinic:
            return self.config.intake.clinic
        return next(iter(self.config.clinics)) if len(self.config.clinics) == 1 else None


def no_clinic(origin: str, where: str, visit_id: str | None) -> None:
    refuse(
        origin,
        where,
        "the billing clinic is not named",
        'send the billing provider\'s NPI, or set [intake] clinic = "KEY" in the configuration',
        visit_id,
    )
