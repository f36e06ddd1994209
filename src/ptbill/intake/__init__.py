"""Intake: parse and validate visit documentation into domain objects."""

from ptbill.intake.load import load_visits, parse_documents, validate_visits

__all__ = ["load_visits", "parse_documents", "validate_visits"]
