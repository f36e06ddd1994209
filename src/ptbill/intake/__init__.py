"""Intake: parse and validate visit documentation into domain objects (ptbill's JSON, FHIR R4,
HL7 v2 DFT^P03, CSV charge exports: docs/intake.md)."""

from ptbill.intake.load import load_visits, parse_documents, read_visits, validate_visits

__all__ = ["load_visits", "parse_documents", "read_visits", "validate_visits"]
