"""The 271 reader and its summary, pinned: what `ptbill eligibility read --json` made of each
person of these 271s before the reader and the summary were rewritten for speed (issue #16),
it must still make, key for key; and what it made of a damaged 271 (an error naming the
segment, or the people read) it must still make.

The 271s: the simulated payer's every kind of answer (dependents among them); the
coordination-of-benefits and error-only 271s of the other tests; and seeded random 271s whose
people carry random EB segments (every EB01, coverage level, service types alone and
repeated, insurance type, period, amount, percent, quantity and its qualifier, authorization
and network flag a PT summary ranks or reads) with random dates, messages, references, AAA
errors and related entities, some of them dependents, so that every ranking rule and every
tie is exercised. The damage: each segment of the coordination-of-benefits 271 dropped,
duplicated or swapped with the next, each element emptied or replaced by "X". The corpus
(../shared/x12-corpus) holds no 271.

Each line of the golden file is a label, then per person a digest of its JSON (every key, in
order, as the command prints it), or the error as rendered. The golden file was written before
the rewrite:

    .venv/bin/python -m tests.payers.test_read_271_golden > tests/payers/data/read_271.golden

Write it again only for a change that means to change what the reader reads, and say so.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ptbill.cli.common import _default
from ptbill.config import load_config
from ptbill.errors import InputError
from ptbill.payer_sim.eligibility import EligibilitySim, answer_270, sample_270
from ptbill.x12.benefits import read_people
from ptbill.x12.envelope import segment
from ptbill.x12.read_271 import _Parser
from tests.payers.test_x12_payers import COB_271, ISA
from tests.x12.remit_outcome import Forgetful

GOLDEN = Path(__file__).parent / "data" / "read_271.golden"
DAY = dt.date(2026, 3, 2)

# What a random EB segment is made of (EB01 ... EB13); "" leaves an element out.
_EB_CHOICES: list[tuple[str, ...]] = [
    ("1", "6", "A", "B", "C", "F", "G", "R", "D", "CB", "2", "5", "7", "8", "I", "X"),
    ("", "IND", "FAM", "EMP", "CHD", "ESP"),
    ("", "30", "PT", "AE", "PT^AE", "AE^PT", "98", "30^PT", "AD", "1^33", "PT^30"),
    ("", "MB", "C1", "12", "43", "MA", "HN", "HM", "47"),
    ("", "GOLD PPO", "PART B"),
    ("", "21", "22", "23", "24", "25", "27", "29", "32", "33", "7"),
    ("", "0", "25", "40.00", "40", "600", "1500.5", "2210.43", "0.01", "0.00"),
    ("", "0.2", "0.1", "0", "1", "20", "0.333"),
    ("", "VS", "P6", "99", "DY", "QA"),
    ("", "0", "12", "20", "30", "12.5"),
    ("", "Y", "N", "U"),
    ("", "Y", "N", "W", "U"),
    ("", "HC:97110", "HC:97140"),
]
_PERSON_DATES = ["346", "347", "291", "356", "357", "307", "102"]


def _date(rng: random.Random) -> str:
    return f"2026{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"


def _dtp(rng: random.Random, qualifiers: list[str]) -> str:
    q = rng.choice(qualifiers)
    if rng.random() < 0.3:
        return segment("DTP", q, "RD8", f"{_date(rng)}-{_date(rng)}")
    return segment("DTP", q, "D8", _date(rng))


def _eb_loop(rng: random.Random, earlier: list[list[str]]) -> list[str]:
    """An EB loop: a random EB, or (to make ties of rank) an earlier EB of the person again
    with another amount, percent or quantity."""
    if earlier and rng.random() < 0.35:
        elements = rng.choice(earlier).copy()
        for i in rng.sample((6, 7, 9), 2):
            elements[i] = rng.choice(_EB_CHOICES[i][1:])
    else:
        elements = [rng.choice(c) if rng.random() < 0.6 else "" for c in _EB_CHOICES]
        elements[0] = rng.choice(_EB_CHOICES[0])  # EB01 is required
    earlier.append(elements)
    out = [segment("EB", *elements)]
    for _ in range(rng.choice((0, 0, 0, 1, 2))):
        out.append(
            rng.choice(
                (
                    _dtp(rng, ["346", "347", "291", "356", "357", "307", "292"]),
                    segment("MSG", rng.choice(("NOTE ONE", "NOTE TWO"))),
                    segment("REF", rng.choice(("18", "6P")), "X123"),
                    segment("AAA", rng.choice("YN"), "", rng.choice(("42", "75", "33")), "C"),
                )
            )
        )
    if elements[0] == "R" or rng.random() < 0.05:
        out += [
            segment("LS", "2120"),
            segment(
                "NM1",
                rng.choice(("PRP", "SEP", "P3", "ZZ")),
                "2",
                "OTHER PLAN",
                *[""] * 5,
                "PI",
                "OP1",
            ),
            segment("LE", "2120"),
        ]
    return out


def random_271(seed: int, people: int) -> str:
    """A 271 of `people` random subscribers (some with a dependent) under two payers."""
    rng = random.Random(seed)
    body = [segment("BHT", "0022", "11", f"R{seed}", "20260301", "0800")]
    hl = 0
    for payer in range(2):
        hl += 1
        source = hl
        body += [
            segment("HL", str(hl), "", "20", "1"),
            segment("NM1", "PR", "2", f"PAYER {payer}", *[""] * 4, "PI", f"P{payer}"),
        ]
        if rng.random() < 0.3:
            body.append(segment("AAA", "Y", "", "42", "R"))
        hl += 1
        receiver = hl
        body += [
            segment("HL", str(hl), str(source), "21", "1"),
            segment("NM1", "1P", "2", "ELM STREET PT", *[""] * 4, "XX", "1234567893"),
        ]
        for n in range(people // 2):
            hl += 1
            subscriber = hl
            dependent = rng.random() < 0.2
            body += [
                segment("HL", str(hl), str(receiver), "22", "1" if dependent else "0"),
                segment("TRN", "2", f"T{seed}-{payer}-{n}", "9ELMST0001"),
                segment("NM1", "IL", "1", "DOE", f"JO{n}", *[""] * 3, "MI", f"M{seed}{payer}{n}"),
            ]
            levels = [("subscriber", "")] + ([("dependent", str(subscriber))] if dependent else [])
            for level, parent in levels:
                if level == "dependent":
                    hl += 1
                    body += [
                        segment("HL", str(hl), parent, "23", "0"),
                        segment("TRN", "2", f"D{seed}-{payer}-{n}", "9ELMST0001"),
                        segment("NM1", "03", "1", "DOE", f"KID{n}"),
                    ]
                if rng.random() < 0.1:
                    body.append(segment("AAA", "N", "", rng.choice(("75", "72", "58")), "C"))
                    continue
                body.append(segment("DMG", "D8", "19600101", "F"))
                for _ in range(rng.choice((0, 1, 2, 3))):
                    body.append(_dtp(rng, _PERSON_DATES))
                earlier: list[list[str]] = []
                for _ in range(rng.randint(0, 16)):
                    body += _eb_loop(rng, earlier)
    head = [ISA + "^*00501*000000042*0*P*:", "GS*HB*PAYER*ELMST001*20260301*0800*42*X*005010X279A1"]
    st = ["ST*271*0001*005010X279A1", *body, f"SE*{len(body) + 2}*0001"]
    return "~\n".join([*head, *st, "GE*1*42", "IEA*1*000000042"]) + "~\n"


def damaged(seed: str) -> Iterator[tuple[str, str]]:
    """(label, text): each segment of the 271 dropped, duplicated, swapped with the next;
    each element of the transaction set's body emptied or replaced by "X"."""
    segments = seed.split("~\n")[:-1]
    start, stop = segments.index("BHT*0022*11*R1*20260301*0800"), len(segments) - 3

    def recounted(segs: list[str]) -> str:
        """The interchange, SE01 counting the set again: a wrong count would hide the rest."""
        at = next(k for k, s in enumerate(segs) if s.startswith("SE*"))
        segs = [*segs[:at], f"SE*{at - 1}*0001", *segs[at + 1 :]]
        return "~\n".join(segs) + "~\n"

    moves: dict[str, Callable[[list[str], int], list[str]]] = {
        "drop": lambda s, i: s[:i] + s[i + 1 :],
        "duplicate": lambda s, i: s[: i + 1] + s[i:],
        "swap": lambda s, i: [*s[:i], s[i + 1], s[i], *s[i + 2 :]],
    }
    for i in range(start, stop):
        sid = segments[i].split("*")[0]
        for label, move in moves.items():
            yield f"{i} {sid} {label}", recounted(move(segments, i))
        elements = segments[i].split("*")
        for j in range(1, len(elements)):
            for label, new in (("empty", ""), ("X", "X")):
                if elements[j] != new:
                    changed = segments.copy()
                    changed[i] = "*".join([*elements[:j], new, *elements[j + 1 :]])
                    yield f"{i} {sid}{j:02d} {label}", "~\n".join(changed) + "~\n"


def _simulated() -> str:
    sim = EligibilitySim(inactive_rate=0.2, limit_rate=0.2, not_found_rate=0.1)
    return answer_270(
        sample_270(300, DAY, dependents_every=7), load_config(None), sim, number=2, when=DAY
    )


def cases() -> Iterator[tuple[str, str]]:
    yield "simulated 300", _simulated()
    yield "coordination of benefits", COB_271
    for seed in range(8):
        yield f"random {seed}", random_271(seed, 120)
    yield from damaged(COB_271)


def digest(person: dict[str, object]) -> str:
    text = json.dumps(person, default=_default, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def outcome(text: str) -> str:
    """A digest of each person's JSON, or "| " and the error as rendered."""
    try:
        people = read_people(text, "answer.271")
    except InputError as e:
        return f"| {e.render()}"
    return " ".join(digest(p) for p in people)


CASES = dict(cases())


def golden() -> dict[str, str]:
    return dict(line.split("\t", 1) for line in GOLDEN.read_text().splitlines())


@pytest.mark.parametrize("memo", [True, False], ids=["memo", "no memo"])
def test_every_person_reads_as_before(memo: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    # With no memo every EB is read as for the first time; with it, a repeated text becomes
    # what its first reading found, and must come to what a first reading would.
    if not memo:
        init = _Parser.__init__

        def forgetful(self: _Parser) -> None:
            init(self)
            self.memo = Forgetful()

        monkeypatch.setattr(_Parser, "__init__", forgetful)
    expected = golden()
    assert sorted(expected) == sorted(CASES), "the cases changed: write the golden again"
    different = [
        f"{label}: {found!r}, was {expected[label]!r}"
        for label, text in CASES.items()
        if (found := outcome(text)) != expected[label]
    ]
    assert different == [], "\n".join(different[:20])


@pytest.mark.parametrize("label", [k for k in CASES if not k[0].isdigit()])
def test_the_summary_without_detail_is_the_detail_less_its_benefits(label: str) -> None:
    text = CASES[label]
    detailed = read_people(text, "answer.271")
    short = read_people(text, "answer.271", detail=False)
    assert short == [{k: v for k, v in p.items() if k != "benefits"} for p in detailed]


def test_the_cases_reach_every_answer() -> None:
    # The random people exercise what the summary reads: each answer both given and not.
    people = [p for k, t in CASES.items() if k.startswith("random") for p in read_people(t, "x")]
    assert len(people) > 1000
    lists = {"other_payers", "medicare_secondary_payer", "errors", "benefits"}
    who = {"trace", "level", "member_id", "payer", "payer_id", "active", "medicare"}
    for key in sorted(people[0].keys() - lists - who):  # the answers that may be None
        values = {p[key] is None for p in people}
        assert values == {True, False}, key
    assert {p["active"] for p in people} == {True, False, None}
    assert any(p["other_payers"] for p in people) and any(p["medicare"] for p in people)
    assert any(p["level"] == "dependent" for p in people)
    # The damage reaches the checks: many cases fail, with many different messages.
    errors = {o for o in golden().values() if o.startswith("| ")}
    assert len(errors) > 20


if __name__ == "__main__":
    for label, text in CASES.items():
        print(f"{label}\t{outcome(text)}")
