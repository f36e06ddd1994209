"""Column types the ledger needs beyond SQLAlchemy's: exact money on every database.

PostgreSQL stores money as NUMERIC(14, 2). SQLite has no decimal type (a NUMERIC column keeps
a binary float), so there money is an integer number of cents: sums stay exact in SQL too.
Either way Python sees a Decimal with two places, never a float.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Numeric
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

CENT = Decimal("0.01")


class Money(TypeDecorator[Decimal]):
    impl = Numeric(14, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(14, 2, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            if isinstance(value, float):
                raise TypeError("money must be a Decimal, never a float")
            value = Decimal(value)
        if dialect.name == "sqlite":
            cents = value.quantize(CENT) * 100
            return int(cents)
        return value.quantize(CENT)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-2)
        return Decimal(value).quantize(CENT)
