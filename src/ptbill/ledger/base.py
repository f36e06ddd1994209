"""The declarative base every ledger table is declared on (ptbill.ledger.models and the modules
it gathers: patient_models, payer_models; the web's tables too), apart from the models so that
those modules need not import the one that imports them."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


def _fk(target: str, nullable: bool = False, index: bool = True) -> Mapped[int]:
    return mapped_column(Integer, ForeignKey(target), nullable=nullable, index=index)
