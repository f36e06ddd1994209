"""Every file of the public X12 corpus (../shared/x12-corpus, with MANIFEST.tsv: source, licence,
what is special, and whether its author broke it) read by `ptbill remit` or `ptbill ack`, and
what ptbill says compared with what the file says.

What the file says is worked out here from its segments, by a reader of a dozen lines that
shares nothing with ptbill's: claim counts, BPR02 and each CLP04, the three balancing rules of
the 835 guide; the verdicts of AK9/IK5 (999), TA104 (TA1) and STC (277CA, with the levels
above a claim). A file the manifest calls broken by its author, one whose envelope does not
add up, or one of a version ptbill does not read must be refused: exit 2, an error naming the
file and the segment, nothing on stdout. 837P files are refused by both commands as what they
are; pyx12 confirms they are 837Ps.
"""

from __future__ import annotations

import ast
import csv
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from ptbill.cli.main import cli
from tests.x12.pyx12_check import pyx12_errors

REPOSITORY = Path(__file__).resolve().parents[2]
CORPUS = (REPOSITORY / ".." / "shared" / "x12-corpus").resolve()
if not (CORPUS / "MANIFEST.tsv").is_file():
    pytest.skip(
        f"the public X12 corpus is expected at {CORPUS} (../shared/x12-corpus beside the "
        "repository, with its MANIFEST.tsv); these tests read it there",
        allow_module_level=True,
    )

# The versions ptbill reads, by transaction set (GS08, errata suffix aside).
READ_VERSIONS = {"835": "005010X221", "999": "005010X231", "277": "005010X214"}
# 277CA categories (code source 507) that reject; accepting ones. A category outside the
# code list (de-identified files write X9) leaves the verdict to STC03: U reject, WQ accept.
REJECTING = {"A3", "A4", "A6", "A7", "A8", "E0", "E3", "E4"}
ACCEPTING = {"A1", "A2", "A5"}
KNOWN = REJECTING | ACCEPTING | {"A0", "E1", "E2", "P0", "P1", "P2", "P3", "P4", "D0"}


@dataclass(frozen=True)
class Entry:
    file: str
    type: str  # 835, 999, 277CA, TA1, 837P
    expect: str  # read, ack, either, reject (NEGATIVE: its author broke it), none (837P)
    special: str

    @property
    def path(self) -> Path:
        return CORPUS / self.file


def _manifest() -> list[Entry]:
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [Entry(r["file"], r["type"], r["expect"], r["special"]) for r in rows]


MANIFEST = _manifest()
IDS = [e.file for e in MANIFEST]


# --- what the file says -------------------------------------------------------------------------


def text_of(path: Path) -> str:
    """The file's text as written (line breaks kept: a CR can be the terminator)."""
    with path.open(encoding="utf-8", errors="replace", newline="") as f:
        return f.read().lstrip("\ufeff")


def segments(path: Path) -> list[list[str]]:
    """The file's segments: the element separator is the ISA's 4th character, the component
    separator follows the 16th element separator and the segment terminator follows it; blanks
    and line breaks around segments are layout."""
    text = text_of(path).lstrip(" \t\r\n")
    sep, at = text[3], 3
    for _ in range(15):
        at = text.index(sep, at + 1)
    terminator = text[at + 2]
    out = []
    for raw in text.split(terminator):
        raw = raw.strip(" \t\r\n")
        if raw:
            out.append(raw.split(sep))
    return out


def _element(e: list[str], i: int) -> str:
    return e[i] if len(e) > i else ""


def envelope_problems(segs: list[list[str]]) -> list[str]:
    """What does not add up in the envelope: counts and control numbers of SE, GE and IEA."""
    problems = []
    isa = gs = st = None
    groups = sets = count = 0
    for e in segs:
        sid = e[0]
        count += 1
        if sid == "ISA":
            isa, groups = e[13], 0
        elif sid == "GS":
            gs, sets, groups = e[6], 0, groups + 1
        elif sid == "ST":
            st, sets, count = e[2], sets + 1, 1
        elif sid == "SE":
            if st is None or int(e[1]) != count or e[2] != st:
                problems.append(f"SE {e[1:3]} for ST {st} of {count} segments")
            st = None
        elif sid == "GE":
            if gs is None or int(e[1]) != sets or e[2] != gs:
                problems.append(f"GE {e[1:3]} for GS {gs} of {sets} sets")
            gs = None
        elif sid == "IEA":
            if isa is None or int(e[1]) != groups or e[2] != isa:
                problems.append(f"IEA {e[1:3]} for ISA {isa} of {groups} groups")
            isa = None
    if st is not None or gs is not None or isa is not None:
        problems.append("the file ends inside an envelope")
    return problems


def transaction_sets(segs: list[list[str]]) -> list[list[list[str]]]:
    """The segments of each ST .. SE."""
    out: list[list[list[str]]] = []
    for e in segs:
        if e[0] == "ST":
            out.append([])
        elif e[0] == "SE":
            continue
        if out and e[0] not in ("SE", "GE", "IEA", "ISA", "GS"):
            out[-1].append(e)
    return out


def ptbill_should_read(entry: Entry, segs: list[list[str]]) -> bool:
    """Read unless its author broke it, its envelope does not add up, or its version is not
    the one ptbill reads (4010, de-identified version ids)."""
    if entry.expect in ("reject", "none") or envelope_problems(segs):
        return False
    for e in segs:
        if e[0] == "GS":
            version = _element(e, 8)[:10]
            sets = [s for s in segs if s[0] == "ST"]
            if any(READ_VERSIONS.get(s[1]) != version for s in sets):
                return False
    return True


def _money(text: str) -> Decimal:
    return Decimal(text) if text else Decimal(0)


def _cas_total(e: list[str]) -> Decimal:
    return sum((_money(_element(e, i)) for i in range(3, 19, 3)), Decimal(0))


@dataclass
class PaymentSaid:
    amount: Decimal  # BPR02, signed by BPR03
    claims: list[tuple[str, Decimal]]  # (CLP01, CLP04)
    balanced: bool


def payments_said(segs: list[list[str]]) -> list[PaymentSaid]:
    """Per 835 transaction set: BPR02, each claim's CLP04, and whether the three balancing
    rules hold (line: SVC02 - CAS = SVC03; claim: CLP03 - CAS of claim and lines = CLP04;
    payment: sum of CLP04 - PLB amounts = BPR02)."""
    out = []
    for body in transaction_sets(segs):
        bpr = next(e for e in body if e[0] == "BPR")
        amount = _money(bpr[2]) * (-1 if _element(bpr, 3) == "D" else 1)
        claims: list[tuple[str, Decimal]] = []
        balanced, plb = True, Decimal(0)
        claim: list[Decimal] | None = None  # charge, paid, adjustments of the open claim
        line: list[Decimal] | None = None  # the same of the open service line
        for e in [*body, ["SE"]]:
            sid = e[0]
            if sid in ("CLP", "SVC", "LX", "PLB", "SE") and line is not None:
                balanced &= line[0] - line[2] == line[1]
                line = None
            if sid in ("CLP", "LX", "PLB", "SE") and claim is not None:
                balanced &= claim[0] - claim[2] == claim[1]
                claim = None
            if sid == "CLP":
                claim = [_money(e[3]), _money(e[4]), Decimal(0)]
                claims.append((e[1], claim[1]))
            elif sid == "SVC":
                line = [_money(e[2]), _money(_element(e, 3)), Decimal(0)]
            elif sid == "CAS" and claim is not None:
                claim[2] += _cas_total(e)
                if line is not None:
                    line[2] += _cas_total(e)
            elif sid == "PLB":
                plb += sum((_money(_element(e, i)) for i in range(4, 15, 2)), Decimal(0))
        balanced &= sum((p for _, p in claims), Decimal(0)) - plb == amount
        out.append(PaymentSaid(amount, claims, balanced))
    return out


def acks_said(segs: list[list[str]]) -> tuple[bool, int, list[tuple[str, int, int]]]:
    """(accepted: every AK9, IK5 and TA104 is A or E; TA1 count; per group (GS06 answered,
    AK2 count, AK904))."""
    ok = {"A", "E"}
    accepted, ta1, groups = True, 0, []
    for e in segs:
        if e[0] == "TA1":
            ta1 += 1
            accepted &= e[4] in ok
        elif e[0] == "AK1":
            groups.append([e[2], 0, 0])
        elif e[0] == "AK2":
            groups[-1][1] += 1
        elif e[0] == "IK5":
            accepted &= e[1] in ok
        elif e[0] == "AK9":
            accepted &= e[1] in ok
            groups[-1][2] = int(e[4])
    return accepted, ta1, [tuple(g) for g in groups]  # type: ignore[misc]


def _status_verdict(e: list[str], component: str) -> str:
    """rejected, accepted or other for each STC by its statuses (STC01, STC10, STC11)."""
    verdicts = set()
    for i in (1, 10, 11):
        category = _element(e, i).split(component)[0]
        if not category:
            continue
        if category in KNOWN:
            rejects, accepts = category in REJECTING, category in ACCEPTING
        else:
            rejects, accepts = _element(e, 3) == "U", _element(e, 3) == "WQ"
        verdicts.add("rejected" if rejects else "accepted" if accepts else "other")
    return next((v for v in ("rejected", "accepted") if v in verdicts), "other")


def claim_acks_said(segs: list[list[str]]) -> tuple[str, list[tuple[str, str]]]:
    """(the file's verdict, [(claim id, status)]): a claim is rejected when an STC of its own,
    of one of its lines or of an HL above it rejects; the file when any STC does."""
    component = segs[0][16][0]
    parents: dict[str, str] = {}
    levels: dict[str, str] = {}
    said: dict[str, set[str]] = {}  # HL id -> verdicts of its STCs (lines included)
    claims: list[tuple[str, str]] = []  # (HL id, claim id)
    hl = ""
    for e in segs:
        if e[0] == "HL":
            hl, parents[e[1]], levels[e[1]] = e[1], e[2], e[3]
            said[hl] = set()
        elif e[0] == "TRN" and levels.get(hl) == "PT":
            claims.append((hl, e[2]))
        elif e[0] == "STC":
            said[hl].add(_status_verdict(e, component))
    out = []
    for hl_id, claim_id in claims:
        verdicts, above = set(said[hl_id]), parents[hl_id]
        while above:
            verdicts |= said[above] & {"rejected"}
            above = parents[above]
        status = next((v for v in ("rejected", "accepted") if v in verdicts), "unknown")
        out.append((claim_id, status))
    if any("rejected" in v for v in said.values()):
        return "rejected", out
    statuses = {status for _, status in out}
    return ("accepted" if statuses == {"accepted"} else "other"), out


# --- what ptbill says ---------------------------------------------------------------------------


def run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, list(args), obj={})
    return r.exit_code, r.stdout, r.stderr


def _command(entry: Entry) -> str:
    return "remit" if entry.type == "835" else "ack"


def test_the_manifest_lists_every_file_of_the_corpus():
    files = {p.name for p in CORPUS.iterdir() if p.name != "MANIFEST.tsv"}
    assert files == set(IDS) and len(IDS) == len(set(IDS))


_COUNTS = re.compile(r"\b(ISA|ST|CLP|SVC|PLB)=(\d+)")
_DELIMITERS = re.compile(r"delims el=(.) rep=.+? comp=(.) seg=('.+?')")


def delimiters(path: Path) -> tuple[str, str, str]:
    """(element, component, segment terminator) as this test's reader finds them."""
    text = text_of(path).lstrip(" \t\r\n")
    at = 3
    for _ in range(15):
        at = text.index(text[3], at + 1)
    return text[3], text[at + 1], text[at + 2]


def _manifest_delimiters(entry: Entry) -> tuple[str, str, str] | None:
    """The delimiters the manifest's author read at the ISA's fixed positions."""
    found = _DELIMITERS.search(entry.special)
    if found is None:
        return None
    return found[1], found[2], ast.literal_eval(found[3])


def _isa_is_fixed_width(entry: Entry) -> bool:
    text = text_of(entry.path)
    return text.startswith("ISA") and text.count(text[3], 0, 105) == 16 and text[103] == text[3]


COUNTED = [e for e in MANIFEST if _COUNTS.search(e.special) and _isa_is_fixed_width(e)]


def test_the_manifest_reads_delimiters_where_a_fixed_width_isa_has_them():
    """Where the ISA is padded to its fixed width, the manifest's delimiters are this test's;
    the files whose ISA is trimmed (the manifest read garbage at the fixed positions) are the
    only others, and ptbill reads their delimiters as this test does (see the tests below)."""
    for entry in MANIFEST:
        if _manifest_delimiters(entry) is None:
            continue
        agrees = _manifest_delimiters(entry) == delimiters(entry.path)
        assert agrees == _isa_is_fixed_width(entry), entry.file


@pytest.mark.parametrize("entry", COUNTED, ids=lambda e: e.file)
def test_the_reader_of_this_test_counts_what_the_manifest_counts(entry: Entry) -> None:
    """The counts in the manifest (its author's) are those of this test's reader: the oracle
    reads the files right before ptbill is compared with it."""
    counted = {k: 0 for k in ("ISA", "ST", "CLP", "SVC", "PLB")}
    for e in segments(entry.path):
        if e[0] in counted:
            counted[e[0]] += 1
    assert {k: int(n) for k, n in _COUNTS.findall(entry.special)} == counted


@pytest.mark.parametrize("entry", [e for e in MANIFEST if e.type == "835"], ids=lambda e: e.file)
def test_ptbill_remit_says_what_the_835_says(entry: Entry) -> None:
    segs = segments(entry.path) if text_of(entry.path).startswith("ISA") else []
    code, out, err = run("remit", str(entry.path), "--json")
    if not segs or not ptbill_should_read(entry, segs):
        _assert_refused(entry, code, out, err)
        return
    assert code in (0, 1), err
    said = payments_said(segs)
    payments = json.loads(out)
    assert len(payments) == len(said)
    for payment, expected in zip(payments, said, strict=True):
        assert Decimal(payment["amount"]) == expected.amount
        got = [(c["claim_id"], Decimal(c["paid"])) for c in payment["claims"]]
        assert got == expected.claims
        assert (payment["imbalances"] == []) == expected.balanced, payment["imbalances"]
    balanced = all(p.balanced for p in said)
    if "expect exit 1" in entry.special:  # the manifest's author found it unbalanced too
        assert not balanced
    assert code == (0 if balanced else 1)


def _ack_read(entry: Entry) -> tuple[list[list[str]], int, dict] | None:
    """(the file's segments, exit status, JSON) of `ptbill ack --json`; None when ptbill
    refused the file, as it must (asserted)."""
    segs = segments(entry.path)
    code, out, err = run("ack", str(entry.path), "--json")
    if not ptbill_should_read(entry, segs):
        _assert_refused(entry, code, out, err)
        return None
    return segs, code, json.loads(out)


@pytest.mark.parametrize(
    "entry", [e for e in MANIFEST if e.type in ("999", "TA1")], ids=lambda e: e.file
)
def test_ptbill_ack_says_what_the_999_or_ta1_says(entry: Entry) -> None:
    if (read := _ack_read(entry)) is None:
        return
    segs, code, doc = read
    accepted, ta1, groups = acks_said(segs)
    assert doc["type"] == ("TA1" if not groups else "999")
    assert doc["accepted"] is accepted and code == (0 if accepted else 1)
    assert len(doc["interchanges"]) == ta1
    got = [
        (g["group_control_number"], len(g["transactions"]), g["accepted"]) for g in doc["groups"]
    ]
    assert got == groups


@pytest.mark.parametrize("entry", [e for e in MANIFEST if e.type == "277CA"], ids=lambda e: e.file)
def test_ptbill_ack_says_what_the_277ca_says(entry: Entry) -> None:
    if (read := _ack_read(entry)) is None:
        return
    segs, code, doc = read
    verdict, claims = claim_acks_said(segs)
    got = [(c["claim_id"], c["status"]) for t in doc["transactions"] for c in t["claims"]]
    assert got == claims
    assert code == (1 if verdict == "rejected" else 0)
    assert doc["accepted"] is (verdict == "accepted")


@pytest.mark.parametrize("entry", [e for e in MANIFEST if e.type == "837P"], ids=lambda e: e.file)
@pytest.mark.parametrize("command", ["remit", "ack"])
def test_an_837p_is_refused_as_what_it_is(entry: Entry, command: str) -> None:
    code, out, err = run(command, str(entry.path))
    assert code == 2 and out == ""
    assert f"{entry.path}: segment 2 (GS), GS01: this is an 837P professional claim" in err
    assert "ptbill writes 837 claims" in err


@pytest.mark.parametrize("entry", [e for e in MANIFEST if e.type == "837P"], ids=lambda e: e.file)
def test_pyx12_reads_each_837p_as_an_837p(entry: Entry) -> None:
    """pyx12 (its 005010X222A1 map) finds nothing wrong with the envelope or the structure:
    at most a bad element value. What ptbill refused is an 837P."""
    errors = pyx12_errors(entry.path.read_text(encoding="utf-8"))
    assert all(re.search(r"\([A-Z0-9]{2,3}\d{2}\)$", e) for e in errors), errors


def _assert_refused(entry: Entry, code: int, out: str, err: str) -> None:
    """Exit 2, nothing on stdout, an error naming the file and the segment, no traceback."""
    assert code == 2, (entry.file, out[:300])
    assert out == ""
    assert err.startswith(f"error: {entry.path}: segment "), err
    assert re.search(r": segment \d+", err) and "Fix:" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "entry", [e for e in MANIFEST if e.expect != "reject"], ids=lambda e: e.file
)
def test_the_exchange_takes_each_whole_file_as_finished_and_half_of_it_as_not(
    entry: Entry,
) -> None:
    """`ptbill exchange` leaves a file that ends before its IEA for the next run (the server
    may still be writing it): never a whole file, trimmed ISA or not; always one cut before
    its last IEA, and the first half of one holding a single interchange (a file of several
    cut between two is whole interchanges: they post, and the rest posts once it comes)."""
    from ptbill.exchange.run import unfinished

    text = text_of(entry.path)
    assert not unfinished(text)
    assert unfinished(text[: text.rindex("IEA")])
    if text.count("IEA") == 1:
        assert unfinished(text[: len(text) // 2])
