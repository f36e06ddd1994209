"""The parameters of paths and queries that the API and the pages share, each bounded at the
edge: a number past its range, or an id the ledger could never hold, is a 422 naming the
parameter, never an overflow deep in the database driver."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from pydantic import BaseModel, BeforeValidator, Field

from ptbill.remit.work_kinds import DUE_HELP, DueWindow, Kind
from ptbill.remit.worklist import WorkFilter, check_filter
from ptbill.web.queries.common import MAX_LIMIT

MAX_ID = 2**31 - 1  # the ledger's integer keys (PostgreSQL INTEGER)
MAX_OFFSET = 1_000_000_000
MAX_PAGE = 1_000_000
MAX_SEARCH = 100  # characters of a search: longer than any name or id it could match

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
# A search: bounded, since the database matches it as a LIKE pattern (SQLite fails one of
# 50,000 characters, a failure the app could only answer as a busy ledger).
Search = Annotated[
    str | None,
    Query(max_length=MAX_SEARCH, description=f"Part of a name or id (at most {MAX_SEARCH})"),
]


# The work queue's filters (ptbill.remit.worklist.WorkFilter), the same for the API's and the
# page's query and a bulk action's body. A form's "all" sends an empty value: the same as none.
_KEY = r"^[^\x00-\x1f\x7f]+$"


def _blank_is_none(value: object) -> object:
    return None if value == "" else value


Blank = BeforeValidator(_blank_is_none)
# Blank (a pager link carries every filter, set or not): no filter.
PatientFilter = Annotated[
    Annotated[int, Field(ge=1, le=MAX_ID)] | None, Blank, Query(description="A patient's id")
]


class WorkFilterParams(BaseModel):
    kind: Annotated[Kind | None, Blank] = Field(None, description="One kind of item")
    category: Annotated[str | None, Blank] = Field(None, max_length=30, pattern=r"^[a-z0-9_]+$")
    rule: Annotated[str | None, Blank] = Field(
        None,
        max_length=40,
        pattern=r"^[A-Z0-9-]+$",
        description="The scrub rule of blocked items (`-`: the items with none)",
    )
    carc: Annotated[str | None, Blank] = Field(
        None,
        max_length=5,
        pattern=r"^[A-Za-z0-9-]+$",
        description="The CARC of denials (`-`: the items with none)",
    )
    payer: Annotated[str | None, Blank] = Field(
        None, max_length=64, pattern=_KEY, description="A payer's key"
    )
    clinic: Annotated[str | None, Blank] = Field(
        None, max_length=64, pattern=_KEY, description="A clinic's key"
    )
    since: Annotated[dt.date | None, Blank] = Field(None, description="Created on or after")
    until: Annotated[dt.date | None, Blank] = Field(None, description="Created on or before")
    due: Annotated[DueWindow | None, Blank] = Field(None, description=DUE_HELP)

    def to_filter(self, payers: Collection[str]) -> WorkFilter:
        """The filter; refused (422) when it can only select nothing by a slip: a payer no
        profile of `payers` knows, a `since` after the `until` (check_filter)."""
        f = WorkFilter(
            kinds=(self.kind,) if self.kind else (),
            category=self.category,
            rule=self.rule,
            carc=self.carc,
            payers=(self.payer,) if self.payer else (),
            clinics=(self.clinic,) if self.clinic else (),
            since=self.since,
            until=self.until,
            due=self.due,
        )
        check_filter(f, payers)
        return f


def _work_filter(request: Request, params: Annotated[WorkFilterParams, Query()]) -> WorkFilter:
    return params.to_filter(request.app.state.config.payers)


WorkFilters = Annotated[WorkFilter, Depends(_work_filter)]
