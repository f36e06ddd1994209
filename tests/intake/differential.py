"""The intake readers' differential harness: what each reader makes of the fixtures and of many
damaged copies of them (its visits, or every error's file, visit, field, problem and fix),
against the outcomes recorded from the readers as they were before their speed work
(fixtures/differential/golden.json, written from main at 0158d14; some cases since changed on
purpose: a FHIR given name sent as a bare string is that name, not its first letter; bundle.json's
ChargeItem charge 96.00 is read as written, no longer as a float's 96.0; 37 refused CSV
copies are refused with clearer words: a row of fewer cells than columns, such as a stray word
on the last line, is named as that, an amount that is not one says how to write it, a visit of
one row names its row once ('row 4, column DOS', not 'row 4, row 4, column DOS'); and
7 FHIR copies that give two resources one fullUrl or Type/id, two of them read before with
the reference resolved to either, are refused naming both; the article before a name
follows its sound: 'an Encounter', 'an ADT^A01 message', 'a Bundle without a type'; an HL7
message type is named as written, 'a D message', no longer 'a D^None message').

The damaged copies are made by a seeded generator, so the same cases come back every run:
FHIR by editing the parsed JSON (an element deleted, set to another type or value, a reference
pointed elsewhere, an entry dropped or repeated), HL7 and CSV by replacing fields and cells and
dropping or repeating segments and rows.

    # the golden outcomes, from a checkout of the readers to compare with
    PYTHONPATH=/path/to/that/checkout/src .venv/bin/python -m tests.intake.differential --write
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ptbill.config import load_config
from ptbill.config.profiles import Config
from ptbill.errors import InputError, InputErrors
from ptbill.intake import read_visits

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = FIXTURES / "differential" / "golden.json"
SEED = 17

# The inputs damaged: (file, format, whether it needs the EMR's configuration).
_BASES = [
    ("bundle.json", "fhir", False),
    ("claim.json", "fhir", False),
    ("differential/demo.fhir.json", "fhir", False),
    ("dft_p03.hl7", "hl7", True),
    ("differential/demo.hl7", "hl7", False),
    ("charges_emr.csv", "csv", True),
    ("charges_default.csv", "csv", False),
    ("differential/demo.csv", "csv", False),
]
DAMAGED = {"fhir": 250, "hl7": 120, "csv": 80}  # damaged copies of each base file

# Values an element is set to: other JSON types, empty ones, near-misses of FHIR's formats.
_VALUES: list[Any] = [
    None, "", "x", 0, 7, -3, 2.5, True, [], {}, [{}], [None], {"reference": "Patient/nope"},
    {"reference": 7}, "2026-02-30", "2026-03-02", "2026-03-02T09:00:00", "2026-03-02T09:00:00Z",
    "2026-03-02T08:00:00-06:00", "2026-03-02T07:00", "97110", "M17.11", "Bundle", "Encounter",
    "urn:ptbill:Patient/pat1", "{}", '{"patient": {"id": 1}}', "assistant", "1e999", "-0.5",
]  # fmt: skip
_TOKENS = ["", "x", "0", "-1", "1.5", "99999", "2026-13-01", "20260230", "^", "~", "&", "\\F\\"]


@dataclass(frozen=True)
class Case:
    name: str
    fmt: str
    emr: bool  # read with the EMR's configuration (tests/intake/fixtures/intake.toml)
    text: str


def _read(name: str) -> str:
    with (FIXTURES / name).open(encoding="utf-8", newline="") as f:
        return f.read()


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every element's path in a JSON document (the root excluded)."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        yield (*path, key)
        if isinstance(value, dict | list):
            yield from _paths(value, (*path, key))


def _at(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def _damage_json(doc: Any, rng: random.Random) -> Any:
    doc = copy.deepcopy(doc)
    for _ in range(rng.choice((1, 1, 2, 3))):
        paths = list(_paths(doc))
        if not paths:
            break
        path = rng.choice(paths)
        parent, key = _at(doc, path[:-1]), path[-1]
        how = rng.random()
        if how < 0.3:
            del parent[key]
        elif how < 0.65:
            parent[key] = copy.deepcopy(rng.choice(_VALUES))
        elif how < 0.85:  # another element's value of the same name (a reference elsewhere)
            same = [p for p in paths if p[-1] == key and p != path]
            parent[key] = copy.deepcopy(_at(doc, rng.choice(same))) if same else None
        elif isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))  # an entry repeated
        else:
            parent[key + "x" if isinstance(key, str) else key] = parent.pop(key)  # misspelt
    return doc


def _damage_lines(text: str, sep: str, newline: str, rng: random.Random) -> str:
    lines = text.split(newline)
    for _ in range(rng.choice((1, 1, 2, 3))):
        n = rng.randrange(len(lines))
        how = rng.random()
        if how < 0.7:
            cells = lines[n].split(sep)
            cells[rng.randrange(len(cells))] = rng.choice(_TOKENS)
            lines[n] = sep.join(cells)
        elif how < 0.85:
            del lines[n]
        else:
            lines.insert(n, lines[n])
        if not lines:
            break
    return newline.join(lines)


def cases() -> list[Case]:
    out: list[Case] = []
    for name, fmt, emr in _BASES:
        text = _read(name)
        out.append(Case(name, fmt, emr, text))
        rng = random.Random(f"{SEED}:{name}")
        doc = json.loads(text) if fmt == "fhir" else None
        for i in range(DAMAGED[fmt]):
            if fmt == "fhir":
                damaged = json.dumps(_damage_json(doc, rng))
            elif fmt == "hl7":
                damaged = _damage_lines(text, "|", "\r", rng)
            else:
                sep = ";" if emr else ","
                damaged = _damage_lines(text, sep, "\n", rng)
            out.append(Case(f"{name}#{i}", fmt, emr, damaged))
    return out


def _configs() -> dict[bool, Config]:
    return {False: load_config(), True: load_config(str(FIXTURES / "intake.toml"))}


def _error(e: InputError) -> list[str | None]:
    return [e.file, e.visit_id, e.field, e.problem, e.fix]


def outcome(case: Case, config: Config) -> dict[str, Any]:
    """The visits read (as a digest of their JSON), or every error, or the exception that
    escaped (a bug: bad input gets an input error)."""
    try:
        visits = read_visits(case.text, "in.txt", case.fmt, config)
    except InputErrors as e:
        return {"errors": [_error(x) for x in e.errors]}
    except InputError as e:
        return {"errors": [_error(e)]}
    except Exception as e:  # noqa: BLE001 - recorded, and the test says what to do with it
        return {"crash": type(e).__name__}
    dumped = json.dumps([v.model_dump(mode="json") for v in visits], sort_keys=True)
    return {"visits": len(visits), "digest": hashlib.sha256(dumped.encode()).hexdigest()[:20]}


def outcomes() -> dict[str, dict[str, Any]]:
    configs = _configs()
    return {c.name: outcome(c, configs[c.emr]) for c in cases()}


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python -m tests.intake.differential --write")
    lines = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in outcomes().items()]
    GOLDEN.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")  # a case a line
