"""The admin pages (company admin only): users and their roles per clinic, API tokens, the
security audit; and every user's page of their clinics' configuration (read-only)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.datastructures import FormData

from ptbill.ledger import models as m
from ptbill.ledger.scope import clinic_ids
from ptbill.web import accounts, admin
from ptbill.web.auth import DB, Access, Admin, PageAdmin, ReadDB
from ptbill.web.bodies import AdminForm, form_text
from ptbill.web.errors import NotFound
from ptbill.web.pages.common import back_to, parse_day, show
from ptbill.web.params import PageNumber, RowId
from ptbill.web.queries.clinics import clinic_settings
from ptbill.web.security import events
from ptbill.web.settings import CLINIC_ROLES, COMPANY_ROLES

router = APIRouter(include_in_schema=False)
LOG_PAGE = 100
ACTIONS = ("grant", "revoke", "role", "disable", "enable", "password", "unlock")
# The token just made, carried from the form's POST to the page its redirect lands on (so a
# refresh repeats the GET, never the POST): a cookie for the admin pages only, read once and
# cleared by that page, expiring on its own soon if the redirect is never followed.
NEW_TOKEN_COOKIE = "ptbill_new_token"
NEW_TOKEN_SECONDS = 120
# What a refusal is about, by the labels of the form that was filled in (ptbill.web.admin).
ADD_FORM = {"name": "Name", "role": "Role", "clinic": "Clinics", "password": "Password"}
CHANGE_FORM = {"name": "User", "role": "Role", "clinic": "Clinic", "password": "New password"}
TOKEN_FORM = {"name": "User", "clinic": "Clinic", "expires": "Expires", "id": "Token"}


@router.get("/clinics", response_class=HTMLResponse)
def clinics_page(request: Request, session: ReadDB, scope: Access) -> HTMLResponse:
    settings = clinic_settings(session, scope, request.app.state.config)
    return show(request, session, "clinics.html", clinics=settings)


def _admin_page(request: Request, session: ReadDB | DB, **extra: Any) -> HTMLResponse:
    keys = session.scalars(select(m.Clinic.key).order_by(m.Clinic.key)).all()
    return show(
        request,
        session,
        "admin.html",
        users=accounts.list_users(session),
        tokens=accounts.list_tokens(session),
        clinic_keys=keys,
        roles=COMPANY_ROLES + CLINIC_ROLES,
        company_roles=COMPANY_ROLES,
        clinic_roles=CLINIC_ROLES,
        actions=ACTIONS,
        **extra,
    )


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request, session: ReadDB, who: Admin) -> HTMLResponse:
    carried = request.cookies.get(NEW_TOKEN_COOKIE)
    if not carried:
        return _admin_page(request, session)
    made = parse_qs(carried)
    response = _admin_page(
        request,
        session,
        new_token=made.get("token", [""])[0],
        new_token_user=made.get("user", [""])[0],
        flash="The token was made.",
    )
    response.delete_cookie(NEW_TOKEN_COOKIE, path="/admin")
    return response


@router.post("/admin/users", response_class=HTMLResponse)
def add_user(request: Request, session: DB, who: PageAdmin, form: AdminForm) -> Response:
    clinics = [c for c in form.getlist("clinic") if isinstance(c, str)][:500]
    with admin.named_as(ADD_FORM):
        admin.add_user(
            session,
            request.app.state.config,
            who.who,
            form_text(form, "name", 64),
            form_text(form, "role", 10),
            form_text(form, "password", 1024),
            [c[:64] for c in clinics],
        )
    session.commit()
    return back_to("/admin", "user_added")


@router.post("/admin/users/change", response_class=HTMLResponse)
def change_user(request: Request, session: DB, who: PageAdmin, form: AdminForm) -> Response:
    action = form_text(form, "action", 10)
    if action not in ACTIONS:
        raise NotFound("action", action)
    with admin.named_as(CHANGE_FORM):
        _change(request, session, who.who, form, action)
    session.commit()
    return back_to("/admin", "user_changed")


def _change(request: Request, session: DB, actor: str, form: FormData, action: str) -> None:
    name = form_text(form, "name", 64)
    clinic = form_text(form, "clinic", 64)
    role = form_text(form, "role", 10)
    config = request.app.state.config
    if action == "grant":
        admin.grant(session, config, actor, name, clinic, role)
    elif action == "revoke":
        admin.revoke(session, config, actor, name, clinic)
    elif action == "role":
        admin.set_role(session, actor, name, role)
    elif action in ("disable", "enable"):
        admin.set_active(session, actor, name, action == "enable")
    elif action == "password":
        admin.set_password(session, actor, name, form_text(form, "password", 1024))
    else:
        admin.unlock(session, actor, name)


@router.post("/admin/tokens", response_class=HTMLResponse)
def create_token(request: Request, session: DB, who: PageAdmin, form: AdminForm) -> Response:
    user = form_text(form, "user", 64)
    with admin.named_as(TOKEN_FORM):
        value = admin.create_token(
            session,
            request.app.state.config,
            who.who,
            user,
            form_text(form, "clinic", 64) or None,
            parse_day(form_text(form, "expires", 10)),
        )
    session.commit()
    response = RedirectResponse("/admin", status_code=303)
    response.set_cookie(
        NEW_TOKEN_COOKIE,
        urlencode({"user": user, "token": value}),
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.secure_cookies,
        path="/admin",
        max_age=NEW_TOKEN_SECONDS,
    )
    return response


@router.post("/admin/tokens/{token_id}/revoke", response_class=HTMLResponse)
def revoke_token(token_id: RowId, session: DB, who: PageAdmin, form: AdminForm) -> Response:
    with admin.named_as(TOKEN_FORM):
        admin.revoke_token(session, who.who, token_id)
    session.commit()
    return back_to("/admin", "token_revoked")


@router.get("/admin/access-log", response_class=HTMLResponse)
def access_log_page(
    request: Request,
    session: ReadDB,
    who: Admin,
    clinic: Annotated[str | None, Query(max_length=64)] = None,
    patient_id: Annotated[str | None, Query(max_length=10)] = None,
    event: Annotated[str | None, Query(max_length=30)] = None,
    since: Annotated[str | None, Query(max_length=10)] = None,
    until: Annotated[str | None, Query(max_length=10)] = None,
    page: PageNumber = 1,
) -> HTMLResponse:
    first, last = parse_day(since), parse_day(until)
    patient = int(patient_id) if patient_id and patient_id.isdigit() else None
    rows = events(
        session,
        clinic_ids=clinic_ids(session, [clinic], "clinic") if clinic else None,
        patient_id=patient,
        event=event or None,
        since=first,
        until=last,
        limit=LOG_PAGE + 1,
        offset=(page - 1) * LOG_PAGE,
    )
    keys = session.scalars(select(m.Clinic.key).order_by(m.Clinic.key)).all()
    return show(
        request,
        session,
        "access_log.html",
        events=rows[:LOG_PAGE],
        more=len(rows) > LOG_PAGE,
        page=page,
        clinic=clinic,
        clinic_keys=keys,
        patient_id=patient,
        event=event,
        since=first,
        until=last,
    )
