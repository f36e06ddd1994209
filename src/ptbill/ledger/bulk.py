"""Bulk writes at the speed of the database driver.

SQLAlchemy's executemany spends most of its time building each row's parameters; for the tens
of thousands of rows an import or an 835 writes, this module converts the values once with each
column's own bind processor (so Money, Date and Boolean are stored exactly as SQLAlchemy stores
them) and hands plain tuples to the driver's executemany (on PostgreSQL: COPY for inserts,
one statement of arrays a chunk for updates, where psycopg's executemany sends a statement a
row).

Ids for new rows are allocated before the insert -- from the table's sequence on PostgreSQL,
after the largest id on SQLite (where the transaction holds the write lock from its start,
BEGIN IMMEDIATE) -- so no select is needed to learn them. A run that commits between batches
(a batched import) goes on in the session's next transaction: the connection is the session's
current one, and SQLite's next ids are looked up again (another writer may have added rows).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Sequence
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Date,
    Dialect,
    String,
    Table,
    any_,
    bindparam,
    func,
    literal,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.sql import Executable
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from ptbill.ledger.models import Base
from ptbill.ledger.types import CENT, Money

_CHUNK = 5000
_BASE = re.compile(r"\(.*\)")  # a type's length or precision
_MEMO_SIZE = 20_000  # distinct values a converter remembers (amounts, dates, flags repeat)


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)  # a declarative model's is (FromClause in the stubs)
    return table


def _cents(value: Decimal) -> int:
    cents = value.scaleb(2)
    whole = int(cents)
    return whole if whole == cents else int(value.quantize(CENT).scaleb(2))


def _exact(value: Decimal) -> Decimal:
    return value.quantize(CENT)


def _same(value: Any) -> Any:
    return value


def _remembered(proc: Any) -> Callable[[Any], Any]:
    """proc for values that repeat (amounts, dates, flags), each distinct value converted once
    (bounded: values that never repeat do not grow it); None stays None."""
    seen: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        if value is None:
            return None
        try:
            return seen[value]
        except KeyError:
            if len(seen) >= _MEMO_SIZE:
                seen.clear()
            seen[value] = out = proc(value)
            return out
        except TypeError:  # unhashable
            return proc(value)

    return convert


def from_driver(dialect: Dialect, model: type[Base], name: str) -> Callable[[Any], Any]:
    """The driver's value of a Money or Date column -> the Python value SQLAlchemy would
    return, for rows read with exec_driver_sql (SQLite gives a date as ISO text)."""
    col = _table(model).c[name]
    if isinstance(col.type, Money):
        money = col.type
        return _remembered(lambda v: money.process_result_value(v, dialect))
    if not isinstance(col.type, Date):
        raise TypeError(f"{col} is neither Money nor Date")
    proc = col.type._cached_result_processor(dialect, None)  # noqa: SLF001
    return _same if proc is None else _remembered(proc)


def among(dialect: Dialect, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """`column IN values` with the values as one parameter: on PostgreSQL `= ANY` of one
    array (psycopg parses a query's placeholders at each run, some 1.6 us a value:
    ptbill.ledger.cob_data.select_ids), on SQLite `IN (SELECT value FROM json_each(?))` of
    one JSON array of ids or texts (SQLAlchemy's IN makes and binds a parameter a value, some
    3 us each; the hot reads of a run of claims name some 15 ids a claim). Other values
    (dates...) go as an IN list."""
    if dialect.name == "postgresql":
        # A text's array without the column's length: a varchar(38) cast would cut a longer
        # value to one that may match.
        kind = String() if isinstance(column.type, String) else column.type
        return column == any_(literal(list(values), ARRAY(kind)))
    if dialect.name == "sqlite" and plain(values):
        listed = bindparam(None, json.dumps(list(values)), String(), unique=True)
        return column.in_(select(func.json_each(listed).table_valued("value").c.value))
    return column.in_(values)


# json_each is built into SQLite from 3.38 (before, only where it was compiled in).
JSON_EACH = sqlite3.sqlite_version_info >= (3, 38, 0)


def plain(values: Sequence[Any]) -> bool:
    """Each value an int or a str, what a JSON array gives back as it is, and SQLite's
    json_each at hand."""
    return JSON_EACH and all(type(v) is int or type(v) is str for v in values)


def columns(session: Session, query: Executable) -> Any:
    """The rows of a select of columns (not entities) through the session's connection,
    without the ORM's processing of each row (some 1.5 us a row of a dozen columns); the
    session's pending changes are flushed first, as its own execute does."""
    session.flush()
    return session.connection().execute(query)


def _without_nulls(
    table: Table, names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
    """The columns given as None in every row left out (with their values), when the table
    makes them NULL by itself (no default): on SQLite each NULL bound costs the driver some
    3,300 instructions (ptbill.ledger.bulk.Bulk._defaults), and a run of next payers' claims
    gives some three a claim (never submitted yet, no state before)."""
    empty = [
        i
        for i, name in enumerate(names)
        if rows[0][i] is None
        and table.c[name].default is None
        and table.c[name].server_default is None
        and all(row[i] is None for row in rows)
    ]
    if not empty or len(empty) == len(names):
        return names, rows
    kept = [i for i in range(len(names)) if i not in empty]
    pick = itemgetter(*kept)
    if len(kept) == 1:
        return [names[kept[0]]], [(pick(row),) for row in rows]
    return pick(names), [pick(row) for row in rows]


class Bulk:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.dialect = session.connection().dialect
        self.mark = "?" if self.dialect.paramstyle == "qmark" else "%s"
        self._procs: dict[Column[Any], Any] = {}
        self._next: dict[str, int] = {}  # SQLite: the next free id per table
        self._tx: SessionTransaction | None = None  # the transaction `_next` holds for

    @property
    def conn(self) -> Connection:
        return self.session.connection()

    def _proc(self, col: Column[Any]) -> Any:
        if col not in self._procs:
            proc: Callable[[Any], Any] | None
            if isinstance(col.type, Money):  # the hot path: skip the TypeDecorator wrapper
                proc = _cents if self.dialect.name == "sqlite" else _exact
            else:
                proc = col.type._cached_bind_processor(self.dialect)  # noqa: SLF001
            self._procs[col] = _remembered(proc) if proc is not None else None
        return self._procs[col]

    def _rows(self, rows: Sequence[Sequence[Any]], procs: list[Any]) -> list[tuple[Any, ...]]:
        """Rows of raw values -> rows of driver values, converting only where needed."""
        convert = [(i, p) for i, p in enumerate(procs) if p is not None]
        out = []
        for raw in rows:
            values = list(raw)
            for i, p in convert:
                v = values[i]
                if v is not None:
                    values[i] = p(v)
            out.append(tuple(values))
        return out

    def _defaults(self, table: Table, keys: Sequence[str]) -> dict[str, Any]:
        """The scalar defaults of the columns not given. A column without one is left out of
        the INSERT: NULL by the table's definition (on SQLite, a NULL bound costs the driver
        some 0.5 us, the error of its adapter lookup made and dropped each time)."""
        out = {}
        for col in table.columns:
            if col.name in keys or col.primary_key or col.server_default is not None:
                continue
            default = col.default
            if isinstance(default, ScalarElementColumnDefault):
                out[col.name] = default.arg
        return out

    def ids(self, model: type[Base], n: int) -> list[int]:
        """n new ids for the table (used by the next insert of this transaction)."""
        if n == 0:
            return []
        table = _table(model)
        if self.dialect.name == "postgresql":
            seq = self.conn.scalar(
                text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}
            )
            rows = self.conn.execute(
                text("SELECT nextval(:s) FROM generate_series(1, :n)"), {"s": seq, "n": n}
            )
            return [r[0] for r in rows]
        tx = self.session.get_transaction()
        if tx is not self._tx:
            self._next.clear()
            self._tx = tx
        start = self._next.get(table.name)
        if start is None:
            start = (self.conn.scalar(select(func.max(table.c.id))) or 0) + 1
        self._next[table.name] = start + n
        return list(range(start, start + n))

    def insert(
        self, model: type[Base], rows: Sequence[dict[str, Any]], with_ids: bool = False
    ) -> list[int]:
        """Insert rows (all with the same keys); with_ids: allocate and return their ids."""
        if not rows:
            return []
        keys = list(rows[0])
        return self.insert_tuples(model, keys, [[row[k] for k in keys] for row in rows], with_ids)

    def insert_tuples(
        self,
        model: type[Base],
        names: Sequence[str],
        rows: Sequence[Sequence[Any]],
        with_ids: bool = False,
    ) -> list[int]:
        """Insert rows given as value sequences in the order of `names`."""
        if not rows:
            return []
        table = _table(model)
        defaults = self._defaults(table, names)
        names, rows = _without_nulls(table, names, rows)
        columns = [*(["id"] if with_ids else []), *names, *defaults]
        procs = [self._proc(table.c[n]) for n in columns]
        extra = tuple(defaults.values())
        sql = (
            f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES "
            f"({', '.join([self.mark] * len(columns))})"
        )
        ids = self.ids(model, len(rows)) if with_ids else []
        if with_ids:
            raw = [(i, *row, *extra) for i, row in zip(ids, rows, strict=True)]
        else:
            raw = [(*row, *extra) for row in rows]
        self._insert(table, columns, sql, self._rows(raw, procs))
        return ids

    def update(self, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
        """UPDATE ... WHERE id = each row's "id" (all rows with the same keys)."""
        if not rows:
            return
        table = _table(model)
        keys = [k for k in rows[0] if k != "id"]
        cols = [table.c[k] for k in keys] + [table.c.id]
        procs = [self._proc(c) for c in cols]
        sql = (
            f"UPDATE {table.name} SET {', '.join(f'{k} = {self.mark}' for k in keys)} "
            f"WHERE id = {self.mark}"
        )
        values = self._rows([[*[row[k] for k in keys], row["id"]] for row in rows], procs)
        self._update(table, keys, sql, values)

    # -- rows in the driver's own values (for the hottest paths: no per-row conversion pass) --

    def to_driver(self, model: type[Base], name: str) -> Callable[[Any], Any]:
        """The column's Python value -> the value insert_values / update_values take (what its
        bind processor makes of it: cents for Money on SQLite, ISO text for dates...)."""
        proc = self._proc(_table(model).c[name])
        return _same if proc is None else proc

    def from_driver(self, model: type[Base], name: str) -> Callable[[Any], Any]:
        """The driver's value of a Money or Date column -> the Python value SQLAlchemy would
        return, for rows read with exec_driver_sql."""
        return from_driver(self.dialect, model, name)

    def insert_values(
        self, model: type[Base], names: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Insert rows already in driver values (see to_driver), in the order of `names`; ids,
        when wanted, are among them (from ids()). A column None in every row is left out, as
        insert_tuples does."""
        if not rows:
            return
        table = _table(model)
        defaults = self._defaults(table, names)  # columns not given: their scalar default
        names, rows = _without_nulls(table, names, rows)
        extra = tuple(self.to_driver(model, k)(v) for k, v in defaults.items())
        columns = [*names, *defaults]
        sql = (
            f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES "
            f"({', '.join([self.mark] * len(columns))})"
        )
        if extra:
            rows = [(*row, *extra) for row in rows]
        self._insert(table, columns, sql, rows)

    def _insert(
        self, table: Table, columns: Sequence[str], sql: str, rows: Sequence[Sequence[Any]]
    ) -> None:
        """Rows of driver values inserted by `sql` (an INSERT of `columns`), _CHUNK at a time;
        on PostgreSQL by COPY: the same values stored, for about a third of the time a row
        takes executemany on this host (the driver's per-row messages and the server's per-row
        statements; docs/benchmarks/secondary.md). An error is SQLAlchemy's, as an INSERT's."""
        if self.dialect.name != "postgresql":
            for i in range(0, len(rows), _CHUNK):
                self.conn.exec_driver_sql(sql, rows[i : i + _CHUNK])
            return
        import psycopg  # the driver of the PostgreSQL URLs (ptbill.ledger.engine)

        copy_sql = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        raw = self.conn.connection.dbapi_connection
        assert isinstance(raw, psycopg.Connection)
        try:
            with raw.cursor() as cursor, cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
        except psycopg.Error as e:
            raise DBAPIError.instance(copy_sql, None, e, psycopg.Error, dialect=self.dialect) from e

    def update_values(
        self, model: type[Base], names: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """UPDATE ... SET names WHERE id = the last value of each row (driver values)."""
        if not rows:
            return
        table = _table(model)
        sql = (
            f"UPDATE {table.name} SET {', '.join(f'{k} = {self.mark}' for k in names)} "
            f"WHERE id = {self.mark}"
        )
        self._update(table, names, sql, rows)

    def _update(
        self, table: Table, names: Sequence[str], sql: str, rows: Sequence[Sequence[Any]]
    ) -> None:
        """Rows of driver values (`names`' then the id) updated by `sql` (an UPDATE ... WHERE
        id), _CHUNK at a time; on PostgreSQL each chunk in one statement, the values as one
        array a column (a statement a row costs the server and the driver several times
        more), unless an id repeats (then row after row, the last one winning)."""
        if self.dialect.name != "postgresql" or len({row[-1] for row in rows}) != len(rows):
            for i in range(0, len(rows), _CHUNK):
                self.conn.exec_driver_sql(sql, rows[i : i + _CHUNK])
            return
        columns = [table.c[k] for k in (*names, "id")]
        # Each array of the column's type without its length or precision: an explicit cast
        # to varchar(20) would cut a longer text; the column's own assignment refuses it.
        arrays = ", ".join(
            f"unnest(%s::{_BASE.sub('', c.type.compile(dialect=self.dialect))}[]) AS {c.name}"
            for c in columns
        )
        one = (
            f"UPDATE {table.name} SET {', '.join(f'{k} = v.{k}' for k in names)} "
            f"FROM (SELECT {arrays}) AS v WHERE {table.name}.id = v.id"
        )
        for i in range(0, len(rows), _CHUNK):
            by_column = zip(*rows[i : i + _CHUNK], strict=True)
            self.conn.exec_driver_sql(one, tuple(list(values) for values in by_column))
