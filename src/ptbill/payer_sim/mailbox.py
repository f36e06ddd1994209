"""The simulated payer as the other side of a clearinghouse mailbox (a folder: the demo's, or
the one behind the tests' SFTP server).

`serve(root, house, config, ...)` takes every file ptbill put in the outbound folder, answers
it into the (first) inbound folder and moves it to `processed/`: an 837P gets its 999, 277CA
and, for the claims accepted, its 835 (ptbill.payer_sim.simulate); a 270 its 271; a 276 its
277, from what the payer remembers of the claims it adjudicated (`.sim-claims.json`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ptbill.config.profiles import Clearinghouse, Config
from ptbill.payer_sim import SimConfig, answer_files
from ptbill.payer_sim.adjudicate import Decision
from ptbill.payer_sim.eligibility import EligibilitySim, answer_270
from ptbill.payer_sim.status import SimClaimState, answer_276
from ptbill.x12 import X12Error
from ptbill.x12.recognize import HEAD, recognize

STATE = ".sim-claims.json"


@dataclass
class Served:
    answered: list[str] = field(default_factory=list)  # outbound files answered
    written: list[str] = field(default_factory=list)  # inbound files written


def _load(root: Path) -> dict[str, SimClaimState]:
    path = root / STATE
    if not path.exists():
        return {}
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {
        k: SimClaimState(
            v["status"],
            v["icn"],
            Decimal(v["charge"]),
            Decimal(v["paid"]),
            dt.date.fromisoformat(v["paid_on"]),
        )
        for k, v in raw.items()
    }


def _save(root: Path, claims: dict[str, SimClaimState]) -> None:
    data = {
        k: {
            "status": v.status,
            "icn": v.icn,
            "charge": str(v.charge),
            "paid": str(v.paid),
            "paid_on": v.paid_on.isoformat(),
        }
        for k, v in claims.items()
    }
    (root / STATE).write_text(json.dumps(data, indent=1), encoding="utf-8")


def serve(
    root: Path,
    house: Clearinghouse,
    config: Config,
    *,
    received: dt.date,
    sim: SimConfig | None = None,
    eligibility: EligibilitySim | None = None,
    first_number: int = 900_000_001,
) -> Served:
    """Answer everything waiting in the outbound folder (see the module doc)."""
    outbound = root / house.outbound.strip("/")
    inbound = root / house.inbound[0].strip("/")
    processed = root / "processed"
    for folder in (outbound, inbound, processed):
        folder.mkdir(parents=True, exist_ok=True)
    claims = _load(root)
    served = Served()
    number = first_number + len(list(processed.iterdir()))
    paid_on = received + dt.timedelta(days=(sim or SimConfig()).days_to_pay)

    def remember(d: Decision) -> None:
        claims[d.claim.claim_id] = SimClaimState(
            "rejected" if d.rejection else ("denied" if d.status == "4" else "paid"),
            d.icn,
            d.claim.charge,
            d.paid,
            paid_on,
        )

    for path in sorted(p for p in outbound.iterdir() if p.is_file() and not p.name.startswith(".")):
        with path.open(encoding="utf-8", errors="replace") as f:
            head = f.read(HEAD)
        try:
            kind = recognize(head)
        except X12Error:
            kind = "unknown"
        answers: list[tuple[str, str]] = []
        if kind == "837":  # read and answered a transaction set at a time, into the files
            done = answer_files(
                path, inbound, config, sim, received=received, number=number, each=remember
            )
            served.written += [f.name for f in done.files]
        elif kind == "270":
            text = path.read_text(encoding="utf-8", errors="replace")
            answers = [("271", answer_270(text, config, eligibility, number=number, when=received))]
        elif kind == "276":
            text = path.read_text(encoding="utf-8", errors="replace")
            answers = [("277", answer_276(text, claims, number=number, when=received))]
        for suffix, body in answers:
            target = inbound / f"{path.stem}.{suffix}"
            tmp = target.with_name(f".{target.name}.part")
            tmp.write_text(body, encoding="utf-8")
            os.replace(tmp, target)
            served.written.append(target.name)
        os.replace(path, processed / path.name)
        served.answered.append(path.name)
        number += 1
    _save(root, claims)
    return served
