"""Administration (the company admin only): users, their roles per clinic, API tokens, and the
security audit (who read which patient's record, logins refused, changes of users). The same
changes as `ptbill user ...` and `ptbill token ...` (ptbill.web.admin)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field, ValidationError

from ptbill.errors import InputErrors, validation_errors
from ptbill.ledger.scope import clinic_ids
from ptbill.web import accounts, admin
from ptbill.web.api.common import API_DOCS, LedgerJSON, answer, json_body
from ptbill.web.auth import DB, Admin, ApiAdmin, ReadDB
from ptbill.web.bodies import AdminJSON
from ptbill.web.params import Limit, Offset, RowId
from ptbill.web.queries.common import paged
from ptbill.web.security import events
from ptbill.web.settings import CLINIC_ROLES, COMPANY_ROLES

router = APIRouter(prefix="/admin", tags=["administration"])

UserName = Annotated[str, Path(pattern=r"^[A-Za-z0-9._@-]{1,64}$", description="A user's name")]
Action = Literal["grant", "revoke", "role", "disable", "enable", "password", "unlock"]
ClinicKey = Annotated[str, Field(min_length=1, max_length=64)]


class NewUser(BaseModel):
    name: str = Field(pattern=r"^[A-Za-z0-9._@-]{1,64}$")
    role: Literal[COMPANY_ROLES + CLINIC_ROLES]  # type: ignore[valid-type]
    clinics: list[ClinicKey] = Field(default=[], max_length=500)
    password: str = Field(min_length=1, max_length=1024)


class Change(BaseModel):
    """What a change of a user needs: grant (clinic, role), revoke (clinic), role (a
    company-wide role or none), password (password); disable, enable and unlock nothing."""

    clinic: ClinicKey | None = None
    role: Literal[COMPANY_ROLES + CLINIC_ROLES + ("none",)] | None = None  # type: ignore[valid-type]
    password: str | None = Field(default=None, min_length=1, max_length=1024)


class NewToken(BaseModel):
    user: str = Field(pattern=r"^[A-Za-z0-9._@-]{1,64}$")
    clinic: ClinicKey | None = None
    expires: dt.date | None = None


def _parse(model: type[BaseModel], doc: Any) -> Any:
    try:
        return model.model_validate(doc)
    except ValidationError as e:
        raise InputErrors(validation_errors(e, "request", None, API_DOCS)) from None


def _need(value: str | None, name: str) -> str:
    if not value:
        from ptbill.errors import InputError

        raise InputError(
            file="request", visit_id=None, field=name, problem="missing", fix=f"send {name}"
        )
    return value


@router.get("/users", response_class=LedgerJSON)
def list_users(session: ReadDB, who: Admin) -> LedgerJSON:
    """Every user: company-wide role, roles per clinic, active."""
    return answer({"users": accounts.list_users(session)})


@router.post(
    "/users",
    response_class=LedgerJSON,
    status_code=201,
    openapi_extra=json_body(NewUser.model_json_schema(), "The new user"),
)
def add_user(request: Request, session: DB, who: ApiAdmin, doc: AdminJSON) -> LedgerJSON:
    """Add a user: a company-wide role (admin, manager), or a clinic role (biller, viewer) at
    the clinics named."""
    new = _parse(NewUser, doc)
    config = request.app.state.config
    with admin.named_as({"clinic": "clinics"}):
        admin.add_user(session, config, who.who, new.name, new.role, new.password, new.clinics)
    session.commit()
    return answer({"name": new.name}, status_code=201)


@router.post(
    "/users/{name}/{action}",
    response_class=LedgerJSON,
    openapi_extra=json_body(Change.model_json_schema(), "What the change needs"),
)
def change_user(
    name: UserName, action: Action, request: Request, session: DB, who: ApiAdmin, doc: AdminJSON
) -> LedgerJSON:
    """grant (clinic, role), revoke (clinic), role (admin, manager or none), disable, enable,
    password, unlock. Taking access away ends the user's sessions at once."""
    change = _parse(Change, doc)
    config = request.app.state.config
    if action == "grant":
        role = _need(change.role, "role")
        admin.grant(session, config, who.who, name, _need(change.clinic, "clinic"), role)
    elif action == "revoke":
        admin.revoke(session, config, who.who, name, _need(change.clinic, "clinic"))
    elif action == "role":
        admin.set_role(session, who.who, name, _need(change.role, "role"))
    elif action in ("disable", "enable"):
        admin.set_active(session, who.who, name, action == "enable")
    elif action == "password":
        admin.set_password(session, who.who, name, _need(change.password, "password"))
    else:
        admin.unlock(session, who.who, name)
    session.commit()
    return answer({"name": name, "done": action})


@router.get("/tokens", response_class=LedgerJSON)
def list_tokens(session: ReadDB, who: Admin, user: str | None = None) -> LedgerJSON:
    """The API tokens: id, user, first characters, clinic, expiry, revoked."""
    return answer({"tokens": accounts.list_tokens(session, user)})


@router.post(
    "/tokens",
    response_class=LedgerJSON,
    status_code=201,
    openapi_extra=json_body(NewToken.model_json_schema(), "Whose token, narrowed how"),
)
def create_token(request: Request, session: DB, who: ApiAdmin, doc: AdminJSON) -> LedgerJSON:
    """A new API token for a user (narrowed to one clinic, expiring, when asked); the answer
    holds it, shown this once."""
    new = _parse(NewToken, doc)
    with admin.named_as({"name": "user"}):
        value = admin.create_token(
            session, request.app.state.config, who.who, new.user, new.clinic, new.expires
        )
    session.commit()
    return answer({"user": new.user, "token": value}, status_code=201)


@router.post("/tokens/{token_id}/revoke", response_class=LedgerJSON)
def revoke_token(token_id: RowId, session: DB, who: ApiAdmin, doc: AdminJSON) -> LedgerJSON:
    """Revoke a token: refused at once (401)."""
    owner = admin.revoke_token(session, who.who, token_id)
    session.commit()
    return answer({"id": token_id, "user": owner, "revoked": True})


@router.get("/access-log", response_class=LedgerJSON)
def access_log(
    session: ReadDB,
    who: Admin,
    clinic: Annotated[str | None, Query(max_length=64, description="A clinic's key")] = None,
    patient_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    event: Annotated[str | None, Query(max_length=30)] = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> LedgerJSON:
    """The security audit, newest first: reads of patients' records and exports (per clinic,
    patient and date range), logins refused or locked out, changes of users and tokens.
    No total: next_offset is null on the last page."""
    rows = events(
        session,
        clinic_ids=clinic_ids(session, [clinic], "clinic") if clinic else None,
        patient_id=patient_id,
        event=event,
        since=since,
        until=until,
        limit=limit + 1,
        offset=offset,
    )
    return answer(paged("events", rows, limit=limit, offset=offset, total=None))
