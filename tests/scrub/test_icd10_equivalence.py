"""ptbill's ICD-10-CM index answers exactly as the simple-icd-10-cm package does, for every code
of the release and for malformed inputs. Imports the package (a few seconds of parsing)."""

from __future__ import annotations

import warnings
from itertools import islice

from ptbill.coding.pointers import is_external_cause
from ptbill.scrub import icd10
from ptbill.scrub.icd10_index import CODE_LIST_FILE, data_file

ODD_INPUTS = [
    # empty, short, blank, stray characters
    *("", " ", "M", "M1", ".", "M17,11", "M17-11", "M17.11 ", " M17.11", "M17.11\n", "M1 7"),
    # lower case, missing, extra or misplaced dots
    *("m17.11", "m1711", "M17.11".casefold(), "M1711", "M17.1.1", "M17..11", "M17."),
    *("M1.711", ".M1711", "M17.11.", "M171.1", "M17.1", "M171", "M17", "g63", "s83.511d"),
    # chapters, blocks, and blocks that share their one category's name
    *("1", "13", "22", "M15-M19", "A00-A09", "M15-M19.", "B20", "B20.", "B2.0", "B99", "B99.9"),
    *("Z68", "Z68.1", "Z681", "C7A", "C7A.0", "D3A", "Q A0", "QA0"),
    # 7th characters: missing, present, doubled, not in the table
    *("S83.511", "S83.511D", "S83511D", "S83.511DD", "S83.511Z", "S83.51", "S83.5", "S83"),
    *("S72.001", "S72.001A", "S72.001R", "S72.001I", "O36.593", "O36.5930", "O36.5936"),
    # placeholder X
    *("W19", "W19.", "W19.X", "W19.XX", "W19.XXX", "W19XXX", "W19.XXXD", "W19XXXD", "W19.XXD"),
    *("W19.XXXXD", "W19.xxxD", "T14.90", "T14.90X", "T14.90XA", "T1490XA", "T14.9XA", "S32.9XXA"),
    *("S329XXA", "S32.9XA", "S32.9XXXA", "M1A.0", "M1A.00X0", "M1A00X0", "U07.1", "U071", "U09.9"),
    # look-alike characters
    *("\uff2d17.11", "M17\u00b711", "M17.1\u200b1", "M17.11\x00"),
]


def _package_dx(cm, code: str) -> icd10.Dx:
    """The Dx that ptbill computed from the package's API before its own index (the oracle).

    The package's remove_dot searches its whole code list for each new code; for a code it
    knows, the answer is its name without the dot, so that is used instead."""
    external = is_external_cause(code)
    if not cm.is_valid_item(code) or not cm.is_category_or_subcategory(code):
        return icd10.Dx(code, "invalid", (), False, external)
    if cm.is_leaf(code):
        manifest = "in diseases classified elsewhere" in cm.get_description(code).lower()
        return icd10.Dx(code, "billable", (), manifest, external)
    children = tuple(cm.get_children(code))
    short = len(code.replace(".", "")) < 7
    if short and children and all(len(c.replace(".", "")) == 7 for c in children):
        return icd10.Dx(code, "needs_7th", children, False, external)
    leaves = tuple(islice((c for c in cm.get_descendants(code) if cm.is_leaf(c)), 6))
    return icd10.Dx(code, "not_billable", leaves, False, external)


def test_dx_matches_simple_icd_10_cm_for_every_code_and_odd_inputs() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the package's own resource reads
        import simple_icd_10_cm as cm

    undotted = cm.get_all_codes(with_dots=False)
    # The premise of the index: the code list is the package's tree in pre-order.
    code_list = data_file(CODE_LIST_FILE).read_text(encoding="utf-8").splitlines()
    assert code_list == undotted
    assert len(undotted) > 98_000

    inputs = [*undotted, *cm.get_all_codes(with_dots=True)]
    inputs += [c.lower() for c in inputs[len(undotted) :]] + ODD_INPUTS
    uncached = icd10.dx.__wrapped__  # keep 300,000 answers out of the module's cache
    ours = [uncached(code) for code in inputs]
    mismatches = [(mine, theirs) for mine in ours if mine != (theirs := _package_dx(cm, mine.code))]
    assert mismatches[:5] == [], f"{len(mismatches)} of {len(inputs)} inputs differ"
    # Every kind of answer was compared, manifestations included.
    assert {d.status for d in ours} == {"billable", "not_billable", "needs_7th", "invalid"}
    assert sum(d.manifestation for d in ours[: len(undotted)]) > 100
