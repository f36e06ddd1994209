"""Packaged reference data, loaded once and indexed; each file keeps its provenance
(data/SOURCES.md)."""
