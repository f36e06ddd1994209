"""CSV charge exports, one row per service; the rows of a visit share its visit_id.

A column is named by the visit-format field it holds (docs/intake.md): the Service fields
(`code`, `minutes`, `units`, `charge`, `modifiers`, `note.purpose`...) are the row's service;
any other name is a field of the visit written as a dotted path (`patient.last_name`,
`episode.plan_of_care.start_date`, `coverages.1.payer`), repeated on each row of the visit or
given on its first row only. The configuration's [intake.csv] renames an EMR's own columns to
these, and sets its date formats, list separator and code-modifier splitting, so that the
EMR's export is read as it is.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson

from ptbill.config.intake import CsvLayout
from ptbill.config.profiles import Config
from ptbill.domain.visit import Service, Visit
from ptbill.errors import InputError, InputErrors
from ptbill.intake.build import Draft, Recognise, no_clinic, validated
from ptbill.intake.numbers import json_object

SERVICE_FIELDS = frozenset(Service.model_fields)
LISTS = frozenset({"diagnoses", "modifiers", "diagnosis_pointers"})
JSON_COLUMNS = frozenset({"extensions"})
DATES = frozenset(
    {"date_of_service", "birth_date", "start_date", "end_date", "certified_date", "date"}
)
# The documented default layout's columns, in the order the writer puts them.
LAYOUT = (
    "visit_id", "date_of_service", "place_of_service", "payer", "clinic",
    "patient.id", "patient.first_name", "patient.last_name", "patient.birth_date", "patient.sex",
    "patient.address.line1", "patient.address.line2", "patient.address.city",
    "patient.address.state", "patient.address.zip",
    "subscriber.member_id", "subscriber.relationship", "subscriber.group_number",
    "rendering_provider.npi", "rendering_provider.first_name", "rendering_provider.last_name",
    "rendering_provider.credential", "referring_provider.npi", "referring_provider.first_name",
    "referring_provider.last_name", "referring_provider.credential", "diagnoses",
    "code", "modifiers", "minutes", "assistant_minutes", "units", "charge", "diagnosis_pointers",
    "body_region", "note.purpose", "note.response",
)  # fmt: skip
# A cell that says "none" (no authorization, no progress report yet), where an empty cell
# leaves the field out (the ledger derives episode fields left out from history).
NULL = "null"
FIX_CSV = "save the export as CSV with a header row (docs/intake.md lists the columns)"


class _Fail(Exception):
    def __init__(self, where: str, problem: str, fix: str) -> None:
        self.where, self.problem, self.fix = where, problem, fix


class _Overlap(Exception):
    """A cell sets a part of a field that another column of the row gives whole, or the
    reverse (columns rendering_provider and rendering_provider.last_name)."""


def _set(doc: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    if len(path) == 1:
        if isinstance(doc.get(path[0]), dict):
            raise _Overlap
        doc[path[0]] = value
        return
    if len(path) == 2 and not path[1].isdigit():
        parent = doc.setdefault(path[0], {})
        if not isinstance(parent, dict):
            raise _Overlap
        parent[path[1]] = value
        return
    node: Any = doc
    for i, key in enumerate(path[:-1]):
        nxt: Any = [] if path[i + 1].isdigit() else {}
        if isinstance(node, list):
            index = int(key)
            while len(node) <= index:
                node.append(None)
            if node[index] is None:
                node[index] = nxt
            node = node[index]
        else:
            node = node.setdefault(key, nxt)
        if not isinstance(node, dict | list) or isinstance(node, list) != isinstance(nxt, list):
            raise _Overlap
    last = path[-1]
    if isinstance(node, list):
        index = int(last)
        while len(node) <= index:
            node.append(None)
        node[index] = value
    else:
        node[last] = value


def _put(target: dict[str, Any], col: _Column, value: Any, number: int) -> None:
    try:
        _set(target, col.path, value)
    except _Overlap:
        raise _Fail(
            _place(number, col),
            f"{col.mine!r} and another column of the row give one field both whole and in parts",
            "keep one of the two columns (or leave one of the cells empty)",
        ) from None


@dataclass(frozen=True, slots=True)
class _Column:
    """A column of the file, worked out once: its names, its path in the visit or service,
    and how its cells are read."""

    mine: str  # ptbill's name
    theirs: str  # the export's
    path: tuple[str, ...]
    service: bool
    kind: str  # "json", "list", "date" or "text"


def _column(mine: str, theirs: str) -> _Column:
    path = tuple(mine.split("."))
    kind = (
        "json"
        if mine in JSON_COLUMNS
        else "list"
        if path[-1] in LISTS
        else "date"
        if path[-1] in DATES
        else "text"
    )
    return _Column(mine, theirs, path, path[0] in SERVICE_FIELDS, kind)


@lru_cache(maxsize=65536)
def _date(raw: str, formats: tuple[str, ...]) -> str | None:
    """The ISO date of a cell (dates repeat down a file: each is parsed once)."""
    for fmt in formats:
        if fmt == "%Y-%m-%d" and len(raw) == 10:
            try:
                return dt.date.fromisoformat(raw).isoformat()
            except ValueError:
                continue
        try:
            return dt.datetime.strptime(raw, fmt).date().isoformat()
        except ValueError:
            continue
    return None


class _Reader:
    def __init__(self, layout: CsvLayout, recognise: Recognise, origin: str) -> None:
        self.layout, self.recognise, self.origin = layout, recognise, origin
        self.formats = tuple(layout.date_formats)
        self.split_code = layout.code_modifier_separator

    def value(self, col: _Column, raw: str, number: int) -> Any:
        if raw == NULL:
            return None
        kind = col.kind
        if kind == "text":
            return raw
        if kind == "list":
            return [x.strip() for x in raw.split(self.layout.list_separator) if x.strip()]
        if kind == "date":
            day = _date(raw, self.formats)
            # 46083 is 2026-03-02 in Excel (10000 to 73050: from 1927 to 2099)
            if day is None and raw.isdigit() and 10000 <= int(raw) <= 73050:
                raise _Fail(
                    _place(number, col),
                    f"{raw!r} is a spreadsheet's day number, not a date",
                    "format the column as a date in the spreadsheet before saving it as CSV",
                )
            if day is None:
                raise _Fail(
                    _place(number, col),
                    f"{raw!r} is not a date in the export's format ({', '.join(self.formats)})",
                    "write the date so, or set [intake.csv] date_formats in the configuration",
                )
            return day
        try:
            return json_object(raw)  # its numbers exact, as a JSON visit's are
        except (ValueError, ArithmeticError, RecursionError):  # not JSON, 1E999999999, too deep
            raise _Fail(_place(number, col), "not valid JSON", "write the column as JSON") from None

    def visit(self, rows: list[tuple[int, list[str]]], columns: list[_Column]) -> Draft:
        first = rows[0][0]
        where = f"row {first}" if len(rows) == 1 else f"rows {first}-{rows[-1][0]}"
        d = Draft({}, where)
        seen: dict[int, tuple[int, str]] = {}
        services = []
        for number, cells in rows:
            service: dict[str, Any] = {}
            for n, raw in enumerate(cells):
                if not raw:
                    continue
                col = columns[n]
                if col.service:
                    if col.path[0] == "code" and self.split_code:
                        raw, *mods = raw.split(self.split_code)
                        if mods:
                            service["modifiers"] = [*service.get("modifiers", []), *mods]
                    value = self.value(col, raw, number)
                    if col.path[0] == "modifiers":
                        value = [*service.get("modifiers", []), *value]
                    _put(service, col, value, number)
                    continue
                before = seen.get(n)
                if before is not None:
                    if before[1] != raw:
                        raise _Fail(
                            _place(number, col),
                            f"{raw!r} differs from {before[1]!r} in row {before[0]} "
                            "of the same visit",
                            "give a visit's own columns the same value on each of its rows",
                        )
                    continue
                seen[n] = (number, raw)
                _put(d.doc, col, self.value(col, raw, number), number)
            services.append(service)
        d.doc["services"] = services
        d.locate = lambda: _places(rows, columns)
        self._payers(d)
        if "clinic" not in d.doc and "billing_provider" not in d.doc:
            clinic = self.recognise.default_clinic()
            if clinic is None:
                no_clinic(self.origin, f"{where}, column clinic", d.doc.get("visit_id"))
            d.doc["clinic"] = clinic
        return d

    def _payers(self, d: Draft) -> None:
        entries = [("payer", d.doc.get("payer"))]
        entries += [
            (f"coverages[{n}].payer", c.get("payer"))
            for n, c in enumerate(d.doc.get("coverages") or [])
            if isinstance(c, dict)
        ]
        for path, value in entries:
            if not isinstance(value, str):
                continue
            key = self.recognise.payer([value])
            if key is None:
                place = _places_of(d).get(path, d.where)
                self.recognise.unknown_payer(self.origin, place, value, d.doc.get("visit_id"))
            if path == "payer":
                d.doc["payer"] = key
            else:
                d.doc["coverages"][int(path.split("[")[1].split("]")[0])]["payer"] = key


def _field_path(path: tuple[str, ...]) -> str:
    return "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in path).lstrip(".")


def _place(number: int, col: _Column) -> str:
    return f"row {number}, column {col.theirs}"


def _places(rows: list[tuple[int, list[str]]], columns: list[_Column]) -> dict[str, str]:
    """Where each field of a visit came from (worked out only when one is wrong)."""
    places: dict[str, str] = {}
    for index, (number, cells) in enumerate(rows):
        for n, raw in enumerate(cells):
            if raw:
                col = columns[n]
                key = f"services[{index}].{col.path[0]}" if col.service else _field_path(col.path)
                places.setdefault(key, _place(number, col))
    return places


def _places_of(d: Draft) -> dict[str, str]:
    return d.locate() if d.locate is not None else d.places


def read(text: str, origin: str, config: Config) -> list[Visit]:
    """Every visit of the export, or the errors of all bad rows (nothing from a bad file)."""
    return list(visits(text, origin, config))


def visits(text: str, origin: str, config: Config) -> Iterator[Visit]:
    """Each visit as its rows are mapped, until the first bad one; the rest are still read,
    and the errors of all bad rows are raised at the end (as `read` raises them). The rows are
    grouped by visit id first (a visit's rows need not be together), then each group mapped
    and let go, so that the file's visits need not be held at once."""
    layout = config.intake.csv
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=layout.delimiter)
    try:
        header = [c.strip() for c in next(rows, [])]
    except csv.Error as e:
        raise InputError(
            file=origin, visit_id=None, field="row 1", problem=f"not valid CSV ({e})", fix=FIX_CSV
        ) from None
    if not any(header):
        raise InputError(
            file=origin, visit_id=None, field="row 1", problem="no header row", fix=FIX_CSV
        )
    names: dict[str, str] = {}  # ptbill's column -> the export's
    for column in header:
        mine = layout.columns.get(column, column).strip()
        if mine and mine in names:  # the later cell was read, the earlier one dropped
            twice = f"{mine!r} is given twice (also by column {names[mine]})"
            keep = "keep one of the two columns, or map only one of them in [intake.csv.columns]"
            raise InputError(origin, twice, keep, field=f"row 1, column {column}")
        names[mine] = column
    if "visit_id" not in names or "code" not in names:
        missing = [c for c in ("visit_id", "code") if c not in names]
        raise _other_delimiter(header, layout, origin) or InputError(
            file=origin,
            visit_id=None,
            field="row 1",
            problem=f"no column {' or '.join(missing)}",
            fix="name the columns as docs/intake.md does, or map the export's own names in "
            "[intake.csv.columns]",
        )
    known = set(SERVICE_FIELDS) | {f for f in Visit.model_fields}
    for mine, theirs in names.items():
        if mine.split(".")[0] not in known:
            raise InputError(
                file=origin,
                visit_id=None,
                field=f"row 1, column {theirs}",
                problem=f"{mine!r} is not a visit or service field",
                fix="rename it in [intake.csv.columns], or drop the column",
            )
    columns = [_column(layout.columns.get(c, c).strip(), c) for c in header]
    vid_at = next(n for n, c in enumerate(columns) if c.mine == "visit_id")
    width = len(header)
    groups: dict[str, list[tuple[int, list[str]]]] = {}
    errors: list[InputError] = []
    # A row holding a line break (its first line, its number): the last one is checked for a
    # quote never closed, which would have taken in every row after it (only the file's last
    # row can be one), as is a row of the wrong width (the check reads the file's lines again).
    number, starts, broken = 1, rows.line_num + 1, (0, 0)
    try:
        for number, row in enumerate(rows, start=2):
            begun, starts = starts, rows.line_num + 1
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if rows.line_num > begun:  # the row took several lines
                broken = (begun, number)
                if len(row) != width:
                    _closed(text, begun, number, layout.delimiter, origin)
            if len(row) != width:
                raise InputError(
                    file=origin, visit_id=None, field=f"row {number}",
                    problem=f"{len(row)} cells for {width} columns",
                    fix="quote cells that hold the delimiter"
                    if len(row) > width
                    else "give the row a cell for each column (empty between two delimiters), "
                    "and quote a cell that holds a line break",
                )  # fmt: skip
            cells = [c.strip() for c in row]
            vid = cells[vid_at] if vid_at < len(cells) else ""
            if not vid:
                errors.append(
                    InputError(
                        file=origin,
                        visit_id=None,
                        field=f"row {number}, column {header[vid_at]}",
                        problem="the row has no visit id",
                        fix="give every row its visit's id",
                    )  # fmt: skip
                )
                continue
            groups.setdefault(vid, []).append((number, cells))
    except csv.Error as e:
        raise InputError(
            file=origin, visit_id=None, field=f"row {rows.line_num}",
            problem=f"not valid CSV ({e})", fix=FIX_CSV,
        ) from None  # fmt: skip
    if broken[1] == number:  # the file's last row
        _closed(text, broken[0], number, layout.delimiter, origin)
    if not groups and not errors:
        raise InputError(file=origin, visit_id=None, field="row 2", problem="no rows", fix=FIX_CSV)
    return validated(
        _drafts(groups, columns, _Reader(layout, Recognise(config), origin), errors), origin
    )


def _other_delimiter(header: list[str], layout: CsvLayout, origin: str) -> InputError | None:
    """The refusal of an export whose header is one column that another common delimiter (a
    European Excel's ';', a tab) splits into the columns needed: it names the setting."""
    delimiter, columns = layout.delimiter, layout.columns
    if len(header) != 1:
        return None
    for other in (";", "\t", ",", "|"):
        names = {c.strip() for c in header[0].split(other)}
        if other != delimiter and {"visit_id", "code"} <= {columns.get(n, n) for n in names}:
            problem = (
                f"the header is one column: its cells are delimited by {other!r}, not {delimiter!r}"
            )
            setting = f"set [intake.csv] delimiter = {other!r} in the configuration"
            return InputError(origin, problem, setting, field="row 1")
    return None


def _closed(text: str, line: int, number: int, delimiter: str, origin: str) -> None:
    """Refuse a row holding a line break (a quoted cell's) when its quote is never closed: the
    csv module reads such a cell to the end of the file, taking in every row after it. `line`
    is where the row starts; the file's lines are read again from there."""
    tail = "".join(io.StringIO(text, newline="").readlines()[line - 1 :])
    try:
        for _ in csv.reader(io.StringIO(tail, newline=""), delimiter=delimiter, strict=True):
            pass
    except csv.Error as e:
        if "unexpected end of data" not in str(e):
            return
        problem = "a quote mark opens a cell that is never closed: the rest of the file would be"
        problem += " read into it"
        close = 'close the quoted cell (a quote mark inside a quoted cell is written twice: "")'
        raise InputError(origin, problem, close, field=f"row {number}") from None


def _drafts(
    groups: dict[str, list[tuple[int, list[str]]]],
    columns: list[_Column],
    mapper: _Reader,
    errors: list[InputError],
) -> Iterator[Draft]:
    """Each group's draft while no row is bad (`errors`: the bad rows found so far); every
    error raised at the end."""
    for vid in list(groups):
        visit_rows = groups.pop(vid)
        try:
            draft = mapper.visit(visit_rows, columns)
        except _Fail as f:
            errors.append(
                InputError(
                    file=mapper.origin, visit_id=vid, field=f.where, problem=f.problem, fix=f.fix
                )
            )
            continue
        except InputError as e:
            errors.append(e)
            continue
        if not errors:
            yield draft
    if errors:
        raise InputErrors(errors)


# -- writing (the demo data, the round-trip tests) ------------------------------------------------


def _flatten(value: Any, prefix: str, out: dict[str, str], sep: str) -> None:
    if isinstance(value, dict) and prefix not in JSON_COLUMNS:
        for k, v in value.items():
            _flatten(v, f"{prefix}.{k}" if prefix else k, out, sep)
    elif isinstance(value, list) and prefix.rsplit(".", 1)[-1] in LISTS:
        out[prefix] = sep.join(str(x) for x in value)
    elif isinstance(value, list) and prefix not in JSON_COLUMNS:
        for n, item in enumerate(value):
            _flatten(item, f"{prefix}.{n}", out, sep)
    elif prefix in JSON_COLUMNS:
        out[prefix] = orjson.dumps(value).decode()
    elif value is None:
        out[prefix] = NULL  # said to be none, which an empty cell (not known) does not say
    else:
        out[prefix] = str(value).lower() if isinstance(value, bool) else str(value)


def write(visits: Iterable[Visit], config: Config) -> str:
    """The visits in the default layout (the configuration's list separator)."""
    sep = config.intake.csv.list_separator
    rows: list[dict[str, str]] = []
    for v in visits:
        head: dict[str, str] = {}
        _flatten(v.model_dump(mode="json", exclude_unset=True, exclude={"services"}), "", head, sep)
        services = v.services or []
        for n, s in enumerate(services):
            row = dict(head) if n == 0 else {"visit_id": v.visit_id}
            _flatten(s.model_dump(mode="json", exclude_unset=True), "", row, sep)
            rows.append(row)
    columns = [c for c in LAYOUT if any(c in r for r in rows)]
    extra = sorted({c for r in rows for c in r} - set(columns))
    out = io.StringIO()
    writer = csv.DictWriter(out, [*columns, *extra], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
