"""The parameters of paths and queries that the API and the pages share, each bounded at the
edge: a number past its range, or an id the ledger could never hold, is a 422 naming the
parameter, never an overflow deep in the database driver."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from ptbill.web.queries.common import MAX_LIMIT

MAX_ID = 2**31 - 1  # the ledger's integer keys (PostgreSQL INTEGER)
MAX_OFFSET = 1_000_000_000
MAX_PAGE = 1_000_000

# A row's number in the ledger: a patient, a submission, an acknowledgement, a remittance,
# an appeal letter.
RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="The row's id")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Rows a page (at most {MAX_LIMIT})")]
Offset = Annotated[
    int,
    Query(ge=0, le=MAX_OFFSET, description="Rows to skip: the previous page's next_offset"),
]
# A claim's number is its visit's id: at most 38 characters (ptbill.domain.visit), none a
# control character. Routes take it with the `path` converter, so that a claim whose id has a
# `/` (imported before intake refused one) still opens.
ClaimNumber = Annotated[
    str,
    Path(
        min_length=1,
        max_length=38,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="The claim's id (its visit's id)",
    ),
]
VisitId = ClaimNumber  # the same id
PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE, description="The page, from 1")]
PatientFilter = Annotated[int | None, Query(ge=1, le=MAX_ID, description="A patient's id")]
