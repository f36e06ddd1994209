"""FHIR R4 intake: a Bundle of clinical resources (one visit per Encounter) or Claims (one
visit per Claim) -> visits. docs/intake.md maps every element to its visit field.

Each resource is checked with fhir.resources' R4B models (which cover R4) when the file is
read with `validate="full"`; the visits are built from the parsed JSON either way, by accessors
that check each element the mapping reads and name it (`Procedure[3].performedPeriod`) when
it is wrong. Validating every resource with the models costs about 18 times the JSON intake of
the same visits (docs/benchmarks/intake.md), so a bulk file is read with `validate="mapped"`
(the default): the elements the mapping reads are checked, the others are not.

A Bundle of Encounters made only of the elements the mapping reads (and a few it passes over)
is read first by ptbill.intake.fhir_typed (msgspec structs: its parsing and mapping take
about 40% of the generic reader's CPU, its peak memory is 1 GB lower at 50,000 visits); any
file it declines is read by `read_generic`, which names what is wrong.

The parts: ptbill.intake.fhir_resources (parsing, the index of resources, checked accessors),
fhir_map (an Encounter and its resources), fhir_claim (a Claim), fhir_typed (the typed
reader), fhir_export (the writer).

What FHIR has no element for (the plan of care in force, progress reports, authorizations, the
note's signature) comes from the ledger's history, or from the ptbill extensions named below,
which `ptbill demo-data --format fhir` writes and docs/intake.md documents.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import ValidationError

from ptbill.config.profiles import Config
from ptbill.domain.visit import Visit
from ptbill.errors import InputError, InputErrors
from ptbill.intake import fhir_typed
from ptbill.intake.build import Draft, Recognise, finish
from ptbill.intake.fhir_claim import ClaimMapper
from ptbill.intake.fhir_resources import FIX_FHIR, Fail, Found, Index, dotted, id_of, parse

Validate = Literal["mapped", "full"]


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
                [(dotted(tuple(x["loc"])), x["msg"]) for x in e.errors(include_url=False)]
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
    if validate == "mapped":
        visits = fhir_typed.read(text, config)  # a Bundle of Encounters it reads in full
        if visits is not None:
            return visits
    return read_generic(text, origin, config, validate)


def visits(text: str, origin: str, config: Config) -> Iterator[Visit]:
    """The visits `read` gives, in its order, each as it is read where the typed reader reads
    the file (the others read whole first): for a caller that handles visits as they come
    rather than holding them all. A refused file raises `read`'s InputError(s), after none or
    some of its visits (such a caller keeps nothing before the end)."""
    mapper = fhir_typed.mapper_of(text, config)
    given = 0
    if mapper is not None:
        try:
            for visit in mapper.visits():
                yield visit
                given += 1
            return
        except fhir_typed.DECLINES:
            pass  # the generic reader's visits are the same: those given are not given again
    yield from read_generic(text, origin, config)[given:]


def read_generic(
    text: str, origin: str, config: Config, validate: Validate = "mapped"
) -> list[Visit]:
    """Any FHIR JSON file, as parsed JSON: the reader of the files ptbill.intake.fhir_typed
    declines, which names each wrong element and its fix."""
    resources = parse(text, origin)
    if validate == "full":
        validate_models(resources, origin)
    try:  # it resolves the references that tie Procedures, Conditions, ChargeItems to visits
        index = Index(resources)
        mapper = ClaimMapper(index, Recognise(config), origin)
    except Fail as f:
        raise InputError(
            file=origin, visit_id=None, field=f.where, problem=f.problem, fix=f.fix
        ) from None
    drafts: list[Draft] = []
    errors: list[InputError] = []
    units = [*index.of("Encounter"), *index.of("Claim")]
    if not units:
        said = _outcome(index)
        if said is not None:
            answer = f"this is the EMR's error answer, not visits: {said}"
            again = "correct what it reports, then export the visits again"
            raise InputError(origin, answer, again, field="OperationOutcome")
        raise InputError(
            file=origin,
            visit_id=None,
            field="Bundle",
            problem="no Encounter or Claim: nothing to bill",
            fix=FIX_FHIR,
        )
    for res in units:
        try:
            drafts.append(mapper.encounter(res) if res.type == "Encounter" else mapper.claim(res))
        except Fail as f:
            errors.append(
                InputError(
                    file=origin, visit_id=id_of(res), field=f.where, problem=f.problem, fix=f.fix
                )
            )
        except InputError as e:
            errors.append(e)
    if errors:
        raise InputErrors(errors)
    return finish(drafts, origin)


def _outcome(index: Index) -> str | None:
    """What a file's OperationOutcome says (its issues' text), or None when it has none."""
    outcomes = index.of("OperationOutcome")
    if not outcomes:
        return None
    said = []
    for issue in outcomes[0].get("issue") or ():
        if isinstance(issue, dict):
            details = issue.get("details")
            text = issue.get("diagnostics") or (
                details.get("text") if isinstance(details, dict) else None
            )
            said.append(f"{issue.get('severity', 'issue')}: {text or issue.get('code', '?')}")
    return "; ".join(map(str, said))[:500] or "no issue given"
