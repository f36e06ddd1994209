"""`ptbill eligibility read --json` writes exactly what the reader and the standard library's
encoder wrote before it was made faster (orjson, the collector paused): the same bytes for
every kind of answer the simulated payer gives, a payer's coordination of benefits, an
error-only answer, and text outside ASCII (which the standard encoder escapes)."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ptbill.cli.common import _default
from ptbill.cli.main import cli
from ptbill.config import load_config
from ptbill.payer_sim.eligibility import EligibilitySim, answer_270, sample_270
from ptbill.x12.benefits import summarize
from ptbill.x12.read_271 import read_271
from tests.payers.test_x12_payers import COB_271

DAY = dt.date(2026, 3, 2)


def _simulated(patients: int) -> str:
    """A 271 of every simulated answer: active, inactive, no visit left, Medicare with the
    therapy amount applied, not found; dependents among them."""
    sim = EligibilitySim(inactive_rate=0.2, limit_rate=0.2, not_found_rate=0.1)
    text = sample_270(patients, DAY, dependents_every=7)
    return answer_270(text, load_config(None), sim, number=2, when=DAY)


def _error_only() -> str:
    text = (
        COB_271.split("HL*2*1*21*1~")[0] + "AAA*N**42*R~\nSE*7*0001~\nGE*1*42~\nIEA*1*000000042~\n"
    )
    return text.replace("HL*1**20*1~\nNM1", "HL*1**20*0~\nNM1")


ANSWERS = {
    "simulated": lambda: _simulated(300),
    "coordination of benefits": lambda: COB_271,
    "error only": _error_only,
    "non-ASCII": lambda: COB_271.replace("ACME HEALTH", "ACMÉ SANTÉ").replace("DOE", "DOË"),
}


def _before(text: str) -> str:
    """What the command printed before: read_271, summarize, json.dumps (print_json)."""
    people = [summarize(e) for e in read_271(io.StringIO(text))]
    return json.dumps(people, indent=2, default=_default, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("name", list(ANSWERS))
def test_the_json_is_the_same_bytes_as_before(name: str, tmp_path: Path) -> None:
    text = ANSWERS[name]()
    path = tmp_path / "answer.271"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["eligibility", "read", str(path), "--json"], obj={})
    assert result.exit_code in (0, 1), result.stderr
    expected = _before(text)
    assert result.stdout == expected
    people = json.loads(expected)
    assert people and result.exit_code == int(
        any(p["active"] is False or p["errors"] for p in people)
    )
    if name == "simulated":  # every kind of answer is in it
        assert {p["active"] for p in people} == {True, False, None}
        assert any(p["visits_remaining"] == 0 for p in people)
        assert any(p["therapy_amount_applied"] for p in people)
        assert any(p["level"] == "dependent" for p in people)
