"""Remittances: posting 835s, denial classification, the worklist, corrected claims, appeals
and write-offs."""
