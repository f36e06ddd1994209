"""Importers for CMS and contract files: each reads one published layout and stores a versioned
release (ptbill.reference.store)."""
