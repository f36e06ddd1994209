"""What the pages and the API show: read-only queries over the ledger, as plain dicts, one
module per resource (as ptbill.web.api and ptbill.web.pages are).

The API returns these dicts as JSON and the pages render the same dicts, so that a figure is
computed once. Nothing here writes; changes go through the ledger's workflow functions.
Every list is paged (ptbill.web.queries.common.paged).
"""
