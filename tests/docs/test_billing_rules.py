"""docs/billing-rules.md makes the repository stand alone: every rule id cited anywhere resolves
to an entry there, every entry says what it rests on and where ptbill applies it, and nothing
points outside the repository for the rules."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ptbill.scrub import RULES

ROOT = Path(__file__).resolve().parents[2]
BILLING_RULES = ROOT / "docs" / "billing-rules.md"
PACKAGE = ROOT / "src" / "ptbill"
# The rule id families of the billing rules: units, modifiers, evaluations, documentation,
# payment, claim, remittance. A citation is a family letter, a hyphen, a number and an optional
# letter (M-11a); a longer prefix (CO-29, PR-119, CMS-1832) is something else.
CITED_ID = re.compile(r"(?<![A-Za-z0-9_-])([CDEMPRU]-\d+[a-z]?)(?![A-Za-z0-9-])")
ENTRY = re.compile(r"^### ([A-Z]-\d+[a-z]?)$", re.MULTILINE)
# Where the rules are cited: the code, the documents and the README (examples/ holds data).
CITING = ("src", "docs", "README.md")
TEXT_SUFFIXES = {".py", ".md", ".toml", ".html", ".js", ".css", ".txt", ".csv", ".json"}


def _text_files(*roots: str) -> list[Path]:
    out: list[Path] = []
    for name in roots:
        path = ROOT / name
        if path.is_file():
            out.append(path)
        else:
            out += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES)
    return out


def _entries() -> dict[str, str]:
    """Each rule id's entry: the text from its heading to the next heading."""
    text = BILLING_RULES.read_text(encoding="utf-8")
    heads = list(ENTRY.finditer(text))
    out = {}
    for m in heads:
        rest = text[m.end() :]
        stop = re.search(r"^#{1,3} ", rest, re.MULTILINE)
        out[m.group(1)] = rest[: stop.start() if stop else len(rest)]
    return out


ENTRIES = _entries()


def test_the_entries_are_the_rule_families_in_order() -> None:
    ids = list(ENTRIES)
    assert len(ids) == len(set(ids)), "an id has two entries"
    assert {"U-10", "M-9", "M-11a", "P-5", "C-8", "R-2", "E-5", "D-8"} <= set(ids)
    assert {i[0] for i in ids} == set("CDEMPRU")


def test_every_cited_rule_id_has_an_entry() -> None:
    missing: dict[str, list[str]] = {}
    for path in _text_files(*CITING):
        for m in CITED_ID.finditer(path.read_text(encoding="utf-8", errors="replace")):
            if m.group(1) not in ENTRIES:
                missing.setdefault(m.group(1), []).append(str(path.relative_to(ROOT)))
    assert not missing, f"rule ids cited without an entry in docs/billing-rules.md: {missing}"


def test_the_id_pattern_finds_citations_and_skips_other_codes() -> None:
    found = CITED_ID.findall("U-10 and M-11a, (P-5); not CO-29, PR-119, CMS-1832, V-2026-0001")
    assert found == ["U-10", "M-11a", "P-5"]


@pytest.mark.parametrize("rule_id", list(ENTRIES))
def test_each_entry_has_a_statement_a_source_and_where_ptbill_applies_it(rule_id: str) -> None:
    body = ENTRIES[rule_id]
    assert re.search(r"^\*\*[^*]+\*\*", body.strip()), f"{rule_id}: no bold statement first"
    assert re.search(r"^- Source: \S", body, re.MULTILINE), f"{rule_id}: no Source line"
    assert re.search(r"^- In ptbill: \S", body, re.MULTILINE), f"{rule_id}: no In ptbill line"


def test_the_modules_and_scrub_rules_named_exist() -> None:
    text = BILLING_RULES.read_text(encoding="utf-8")
    for name in re.findall(r"`([a-z_0-9/]+\.(?:py|toml|csv|md))`", text):
        if "/" in name:
            assert (PACKAGE / name).exists() or (ROOT / name).exists(), name
    for body in ENTRIES.values():
        applied = re.search(r"^- In ptbill: (.*?)(?=^- |\Z)", body, re.MULTILINE | re.DOTALL)
        assert applied is not None
        for token in re.findall(r"`([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)`", applied.group(1)):
            assert token in RULES, f"{token} is named as a scrub rule but is not one"


def test_each_scrub_rule_is_named_under_the_rules_it_cites() -> None:
    """The reverse of the citations in the rule catalog: where ptbill applies a rule."""
    missing = []
    for r in RULES.values():
        for key in r.citation:
            if re.fullmatch(r"[A-Z]-\d+[a-z]?", key) and f"`{r.id}`" not in ENTRIES[key]:
                missing.append(f"{key}: {r.id}")
    assert not missing, f"docs/billing-rules.md does not name these scrub rules: {missing}"


def test_section_references_resolve() -> None:
    text = BILLING_RULES.read_text(encoding="utf-8")
    sections = set(re.findall(r"^#{2,3} (\d+(?:\.\d+)?)\.? ", text, re.MULTILINE))
    cited = set()
    for path in _text_files(*CITING):
        body = path.read_text(encoding="utf-8", errors="replace")
        for m in re.finditer(r"billing-rules(?:\.md)?,? (?:§|section )(\d+(?:\.\d+)?)", body):
            cited.add(m.group(1))
        for m in re.finditer(r"billing-rules(?:\.md)? (\d+\.\d+)", body):
            cited.add(m.group(1))
    assert cited and cited <= sections, cited - sections


def test_open_questions_stay_open_and_numbered() -> None:
    text = BILLING_RULES.read_text(encoding="utf-8")
    open_part = text.split("## 9. Open questions", 1)[1].split("## Sources", 1)[0]
    numbers = re.findall(r"^### 9\.(\d+) ", open_part, re.MULTILINE)
    assert numbers == [str(n) for n in range(1, 11)]
    # MPPR versus CQ is still unsettled, and the code says so (P-5, pricing).
    assert "No source says" in open_part.split("### 9.5", 1)[1].split("### 9.6", 1)[0]


def test_no_file_points_to_the_shared_spec() -> None:
    offenders = []
    for path in _text_files("src", "docs", "tests", "bench", "examples", "README.md"):
        if path == Path(__file__):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if "shared/spec" in text or ("shared" + "\\spec") in text:
            offenders.append(str(path.relative_to(ROOT)))
    for name in ("Makefile", "pyproject.toml"):
        if "shared/spec" in (ROOT / name).read_text(encoding="utf-8"):
            offenders.append(name)
    assert not offenders
