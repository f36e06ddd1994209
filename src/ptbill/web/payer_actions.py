"""What the workbench does with payers, for the API and the pages alike: write a 270 or 276,
apply a 271 or 277, run the clearinghouse exchange. Each is the command line's own entry point
(ptbill.ledger.eligibility, ptbill.ledger.claim_status, ptbill.exchange.run) held to the
caller's clinics:

- a 270 asks about the visits of the clinics the caller bills (a date's schedule), or one
  patient of theirs (another clinic's patient is not found; one they only view is refused);
- a 276 asks about their clinics' claims past the payer's window, or the claims named;
- a 271 or 277 that answers about another clinic's patients or claims is refused whole (the
  request's transaction rolls back: nothing of it stays); each file applies once, by sha256;
- the exchange carries every clinic's files (it uploads whatever the ledger has not sent), so
  it is run by a company admin or a biller of every clinic in the ledger.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ptbill.config.profiles import Config
from ptbill.errors import InputError
from ptbill.exchange.run import RunSummary, clearinghouse_for, run_exchange
from ptbill.ledger import claim_status, eligibility
from ptbill.ledger import models as m
from ptbill.ledger import payer_models as pm
from ptbill.ledger.outbound import Written
from ptbill.ledger.scope import eligibility_clinics, refuse_outside, status_clinics
from ptbill.web.accounts import Principal
from ptbill.web.actions import kind_named_for_the_web, need_date, writable_claim
from ptbill.web.errors import Forbidden, NotFound
from ptbill.x12 import X12Error
from ptbill.x12.recognize import HEAD, recognize

Summary = TypeVar("Summary", eligibility.EligibilitySummary, claim_status.StatusSummary)


def _written(session: Session, written: Written) -> dict[str, Any]:
    """The answer to a request: what was asked, and the stored file's id (None: nothing)."""
    inquiry = None
    if written.interchange_control_number is not None:
        inquiry = session.scalar(
            select(pm.OutboundFile.id).where(
                pm.OutboundFile.interchange_control_number == written.interchange_control_number
            )
        )
    return {"inquiry_id": inquiry, **written.as_json()}


def request_eligibility(
    session: Session,
    config: Config,
    who: Principal,
    *,
    on: dt.date | None,
    patient_id: int | None,
    as_of: dt.date | None,
) -> dict[str, Any]:
    """A 270 for the caller's visits on `on`, or for one patient's latest visit with each
    payer (exactly one of them)."""
    day = need_date(as_of, "eligibility request")
    if (on is None) == (patient_id is None):
        raise InputError(
            "eligibility request",
            "give a date or a patient (one of them)",
            "ask for the visits of a date (date=YYYY-MM-DD) or for one patient (patient_id)",
            field="date",
        )
    if patient_id is not None:
        _writable_patient(session, who, patient_id)
        visits = eligibility.patient_visits(session, patient_id)
        origin = f"patient {patient_id}"
    else:
        assert on is not None
        visits = eligibility.ledger_visits(session, on, who.write_scope)
        origin = f"visits of {on}"
    written = eligibility.request(
        session, config, visits, as_of=day, file_name=f"eligibility-{day}.270", origin=origin
    )
    return {"as_of": day, **_written(session, written)}


def _writable_patient(session: Session, who: Principal, patient_id: int) -> None:
    clinic_id = session.scalar(select(m.Patient.clinic_id).where(m.Patient.id == patient_id))
    if clinic_id is None or not who.scope.allows(clinic_id):
        raise NotFound("patient", patient_id)
    if not who.writes(clinic_id):
        raise Forbidden(
            "your role at this patient's clinic cannot ask payers; ask for the biller role"
        )


def request_status(
    session: Session, config: Config, who: Principal, claims: list[str], as_of: dt.date | None
) -> dict[str, Any]:
    """A 276 for the caller's claims past their payer's window, or for the claims named."""
    day = need_date(as_of, "claim status request")
    for number in claims:
        writable_claim(session, who, number)
    written = claim_status.request(
        session,
        config,
        as_of=day,
        file_name=f"status-{day}.276",
        claims=claims or None,
        scope=who.write_scope,
    )
    return {"as_of": day, **_written(session, written)}


def _held(
    session: Session,
    who: Principal,
    name: str,
    text: str,
    as_of: dt.date | None,
    apply: Callable[..., Summary],
    touched: Callable[[Session, int], set[int | None]],
) -> Summary:
    """Apply an answer file with the command's entry point (once), then refuse it whole when
    it `touched` a clinic the caller does not bill."""
    day = need_date(as_of, name)
    with kind_named_for_the_web():
        summary = apply(session, text, name, as_of=day, who=who.who)
    if not who.is_admin:
        refuse_outside(name, who.writes, touched(session, summary.inbound_id))
    return summary


def apply_eligibility(
    session: Session, who: Principal, name: str, text: str, as_of: dt.date | None
) -> eligibility.EligibilitySummary:
    """Apply a 271 (once); refused whole when it answers about another clinic's patients."""
    return _held(session, who, name, text, as_of, eligibility.apply_271, eligibility_clinics)


def apply_status(
    session: Session, who: Principal, name: str, text: str, as_of: dt.date | None
) -> claim_status.StatusSummary:
    """Apply a 277 claim status response (once); refused whole when it answers about another
    clinic's claims."""
    return _held(session, who, name, text, as_of, claim_status.apply_277, status_clinics)


def apply_answer(
    session: Session, who: Principal, name: str, text: str, as_of: dt.date | None
) -> tuple[str, Any]:
    """A 271 or a 277 applied, by what the file says it is: ("271" or "277", its summary).
    Any other kind is refused as the 271's reader refuses it (naming where it goes)."""
    try:
        kind = recognize(text[:HEAD])
    except X12Error:
        kind = "271"  # the 271's reader says what is wrong with it, segment by segment
    if kind == "277":
        return kind, apply_status(session, who, name, text, as_of)
    return "271", apply_eligibility(session, who, name, text, as_of)


# --- the clearinghouse exchange -------------------------------------------------------------


class _Transactions:
    """The app's write sessions as ptbill.exchange.run takes a ledger: one transaction each."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self.sessions.begin() as session:
            yield session


def clearinghouse_of(config: Config, clinic: str | None) -> str:
    """The clearinghouse of a configured clinic (None: the only one configured)."""
    if clinic is None:
        return clearinghouse_for(config, None)[0]
    found = config.clinic(clinic)
    if found is None or found.clearinghouse is None:
        raise InputError(
            config.source,
            f"the clinic {clinic!r} has no clearinghouse in the configuration",
            f'add clearinghouse = "KEY" to [clinics.{clinic}] and a [clearinghouses.KEY] '
            "section (docs/payers.md)",
            field=f"clinics.{clinic}.clearinghouse",
        )
    return found.clearinghouse


def check_exchange_runner(session: Session, who: Principal) -> None:
    """A company admin, or a biller of every clinic in the ledger (see the module doc)."""
    if who.is_admin:
        return
    clinics = session.scalars(select(m.Clinic.id)).all()
    if not who.can_write or not all(who.writes(c) for c in clinics):
        raise Forbidden(
            "the exchange sends and takes in the files of every clinic: a company admin, or "
            "a biller of every clinic, runs it"
        )


def run_clearinghouse(
    sessions: sessionmaker[Session],
    config: Config,
    who: Principal,
    clinic: str | None,
    as_of: dt.date,
) -> RunSummary:
    """One exchange cycle with the clinic's clearinghouse, each file in its own transaction
    (the caller holds none open: on SQLite it would wait on itself)."""
    house = clearinghouse_of(config, clinic)
    base = Path(config.source).parent if Path(config.source).exists() else Path.cwd()
    return run_exchange(
        _Transactions(sessions),
        config,
        house,
        as_of=as_of,
        who=who.who,
        base=base,
    )
