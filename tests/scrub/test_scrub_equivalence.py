"""`ptbill scrub --json` and `code --json` over a few thousand varied visits, pinned by the
SHA-256 of their output: what the scrubber, the coder and the scrub JSON writer said before
their hot paths were made faster (issue #19), they must still say.

The visits are the demo generator's (half of them with one labelled mistake) with seeded
changes on top, so that rules the demo's mistakes never reach see both sides of their
conditions: requested units and modifiers, unknown, bundled and unlisted codes, evaluations,
CQ minutes, missing episode parts, replacement claims, billing providers instead of clinics,
bad NPIs and diagnoses, charges, duplicates (the run's two-pass way) and other as-of dates.
The golden file was written by the code before the change (main's interpreter):

    .venv/bin/python -m tests.scrub.test_scrub_equivalence > tests/scrub/data/equivalence.golden

Write it again only for a change that means to change what a rule finds, and say so.
"""

from __future__ import annotations

import copy
import json
import random
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from ptbill.cli import parallel
from ptbill.cli.main import cli
from ptbill.demo.generator import generate
from ptbill.domain import Visit
from tests.cli.test_output_pinned import outcome

GOLDEN = Path(__file__).parent / "data" / "equivalence.golden"
Doc = dict[str, Any]


def _service(rng: random.Random, v: Doc) -> Doc:
    return rng.choice(v["services"])


def _requested_units(rng: random.Random, v: Doc) -> None:
    _service(rng, v)["units"] = rng.choice([0, 1, 2, 3, 5])


def _no_minutes(rng: random.Random, v: Doc) -> None:
    s = _service(rng, v)
    s["minutes"] = None
    if rng.random() < 0.5:
        s["units"] = rng.choice([1, 2])


def _modifiers(rng: random.Random, v: Doc) -> None:
    pool = ["59", "XU", "XE", "XS", "XP", "GP", "GO", "KX", "CQ", "CO", "25", "GA", "76"]
    _service(rng, v)["modifiers"] = rng.sample(pool, rng.choice([1, 1, 2, 3, 4, 5]))


def _distinct(rng: random.Random, v: Doc) -> None:
    s = _service(rng, v)
    s["distinct"] = {"reason": "separate time block", "kind": rng.choice([None, "time_block"])}
    s["body_region"] = rng.choice(["left knee", "right shoulder", None])


def _extra_code(rng: random.Random, v: Doc) -> None:
    code = rng.choice(
        ["97010", "97014", "97026", "97139", "97799", "99999", "G0283", "97140", "97530", "97750",
         "97161", "97163", "97164", "97018", "97012", "97597", "97598", "97542", "97760"]
    )  # fmt: skip
    s: Doc = {"code": code, "minutes": rng.choice([None, 5, 8, 15, 23, 38])}
    if rng.random() < 0.3:
        s["description"] = rng.choice(["", "  ", "manual lymph drainage"])
    if rng.random() < 0.3:
        s["units"] = rng.choice([1, 2, 4])
    if code in ("97161", "97163") and rng.random() < 0.5:
        s["evaluation"] = {
            "history_factors": rng.choice([0, 2, 4]),
            "exam_elements": rng.choice([1, 3, 5]),
            "presentation": rng.choice(["stable", "evolving", "unstable"]),
            "decision_making": rng.choice(["low", "moderate", "high"]),
        }
    if code == "97164" and rng.random() < 0.5:
        s["reevaluation_reason"] = "no response to the plan"
    v["services"].append(s)


def _assistant(rng: random.Random, v: Doc) -> None:
    s = _service(rng, v)
    s["assistant_minutes"] = min(s.get("minutes") or 0, rng.choice([1, 3, 8, 15, 40]))
    if rng.random() < 0.5:
        v["rendering_provider"]["credential"] = rng.choice(["PTA", "PT", "DPT", None])
    if rng.random() < 0.4:
        v["supervising_provider"] = None


def _episode(rng: random.Random, v: Doc) -> None:
    ep = v.get("episode")
    if ep is None:
        return
    what = rng.choice(["plan", "auth", "all", "report", "kx", "cert", "elig", "number"])
    if what == "plan":
        ep["plan_of_care"] = None
    elif what == "auth":
        ep["authorization"] = None
    elif what == "all":
        v["episode"] = None
    elif what == "report":
        ep["progress_report_this_visit"] = True
        ep["last_progress_report_visit"] = rng.choice([None, 1, 9])
    elif what == "kx":
        ep["therapy_amount_ytd"] = rng.choice(["2400.00", "2500.00", "3999.99", "4100.00"])
        ep["kx_medical_necessity_documented"] = rng.random() < 0.5
    elif what == "cert" and ep.get("plan_of_care"):
        ep["plan_of_care"]["certified_date"] = rng.choice([None, "2025-06-30"])
        ep["plan_of_care"]["certifying_npi"] = rng.choice([None, "1245319599"])
    elif what == "elig":
        ep["eligibility"] = {
            "checked_on": "2025-03-01",
            "active": rng.choice([True, False, None]),
            "plan_end": rng.choice([None, "2025-02-28"]),
            "visits_remaining": rng.choice([None, 0, 3]),
        }
    else:
        ep["visit_number"] = rng.choice([1, 2, 11, 30])


def _diagnoses(rng: random.Random, v: Doc) -> None:
    extra = rng.choice(["M17", "Z99.9999", "W19.XXXA", "G99.2", "M17.11", "S83.2", "M54.5"])
    v["diagnoses"].insert(rng.choice([0, len(v["diagnoses"])]), extra)
    if rng.random() < 0.3:
        v["diagnoses"] *= 7  # too many, duplicated


def _claim(rng: random.Random, v: Doc) -> None:
    what = rng.choice(["replace", "void", "totals", "signed", "referring", "npi", "charge"])
    if what in ("replace", "void"):
        v["frequency_code"] = "7" if what == "replace" else "8"
        v["original_claim_id"] = rng.choice([None, "ICN-1"])
    elif what == "totals":
        v["total_timed_minutes"] = (v.get("total_timed_minutes") or 0) + rng.choice([-1, 2])
        v["total_treatment_minutes"] = rng.choice([None, 3, 90])
    elif what == "signed":
        v["signed"] = rng.choice([None, {"by_npi": "1245319599", "date": "2025-06-30"}])
    elif what == "referring":
        v["referring_provider"] = None
    elif what == "npi":
        v["rendering_provider"]["npi"] = "1245319598"
    else:
        for s in v["services"]:
            s["charge"] = rng.choice(["48.00", "100.00", "0.00"])


def _billing_provider(rng: random.Random, v: Doc) -> None:
    v["clinic"] = None
    v["billing_provider"] = {
        "name": "Solo PT",
        "npi": "1245319599",
        "tax_id": "12-3456789",
        "taxonomy": rng.choice(["225100000X", "2251X", "207Q00000X"]),
        "address": {
            "line1": "1 Main St",
            "city": "Springfield",
            "state": "IL",
            "zip": rng.choice(["62701", "62701-1234"]),
        },
        "medicare_locality": rng.choice([None, "06102-16"]),
    }


def _patient(rng: random.Random, v: Doc) -> None:
    what = rng.choice(["sex", "born", "member", "spouse"])
    if what == "sex":
        v["patient"]["sex"] = "U"
    elif what == "born":
        v["patient"]["birth_date"] = rng.choice(["2025-04-01", "1900-01-01"])
    elif what == "member":
        v["subscriber"]["member_id"] = rng.choice(["1EG4TE5MK72", "123", "ABCDEFGHIJK"])
    else:
        v["subscriber"]["relationship"] = "spouse"


def _payer(rng: random.Random, v: Doc) -> None:
    v["payer"] = rng.choice(["medicare", "medicaid", "commercial", "acme-ppo"])


CHANGES: tuple[Callable[[random.Random, Doc], None], ...] = (
    _requested_units,
    _no_minutes,
    _modifiers,
    _distinct,
    _extra_code,
    _assistant,
    _episode,
    _diagnoses,
    _claim,
    _billing_provider,
    _patient,
    _payer,
)


def visits(n: int, seed: int) -> Iterator[Doc]:
    """n varied visits, each valid for the visit format, each its own patient; the first
    tenth unchanged, the others with one to four seeded changes."""
    rng = random.Random(seed)
    for i, v in enumerate(generate(n, seed, error_rate=0.5)):
        v["patient"]["id"] = f"P-{i:05d}"
        if i >= n // 10:
            changed = copy.deepcopy(v)
            for change in rng.sample(CHANGES, rng.choice([1, 1, 2, 3, 4])):
                change(rng, changed)
            try:
                Visit.model_validate(changed)
            except ValidationError:
                pass  # a change the visit format refuses: the visit as generated
            else:
                v = changed
        yield v


def _files(folder: Path) -> dict[str, Path]:
    alone = list(visits(3000, 23))
    doubled = [*alone[:400], *copy.deepcopy(alone[100:130])]  # an export sent twice
    for v in doubled[-10:]:
        v["visit_id"] += "-B"  # another visit of the same patient and day
    paths = {}
    for name, items in (("alone.jsonl", alone), ("doubled.jsonl", doubled)):
        path = paths[name] = folder / name
        path.write_text("".join(json.dumps(v) + "\n" for v in items))
    return paths


def cases(folder: Path) -> Iterator[tuple[str, list[str]]]:
    """(label, arguments) of every pinned run."""
    for name, path in _files(folder).items():
        for args in (
            ["scrub", "--json", "--as-of", "2025-03-31"],
            ["scrub", "--jsonl", "--as-of", "2025-12-31"],
            ["code", "--json"],
        ):
            yield f"{name} {' '.join(args)}", [args[0], str(path), *args[1:]]


# label -> "exit status, SHA-256 of stdout" (outcome's words, as tests/cli pins its runs)
PINNED = dict(x.rsplit("\t", 1) for x in GOLDEN.read_text().splitlines() if x)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    return dict(cases(tmp_path_factory.mktemp("equivalence")))


def test_every_case_is_pinned(runs: dict[str, list[str]]) -> None:
    assert sorted(runs) == sorted(PINNED)


def test_the_changes_reach_many_rules(runs: dict[str, list[str]]) -> None:
    """The input is varied enough to mean something: most rules find something in it."""
    args = runs["alone.jsonl scrub --json --as-of 2025-03-31"]
    r = CliRunner(env={"PTBILL_TODAY": "2025-03-10"}).invoke(cli, args, obj={})
    found = {f["rule"] for v in json.loads(r.stdout_bytes) for f in v["findings"]}
    assert len(found) >= 55, sorted(found)


@pytest.mark.parametrize(("label", "expected"), PINNED.items())
def test_the_output_is_what_it_was(runs: dict[str, list[str]], label: str, expected: str) -> None:
    assert outcome(runs[label]) == expected


@pytest.mark.parametrize(
    ("label", "expected"), [(k, v) for k, v in PINNED.items() if " scrub " in k]
)
def test_worker_processes_write_the_same(
    runs: dict[str, list[str]], label: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """scrub --json and --jsonl in worker processes (ptbill.cli.parallel), the input cut into
    chunks of about 30 visits: the same bytes (doubled.jsonl: its duplicates are found
    across chunks, and the input made claims again in one process)."""
    monkeypatch.setattr(parallel, "CHUNK_BYTES", 64 << 10)
    assert outcome([*runs[label], "--workers", "3"]) == expected


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        sys.stdout.writelines(f"{k}\t{outcome(a)}\n" for k, a in cases(Path(folder)))
