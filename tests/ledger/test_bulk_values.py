"""Bulk rows in the driver's own values (ptbill.ledger.bulk: to_driver, from_driver,
insert_values, update_values), as posting writes and reads them: stored and read back exactly as
SQLAlchemy stores and reads the same Python values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import DataError, IntegrityError

from ptbill.ledger import bulk as bulk_module
from ptbill.ledger import models as m
from ptbill.ledger.bulk import Bulk, among
from ptbill.ledger.db import Ledger

D = Decimal
COLUMNS = ("id", "sha256", "file_name", "content", "received_on", "total_paid")


def test_rows_in_driver_values_store_what_the_orm_stores(ledger: Ledger) -> None:
    with ledger.transaction() as s:
        s.add(
            m.Remittance(
                sha256="a" * 64,
                file_name="orm.835",
                content="x",
                received_on=dt.date(2025, 3, 1),
                total_paid=D("12.3"),
            )
        )
        s.flush()
        bulk = Bulk(s)
        money = bulk.to_driver(m.Remittance, "total_paid")
        date = bulk.to_driver(m.Remittance, "received_on")
        ids = bulk.ids(m.Remittance, 2)
        rows = [
            (ids[0], "b" * 64, "one.835", "y", date(dt.date(2025, 3, 1)), money(D("12.3"))),
            (ids[1], "c" * 64, "two.835", "z", date(dt.date(2024, 2, 29)), money(D("-0.07"))),
        ]
        bulk.insert_values(m.Remittance, COLUMNS, rows)
        # the columns left out take their defaults, as through the ORM
        bulk.update_values(m.Remittance, ("total_paid",), [(money(D("1000000.01")), ids[1])])
    with ledger.transaction() as s:
        orm, one, two = s.scalars(select(m.Remittance).order_by(m.Remittance.id)).all()
        assert [r.id for r in (one, two)] == ids and ids[0] == orm.id + 1
        assert (one.total_paid, one.received_on) == (orm.total_paid, orm.received_on)
        assert (
            (one.payment_count, one.claim_count) == (orm.payment_count, orm.claim_count) == (0, 0)
        )
        assert (two.total_paid, two.received_on) == (D("1000000.01"), dt.date(2024, 2, 29))
        # read as plain driver values, converted back: what the ORM reads
        bulk = Bulk(s)
        read_money = bulk.from_driver(m.Remittance, "total_paid")
        read_date = bulk.from_driver(m.Remittance, "received_on")
        raw = s.connection().exec_driver_sql(
            "SELECT total_paid, received_on FROM remittances ORDER BY id"
        )
        assert [(read_money(a), read_date(b)) for a, b in raw] == [
            (r.total_paid, r.received_on) for r in (orm, one, two)
        ]
        assert read_money(None) is None and read_date(None) is None


def test_bulk_inserts_keep_any_text_and_fail_as_an_insert_does(ledger: Ledger) -> None:
    """On PostgreSQL the rows go by COPY: its text format's special characters (tab, newline,
    backslash, \\N) are values like any other, and a row that breaks a
    constraint fails with SQLAlchemy's IntegrityError, as an INSERT (which posting catches).
    Updates go as one statement of arrays there: the same values stored, the last of an id
    given twice winning."""
    odd = "a\tb\nc\\d \\N é\r"
    with ledger.transaction() as s:
        bulk = Bulk(s)
        rows = [
            {
                "sha256": "d" * 64,
                "file_name": "\\N",
                "content": odd,
                "received_on": dt.date(2025, 3, 1),
                "total_paid": D("-12.30"),
                "payment_count": 2,
            },
            {
                "sha256": "e" * 64,
                "file_name": "",
                "content": "",
                "received_on": dt.date(2025, 3, 2),
                "total_paid": D("0.07"),
                "payment_count": 0,
            },
        ]
        ids = bulk.insert(m.Remittance, rows, with_ids=True)
    with ledger.transaction() as s:
        one, two = s.scalars(select(m.Remittance).order_by(m.Remittance.id)).all()
        assert [one.id, two.id] == ids
        assert (one.file_name, one.content, one.total_paid) == ("\\N", odd, D("-12.30"))
        assert (two.file_name, two.content, two.total_paid) == ("", "", D("0.07"))
        assert (one.payment_count, two.claim_count) == (2, 0)
    with ledger.transaction() as s:  # PostgreSQL: one statement of arrays, unless an id repeats
        Bulk(s).update(
            m.Remittance,
            [
                {"id": ids[0], "content": "\\N\t", "received_on": dt.date(2024, 2, 29)},
                {"id": ids[1], "content": odd, "received_on": dt.date(2025, 12, 31)},
            ],
        )
        twice = [{"id": ids[1], "total_paid": D("1.00")}, {"id": ids[1], "total_paid": D("2.50")}]
        Bulk(s).update(m.Remittance, twice)
    with ledger.transaction() as s:
        one, two = s.scalars(select(m.Remittance).order_by(m.Remittance.id)).all()
        assert (one.content, one.received_on, one.total_paid) == (
            "\\N\t",
            dt.date(2024, 2, 29),
            D("-12.30"),
        )
        assert (two.content, two.received_on, two.total_paid) == (
            odd,
            dt.date(2025, 12, 31),
            D("2.50"),
        )
    if ledger.engine.dialect.name == "postgresql":  # (SQLite keeps any length)
        with pytest.raises(DataError), ledger.transaction() as s:  # refused, not cut short
            Bulk(s).update(m.Remittance, [{"id": ids[0], "file_name": "x" * 301}])
    with pytest.raises(IntegrityError), ledger.transaction() as s:
        row = (ids[0], "f" * 64, "x", "y", dt.date(2025, 3, 3), D("1"))
        Bulk(s).insert_tuples(m.Remittance, COLUMNS, [row])


def test_among_finds_what_in_finds_and_never_a_cut_text(ledger: Ledger) -> None:
    """`among` (IN, or = ANY of one array on PostgreSQL) matches the values given: a text
    longer than the column is not cut to a stored one's length."""
    with ledger.transaction() as s:
        row = m.Remittance(
            sha256="f" * 64,
            file_name="x" * 300,
            content="",
            received_on=dt.date(2025, 3, 1),
            total_paid=D(0),
        )
        s.add(row)
        s.flush()
        dialect = s.connection().dialect
        name = m.Remittance.file_name
        assert (
            s.scalars(select(m.Remittance.id).where(among(dialect, name, ["x" * 301]))).all() == []
        )
        found = select(m.Remittance.id).where(among(dialect, name, ["y", "x" * 300]))
        assert s.scalars(found).all() == [row.id]
        by_id = select(m.Remittance.id).where(among(dialect, m.Remittance.id, [row.id, -1]))
        assert s.scalars(by_id).all() == [row.id]
        assert s.scalars(select(m.Remittance.id).where(among(dialect, name, []))).all() == []


def test_among_takes_any_text_dates_and_an_sqlite_without_json_each(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite ids and texts go as one JSON array (json_each): a text with quotes, a
    backslash and accents matches itself only; dates, and an SQLite older than 3.38, go as
    an IN list with the same answers."""
    odd = "caf\u00e9 \"x\" \\ 'y'"
    with ledger.transaction() as s:
        rows = [
            m.Remittance(
                sha256=c * 64,
                file_name=f,
                content="",
                received_on=dt.date(2025, 3, d),
                total_paid=D(0),
            )
            for c, f, d in (("a", odd, 1), ("b", "plain", 2))
        ]
        s.add_all(rows)
        s.flush()
        dialect = s.connection().dialect
        name, day = m.Remittance.file_name, m.Remittance.received_on

        def found(column: object, values: list[object]) -> list[int]:
            return s.scalars(select(m.Remittance.id).where(among(dialect, column, values))).all()

        for json_each in (True, False):
            monkeypatch.setattr(bulk_module, "JSON_EACH", json_each)
            assert found(name, [odd]) == [rows[0].id]
            assert found(name, [odd[:-1], "plain"]) == [rows[1].id]
            assert found(day, [dt.date(2025, 3, 2)]) == [rows[1].id]
            assert sorted(found(m.Remittance.id, [r.id for r in rows])) == [r.id for r in rows]


def test_a_column_none_in_every_row_is_left_to_the_table(ledger: Ledger) -> None:
    """A nullable column given None in every row is left out of the INSERT (NULL by the
    table's definition, no NULL bound), by insert and by insert_values alike; one None among
    values is written; a column with a default given None stays in (None is not its default:
    here a NOT NULL refuses it)."""
    statements: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(ledger.engine, "before_cursor_execute", seen)
    try:
        with ledger.transaction() as s:
            bulk = Bulk(s)
            bulk.insert(
                m.Provider,
                [
                    {
                        "npi": "1000000004",
                        "first_name": None,
                        "last_name": "Ode",
                        "credential": None,
                    },
                    {
                        "npi": "1000000012",
                        "first_name": None,
                        "last_name": None,
                        "credential": None,
                    },
                ],
            )
            names = ("npi", "first_name", "last_name", "credential")
            bulk.insert_values(m.Provider, names, [("1000000020", None, "Vee", None)])
    finally:
        event.remove(ledger.engine, "before_cursor_execute", seen)
    if ledger.engine.dialect.name == "sqlite":  # (PostgreSQL's rows go by COPY, unseen here)
        inserts = [x for x in statements if x.startswith("INSERT INTO providers")]
        assert len(inserts) == 2 and all(
            "first_name" not in x and "credential" not in x for x in inserts
        )
        assert all("last_name" in x for x in inserts)
    with ledger.transaction() as s:
        rows = s.execute(
            select(
                m.Provider.npi, m.Provider.first_name, m.Provider.last_name, m.Provider.credential
            ).order_by(m.Provider.npi)
        ).all()
        assert [tuple(r) for r in rows] == [
            ("1000000004", None, "Ode", None),
            ("1000000012", None, None, None),
            ("1000000020", None, "Vee", None),
        ]
    row = {"sha256": "g" * 64, "file_name": "x", "content": "y", "received_on": dt.date(2025, 1, 2)}
    with pytest.raises(IntegrityError), ledger.transaction() as s:
        Bulk(s).insert(m.Remittance, [{**row, "payment_count": None}])
