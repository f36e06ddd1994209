"""Plain typed models that every layer speaks; no I/O here."""

from ptbill.domain.coded import CodedLine, CodedVisit, UnitMethod
from ptbill.domain.visit import Service, Visit

__all__ = ["CodedLine", "CodedVisit", "Service", "UnitMethod", "Visit"]
