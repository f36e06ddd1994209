"""The simulated payer: valid, balanced answers, deterministic by seed, patterns as data."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from ptbill.config import load_config
from ptbill.demo.generator import generate
from ptbill.ledger.db import Ledger
from ptbill.payer_sim import PayerSim, SimConfig, simulate
from ptbill.payer_sim.patterns import DenialPattern
from ptbill.x12.read_277ca import read_277ca
from ptbill.x12.read_835 import read_835
from ptbill.x12.read_999 import read_999
from tests.ledger.helpers import import_and_submit, write_visits

RECEIVED = dt.date(2025, 4, 1)


def _claims_837(tmp_path: Path) -> str:
    visits = generate(80, 3, start=dt.date(2025, 3, 3), days=10, error_rate=0)
    ledger = Ledger(f"sqlite:///{tmp_path / 's.db'}")
    try:
        sent = import_and_submit(
            ledger, load_config(None), write_visits(tmp_path / "v.jsonl", visits), RECEIVED
        )
    finally:
        ledger.close()
    return sent.text


def test_answers_are_valid_balanced_and_deterministic(tmp_path: Path) -> None:
    text = _claims_837(tmp_path)
    config = load_config(None)
    a = simulate(text, config, SimConfig(seed=5), received=RECEIVED)
    b = simulate(text, config, SimConfig(seed=5), received=RECEIVED)
    c = simulate(text, config, SimConfig(seed=6), received=RECEIVED)
    assert (a.ack_999, a.ack_277, a.remit_835) == (b.ack_999, b.ack_277, b.remit_835)
    assert a.remit_835 != c.remit_835
    assert read_999(io.StringIO(a.ack_999)).accepted
    acks = read_277ca(io.StringIO(a.ack_277))
    assert len([x for t in acks for x in t.claims]) == len(a.decisions)
    payments = list(read_835(io.StringIO(a.remit_835 or "")))
    assert all(p.imbalances == [] for p in payments)
    accepted = [d for d in a.decisions if d.rejection is None]
    assert sum(len(p.claims) for p in payments) == len(accepted)


def test_a_pattern_that_always_fires(tmp_path: Path) -> None:
    text = _claims_837(tmp_path)
    sim = SimConfig(
        reject_rate=0,
        underpay_rate=0,
        denials=(DenialPattern("auth", 1.0, "CO", "197", None, "claim"),),
    )
    out = simulate(text, load_config(None), sim, received=RECEIVED)
    claims = [c for p in read_835(io.StringIO(out.remit_835 or "")) for c in p.claims]
    assert claims and all(c.status == "4" and c.paid == 0 for c in claims)
    assert {a.reason for c in claims for x in c.lines for a in x.adjustments} == {"197"}


def test_timely_filing_and_duplicates_are_rules_not_chance(tmp_path: Path) -> None:
    text = _claims_837(tmp_path)
    config = load_config(None)
    sim = SimConfig(reject_rate=0, denials=())
    late = simulate(text, config, sim, received=dt.date(2027, 1, 4))  # past every limit
    assert {x.adjustments[0][1] for d in late.decisions for x in d.lines} == {"29"}
    payer = PayerSim(config, sim)
    simulate(text, config, sim, received=RECEIVED, payer=payer)
    again = simulate(text, config, sim, received=RECEIVED, payer=payer)  # sent twice
    assert {d.status for d in again.decisions} == {"4"}
    assert {x.adjustments[0][1] for d in again.decisions for x in d.lines} == {"18"}


def test_settings_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "sim.toml"
    path.write_text(
        'seed = 9\nreject_rate = 0.5\n[[denial]]\nname = "x"\nprobability = 0.2\n'
        'group = "CO"\ncarc = 50\nrarc = "N115"\n'
    )
    sim = SimConfig.from_toml(str(path))
    assert (sim.seed, sim.reject_rate) == (9, 0.5)
    assert sim.denials == (DenialPattern("x", 0.2, "CO", "50", "N115"),)
