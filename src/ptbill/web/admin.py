"""User and token administration, as `ptbill user|token ...` and the admin pages and API do
it: each change made through ptbill.web.accounts and written to the security audit with who
made it and the clinic concerned. Clinics are named by their keys; a configured clinic the
ledger has not met yet is added (so that users can be set up before the first import).

What is refused names what is at fault by what it is (name, role, clinic, password, expires,
id); `named_as` says it in the words of the surface that asked: the command line's options,
the API's fields, the admin page's form labels.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager

from sqlalchemy.orm import Session

from ptbill.config.profiles import Config
from ptbill.errors import InputError
from ptbill.ledger.scope import clinic_ids, ensure_clinics
from ptbill.web import accounts
from ptbill.web.security import clear_failures, record

# The command line's names of what an administration error is about.
CLI_WORDS = {
    "name": "NAME",
    "role": "--role",
    "clinic": "--clinic",
    "expires": "--expires",
    "id": "ID",
}


@contextmanager
def named_as(words: Mapping[str, str]) -> Iterator[None]:
    """An InputError of the block with what it is about (its field, or its file when that
    names it) in `words`."""
    try:
        yield
    except InputError as e:
        field = words.get(e.field, e.field) if e.field else None
        raise InputError(
            words.get(e.file, e.file), e.problem, e.fix, visit_id=e.visit_id, field=field
        ) from None


def _ids(session: Session, config: Config, keys: Iterable[str]) -> list[int]:
    keys = [k for k in keys if k]
    ensure_clinics(session, config, keys)
    return clinic_ids(session, keys, "clinic")


def _clinic_id(session: Session, config: Config, clinic: str) -> int:
    """The one clinic a grant or revoke is about (a blank: none was chosen)."""
    if not clinic:
        raise InputError(
            "user change",
            "no clinic was chosen",
            "choose the clinic the role is given at (grant) or taken away at (revoke)",
            field="clinic",
        )
    (clinic_id,) = _ids(session, config, [clinic])
    return clinic_id


def add_user(
    session: Session,
    config: Config,
    actor: str,
    name: str,
    role: str,
    password: str,
    clinics: Iterable[str] = (),
) -> None:
    keys = list(clinics)
    accounts.add_user(session, name, role, password, _ids(session, config, keys))
    record(session, actor, "user-added", detail=f"{name} as {role} {' '.join(keys)}".strip())


def grant(session: Session, config: Config, actor: str, name: str, clinic: str, role: str) -> None:
    clinic_id = _clinic_id(session, config, clinic)
    accounts.grant(session, name, clinic_id, role)
    record(session, actor, "grant", clinic_id=clinic_id, detail=f"{name} {role}")


def revoke(session: Session, config: Config, actor: str, name: str, clinic: str) -> bool:
    clinic_id = _clinic_id(session, config, clinic)
    had = accounts.revoke(session, name, clinic_id)
    record(session, actor, "revoke", clinic_id=clinic_id, detail=name)
    return had


def set_role(session: Session, actor: str, name: str, role: str) -> None:
    accounts.set_company_role(session, name, role)
    record(session, actor, "role", detail=f"{name} {role}")


def set_active(session: Session, actor: str, name: str, active: bool) -> None:
    accounts.set_active(session, name, active)
    record(session, actor, "enabled" if active else "disabled", detail=name)


def set_password(session: Session, actor: str, name: str, password: str) -> None:
    accounts.set_password(session, name, password)
    record(session, actor, "password", detail=name)


def unlock(session: Session, actor: str, name: str) -> None:
    accounts.find_user(session, name)
    clear_failures(session, name)
    record(session, actor, "unlock", detail=name)


def create_token(
    session: Session,
    config: Config,
    actor: str,
    name: str,
    clinic: str | None = None,
    expires: dt.date | None = None,
) -> str:
    clinic_id = _ids(session, config, [clinic])[0] if clinic else None
    at = dt.datetime.combine(expires, dt.time()) if expires else None
    value = accounts.create_token(session, name, clinic_id, at)
    record(session, actor, "token-created", clinic_id=clinic_id, detail=f"{name} {value[:12]}")
    return value


def revoke_token(session: Session, actor: str, token_id: int) -> str:
    owner = accounts.revoke_token(session, token_id)
    record(session, actor, "token-revoked", detail=f"{owner} token {token_id}")
    return owner
