"""The ledger: claims, their lifecycle, submissions, acknowledgements and payments."""
