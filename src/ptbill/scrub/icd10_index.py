"""A compact ICD-10-CM index read from the data files inside the simple-icd-10-cm package.

The package ships CMS's public-domain ICD-10-CM release files; importing the package parses
the whole tabular list into objects (seconds, and over 100 MB). This module reads the same
two files, in place, into far less:

- the code list (every chapter, block and code without dots, 7th-character codes included,
  in the tabular list's pre-order) stays one string; each category's run of lines is located
  once, and a run is split into lines only when a code of that category is asked about. A
  code's descendants are the lines after it that begin with it, and its parent is the nearest
  preceding code that is a prefix of it.
- the tabular list XML is streamed once, only for the codes whose title reads "in diseases
  classified elsewhere" (manifestations).

Both take about 330M instructions (some 70 ms, a sixth of `ptbill scrub`'s start): what they
make (the code list's text, each category's span and the manifestation codes, 0.7 MB) is kept
in a cache folder, when the edge names one (`keep_index_in`; the command line names the user's,
docs/configuration.md), for the next process, read back in under a millisecond. The file is
used only when it holds what it should and its key matches: the size and modification time of
the two release files and of this module's source, as Python checks its bytecode cache.
Missing, stale, unreadable or malformed: the index is made from the release files again (and
the file written again); a folder that cannot be written is no error.
"""

from __future__ import annotations

import marshal
import os
import re
import tempfile
from collections.abc import Iterator
from functools import cache, lru_cache
from importlib.metadata import distribution
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where the index is made: a command that finds it kept does not
    import xml.etree.ElementTree as ET

PACKAGE = "simple-icd-10-cm"
# The two release files of simple-icd-10-cm 1.5.0 (CMS ICD-10-CM FY2026, April 1, 2026 update).
CODE_LIST_FILE = "code-list-April-2026.txt"
TABULAR_FILE = "icd10c-tabular-April-1-2026.xml"
MANIFESTATION_PHRASE = "in diseases classified elsewhere"

# Chapters ("13"), blocks ("M15-M19", or "B20" for a block of one category) and categories
# ("M17"): the lines that start a category's run or end one.
_HEAD_LINE = re.compile(r"^(?:[^\n]{1,3}|[^\n]*-[^\n]*)$", re.MULTILINE)


def data_file(name: str) -> Path:
    """A data file of the installed package, found without importing it (importing parses)."""
    path = Path(str(distribution(PACKAGE).locate_file(f"simple_icd_10_cm/data/{name}")))
    if not path.is_file():
        raise FileNotFoundError(
            f"{PACKAGE} does not hold data/{name}; install the version pinned in constraints.txt"
        )
    return path


def undot(name: str) -> str:
    """The code list's spelling of a tabular-list name: M17.11 -> M1711."""
    return name[:3] + name[4:] if len(name) > 4 and name[3] == "." else name


def dotted(code: str) -> str:
    """The tabular list's spelling of a code: M1711 -> M17.11, M17 stays M17."""
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


# The index kept between processes, in the folder the edge names (None: made in each process).
CACHE_FILE = "icd10-index.marshal"
_CACHE_FORMAT = 1  # bump when what is kept changes shape
_cache_folder: Path | None = None

Spans = dict[str, tuple[int, int]]
Index = tuple[frozenset[str], str, Spans]


def keep_index_in(folder: Path | None) -> None:
    """Keep the index in `folder` (made if missing) for the next process; None: do not."""
    global _cache_folder
    _cache_folder = folder


def cache_path() -> Path | None:
    return None if _cache_folder is None else _cache_folder / CACHE_FILE


def _cache_key() -> tuple[object, ...]:
    files = (data_file(CODE_LIST_FILE), data_file(TABULAR_FILE), Path(__file__))
    return (_CACHE_FORMAT, *((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files))


def _well_formed(found: object, key: tuple[object, ...]) -> bool:
    if not (isinstance(found, tuple) and len(found) == 4 and found[0] == key):
        return False
    _, codes, text, spans = found
    return (
        isinstance(codes, frozenset)
        and all(type(c) is str for c in codes)
        and type(text) is str
        and type(spans) is dict
        and all(
            type(k) is str
            and type(v) is tuple
            and len(v) == 2
            and type(v[0]) is int
            and type(v[1]) is int
            for k, v in spans.items()
        )
    )


def _read_cache(path: Path, key: tuple[object, ...]) -> Index | None:
    try:
        found = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    return found[1:] if _well_formed(found, key) else None


def _write_cache(path: Path, key: tuple[object, ...], index: Index) -> None:
    """Written whole or not at all (a temporary file renamed), whatever else runs."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{CACHE_FILE}.")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(marshal.dumps((key, *index)))  # type: ignore[arg-type]
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError:
        pass  # no cache: the next process makes the index again


@cache
def _index() -> Index:
    """The manifestation codes, the code list's text and its categories' spans: from the
    cache file when it is current, else made from the release files (and kept)."""
    path = cache_path()
    if path is None:
        return (manifestation_codes_searched(), *read_code_list())
    key = _cache_key()
    found = _read_cache(path, key)
    if found is None:
        found = (manifestation_codes_searched(), *read_code_list())
        _write_cache(path, key, found)
    return found


def _code_list() -> tuple[str, Spans]:
    """The code list's text and, per category, the character span of its run of lines."""
    _, text, spans = _index()
    return text, spans


def read_code_list() -> tuple[str, Spans]:
    """_code_list made from the release file."""
    text = data_file(CODE_LIST_FILE).read_text(encoding="utf-8").rstrip("\n")
    heads = [m.span() for m in _HEAD_LINE.finditer(text)]
    spans: dict[str, tuple[int, int]] = {}
    for (start, end), (after, _) in zip(heads, heads[1:] + [(len(text) + 1, 0)], strict=True):
        if end - start == 3:  # a category, or a block named like its one category
            # The block comes first and the category of the same name overwrites it.
            spans[text[start:end]] = (start, after - 1)
    return text, spans


@lru_cache(maxsize=256)
def _category_run(category: str) -> tuple[tuple[str, ...], dict[str, int]]:
    """The category and its descendants in pre-order, and each one's position in that run."""
    text, spans = _code_list()
    span = spans.get(category)
    if span is None:
        return (), {}
    lines = tuple(text[span[0] : span[1]].split("\n"))
    return lines, {code: i for i, code in enumerate(lines)}


def family(code: str) -> tuple[str, ...]:
    """`code` (dotless) followed by its descendants in pre-order; () if it is not a category or
    subcategory of the code list."""
    lines, position = _category_run(code[:3])
    i = position.get(code)
    if i is None:
        return ()
    end = i + 1
    while end < len(lines) and lines[end].startswith(code):
        end += 1
    return lines[i:end]


def children(descendants: tuple[str, ...]) -> Iterator[str]:
    """The direct children among a code's descendants (pre-order): each code not inside the
    subtree of the child before it."""
    current = None
    for code in descendants:
        if current is None or not code.startswith(current):
            current = code
            yield code


def leaves(descendants: tuple[str, ...]) -> Iterator[str]:
    """The descendants that have no code beneath them."""
    for code, after in zip(descendants, descendants[1:] + ("",), strict=True):
        if not after.startswith(code):
            yield code


def _read_seven_chr_def(element: ET.Element, table: dict[str, str]) -> None:
    # As simple-icd-10-cm reads it: a <note> after an <extension> is appended to its text.
    last = None
    for item in element:
        if item.tag == "extension":
            last = item.attrib["char"]
            table[last] = item.text or ""
        elif item.tag == "note" and last is not None and item.text is not None:
            table[last] = f"{table[last]}/{item.text}"


def _manifestations_in(diag: ET.Element, inherited: dict[str, str] | None) -> Iterator[str]:
    """The dotless codes of `diag`'s subtree, and of the 7th-character codes built beneath it,
    whose description has the manifestation phrase.

    Walks the subtree as simple-icd-10-cm builds it: a <sevenChrDef> applies to the element's
    later children; a leaf with a table (its own, else the nearest ancestor's) gets one code
    per 7th character, described as the leaf's description, ", " and the character's text."""
    name = desc = ""
    seven: dict[str, str] | None = None
    has_children = False
    passed_down = inherited
    for child in diag:
        if child.tag == "diag":
            has_children = True
            yield from _manifestations_in(child, passed_down)
        elif child.tag == "name" and child.text is not None:
            name = child.text
        elif child.tag == "desc" and child.text is not None:
            desc = child.text
        elif child.tag == "sevenChrDef":
            seven = {} if seven is None else seven
            _read_seven_chr_def(child, seven)
            passed_down = seven
    if MANIFESTATION_PHRASE in desc.lower():
        yield undot(name)
    table = seven or inherited
    if has_children or not table:
        return
    # The package's naming: a dot after a category, then placeholder X up to six characters.
    stem = undot((name + "." if len(name) == 3 else name).ljust(7, "X"))
    for char, text in table.items():
        if MANIFESTATION_PHRASE in f"{desc}, {text}".lower():
            yield stem + char


# A category's element (a <diag> with a three-character name), and any <diag> tag.
_CATEGORY = re.compile(rb"<diag(?: [^>]*)?>\s*<name>[^<]{3}</name>")
_DIAG_TAG = re.compile(rb"<diag(?: [^>]*)?>|</diag>")
_STEP = 1 << 20


def _phrase_at(data: bytes) -> Iterator[int]:
    """Where the manifestation phrase starts in `data`, in any case: each megabyte lowered and
    searched (five times a case-blind regular expression's speed, without a lowered copy of
    the whole file)."""
    phrase = MANIFESTATION_PHRASE.encode()
    for base in range(0, len(data), _STEP):
        window = data[base : base + _STEP + len(phrase) - 1].lower()
        at = window.find(phrase)
        while 0 <= at < _STEP:  # one starting past the step is the next window's
            yield base + at
            at = window.find(phrase, at + 1)


def manifestation_codes() -> frozenset[str]:
    """Dotless codes whose description (as simple-icd-10-cm gives it) reads "in diseases
    classified elsewhere" (manifestation_codes_searched's, kept in the cache file)."""
    return _index()[0]


def manifestation_codes_searched() -> frozenset[str]:
    """Dotless codes whose description (as simple-icd-10-cm gives it) reads "in diseases
    classified elsewhere".

    Only a category whose text holds the phrase can have one (a 7th-character code's
    description joins two texts with ", ", which the phrase does not hold): the file is searched
    for the phrase as bytes and only those categories, a few hundred of its 1,900, are parsed
    (0.02 s; the whole tabular list streamed took 0.2 s of every command's start). A file with
    character references, which a byte search would not read, is streamed whole."""
    import xml.etree.ElementTree as ET

    with data_file(TABULAR_FILE).open("rb") as f:
        data = f.read()
    if b"&#" in data:
        return manifestation_codes_streamed()
    found: set[str] = set()
    done = -1
    for at in _phrase_at(data):
        start = _category_before(data, at)
        if start >= 0 and start != done:
            done = start
            found.update(_manifestations_in(ET.fromstring(_element(data, done)), None))
    return frozenset(found)


def _category_before(data: bytes, at: int) -> int:
    """Where the last category's element that starts at or before `at` starts (-1: none):
    the nearest <diag> that is a category's, looked for from `at` back, for the few hundred
    places the phrase is at, not by finding the file's 1,900 categories (0.01 s)."""
    tag = data.rfind(b"<diag", 0, at + len(b"<diag"))
    while tag >= 0 and not _CATEGORY.match(data, tag):
        tag = data.rfind(b"<diag", 0, tag)
    return tag


def _element(data: bytes, start: int) -> bytes:
    """The <diag> element that starts at `start`, to its matching end tag."""
    depth = 0
    for m in _DIAG_TAG.finditer(data, start):
        depth += -1 if m.group() == b"</diag>" else 1
        if not depth:
            return data[start : m.end()]
    raise ValueError(f"{TABULAR_FILE}: a <diag> at byte {start} is not closed")


def manifestation_codes_streamed() -> frozenset[str]:
    """manifestation_codes, by streaming the whole tabular list a category at a time (each
    cleared once read): what the search above must agree with (tests/scrub/test_icd10.py)."""
    import xml.etree.ElementTree as ET

    found: set[str] = set()
    with data_file(TABULAR_FILE).open("rb") as stream:
        for _, element in ET.iterparse(stream):
            if element.tag == "diag":
                name = element.findtext("name") or ""
                if len(name) == 3:  # a category: its whole subtree has been read
                    found.update(_manifestations_in(element, None))
                    element.clear()
            elif element.tag in ("section", "chapter"):
                if element.find("sevenChrDef") is not None:
                    # Categories are read without their section's or chapter's context.
                    raise ValueError(
                        f"{TABULAR_FILE}: a 7th-character table on a {element.tag}, which "
                        "this index does not read; check it against simple-icd-10-cm"
                    )
                element.clear()
    return frozenset(found)
