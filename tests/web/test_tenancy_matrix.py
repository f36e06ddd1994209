"""The authorization matrix (issue #15): nothing of clinic B ever reaches a user of clinic A.

Generic: it walks every GET route of the app (the OpenAPI document's and the pages, read
from the app itself, so a route added later is walked too) with users of clinic A, of clinic
B, of both and company-wide.

- The differential check: a ledger of clinic A alone and a ledger of clinics A and B (A's
  rows made first, so that they carry the same ids in both) must answer clinic A's user
  the same, byte for byte (the session's CSRF token aside), on every route, with A's ids and
  with B's: so no count, total, chart, search hit, export or error text may depend on B.
- The 404 check: an id of clinic B answers A's user exactly as an id that does not exist.
- The marker check: B's claim numbers and patient ids appear in no answer to A's user, and
  A's in none to B's; the users of both clinics and the company-wide roles do see both.
- Writes: A's user acting on B's claims or B's patients' money finds nothing (404), an 835 of
  B's is refused whole, and A's statement run makes none for B; nothing of B changes.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from ptbill.config import load_config
from ptbill.demo.workbench import DEMO_PASSWORD, DemoLedger, build_demo_ledger, ensure_demo_users
from ptbill.ledger import models as m
from ptbill.ledger import payer_models as pm
from ptbill.ledger.eligibility import ledger_visits
from ptbill.ledger.eligibility import request as eligibility_request
from ptbill.ledger.patient_models import PatientTransaction, Statement
from ptbill.ledger.scope import Scope, scope_of
from ptbill.reports.statements import run_statements
from ptbill.web import WebSettings, create_app
from ptbill.web.accounts import create_token
from ptbill.web.db import open_database
from ptbill.web.jobs import JobContext, run_queued
from tests.ledger.test_patient_money import pdf_text
from tests.web.test_route_walk import _names, _routes

A, B = "elm-street-pt", "oak-avenue-pt"
A_USER, B_USER = "elm-biller", "oak-biller"
VISITS = 120


@dataclass
class Bench:
    app: FastAPI
    client: TestClient
    tokens: dict[str, str]
    demo: DemoLedger
    folder: str  # where its files were imported from (named in the audit trail)

    def get(self, url: str, user: str, page: bool = False) -> Any:
        if page:
            return self.client.get(url, follow_redirects=False)
        headers = {"Authorization": f"Bearer {self.tokens[user]}"}
        return self.client.get(url, headers=headers, follow_redirects=False)

    def login(self, user: str) -> None:
        self.client.cookies.clear()
        form = self.client.get("/login").text
        token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        r = self.client.post(
            "/login",
            data={"username": user, "password": DEMO_PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text[:300]


def _bench(folder: Path, clinics: list[str], as_of: Any = None) -> Bench:
    url = f"sqlite:///{folder / 'ledger.db'}"
    demo = build_demo_ledger(url, folder, visits=VISITS, seed=11, clinics=clinics)
    as_of = as_of or demo.as_of
    db = open_database(url)
    tokens = ensure_demo_users(db.sessions)
    for clinic in clinics:  # each clinic's statements in turn: A's carry the same ids in both
        with db.sessions.begin() as s:
            run = run_statements(
                s, load_config(None), as_of=as_of, who="test", scope=scope_of(s, [clinic])
            )
            assert run.statements, f"the demo leaves {clinic}'s patients a share to bill"
    db.dispose()
    app = create_app(WebSettings(db=url, as_of=as_of))
    return Bench(app, TestClient(app, base_url="http://127.0.0.1"), tokens, demo, str(folder))


@pytest.fixture(scope="module")
def benches(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Bench, Bench]]:
    """(A's ledger alone, A's and B's), on the same business date."""
    both = _bench(tmp_path_factory.mktemp("both"), [A, B])
    alone = _bench(tmp_path_factory.mktemp("alone"), [A], both.demo.as_of)
    _ask_about(both, B)
    yield alone, both
    for bench in (alone, both):
        bench.client.close()
        bench.app.state.db.dispose()


def _ask_about(bench: Bench, clinic: str) -> None:
    """A 270 for one clinic's patients (B's alone: an inquiry of A's would carry an
    interchange number that counts B's files, so the two ledgers could not answer A alike)."""
    with bench.app.state.sessions.begin() as s:
        cid = s.scalar(select(m.Clinic.id).where(m.Clinic.key == clinic))
        day = s.scalar(select(m.Visit.date_of_service).where(m.Visit.clinic_id == cid))
        assert cid is not None and day is not None
        visits = ledger_visits(s, day, Scope.of([cid]))
        eligibility_request(s, bench.app.state.config, visits, as_of=day, file_name="b.270")


def _ids(bench: Bench, clinic: str) -> dict[str, list[str]]:
    """A value for each path parameter, of one clinic's rows (read as the database owner)."""
    with bench.app.state.read_sessions() as s:
        cid = s.scalar(select(m.Clinic.id).where(m.Clinic.key == clinic))
        claims = s.scalars(
            select(m.Claim.claim_number)
            .join(m.Patient, m.Patient.id == m.Claim.patient_id)
            .where(m.Patient.clinic_id == cid)
            .order_by(m.Claim.id)
        ).all()
        blocked = s.scalar(
            select(m.Claim.claim_number)
            .join(m.Patient, m.Patient.id == m.Claim.patient_id)
            .where(m.Patient.clinic_id == cid, m.Claim.state == "blocked")
        )
        patient = s.scalar(select(m.Patient.id).where(m.Patient.clinic_id == cid))
        sub = s.scalar(
            select(m.SubmissionClaim.submission_id)
            .join(m.Claim, m.Claim.id == m.SubmissionClaim.claim_id)
            .join(m.Patient, m.Patient.id == m.Claim.patient_id)
            .where(m.Patient.clinic_id == cid)
        )
        ack = s.scalar(
            select(m.AckResult.ack_id)
            .join(m.Claim, m.Claim.id == m.AckResult.claim_id)
            .join(m.Patient, m.Patient.id == m.Claim.patient_id)
            .where(m.Patient.clinic_id == cid)
        )
        inquiry = s.scalar(
            select(pm.OutboundItem.outbound_id)
            .join(m.Patient, m.Patient.id == pm.OutboundItem.patient_id)
            .where(m.Patient.clinic_id == cid)
        )
        remit = s.scalar(
            select(m.Payment.remittance_id)
            .join(m.ClaimPayment, m.ClaimPayment.payment_id == m.Payment.id)
            .join(m.Claim, m.Claim.id == m.ClaimPayment.claim_id)
            .join(m.Patient, m.Patient.id == m.Claim.patient_id)
            .where(m.Patient.clinic_id == cid)
        )
        statement, day = s.execute(
            select(Statement.id, Statement.statement_date)
            .join(m.Patient, m.Patient.id == Statement.patient_id)
            .where(m.Patient.clinic_id == cid)
        ).first() or (None, None)
    assert claims and blocked and patient and sub and ack and remit and statement
    return {
        "claim_number": [claims[0]],
        "visit_id": [blocked],
        "patient_id": [str(patient)],
        "submission_id": [str(sub)],
        "ack_id": [str(ack)],
        "remittance_id": [str(remit)],
        "statement_id": [str(statement)],
        "day": [str(day)],  # that day's statements: the batch PDF and the mail vendor's CSV
        "kind": ["csv"],
        "appeal_id": ["1"],
        "fmt": ["html"],
        "run_id": ["1"],
        "inquiry_id": [str(inquiry or 1)],  # A has none: B's, or none, is not found
        "job_id": ["1"],  # no job queued: a 404 (who sees which job: tests/ledger/test_jobs.py)
        "name": [A_USER],
        "action": ["unlock"],
        "token_id": ["1"],
    }


def _markers(bench: Bench, clinic: str) -> set[str]:
    """Strings that name only this clinic's rows: its claim numbers and patients' ids."""
    with bench.app.state.read_sessions() as s:
        cid = s.scalar(select(m.Clinic.id).where(m.Clinic.key == clinic))
        claims = s.scalars(
            select(m.Claim.claim_number)
            .join(m.Patient, m.Patient.id == m.Claim.patient_id)
            .where(m.Patient.clinic_id == cid)
        ).all()
        patients = s.scalars(select(m.Patient.external_id).where(m.Patient.clinic_id == cid))
        return set(claims) | set(patients)


def _gets(bench: Bench) -> list[str]:
    """Every GET route's path (API and pages), but the login form and the static files."""
    paths = {path for method, path, _ in _routes(bench) if method == "GET"}  # type: ignore[arg-type]
    return sorted(p for p in paths if p not in ("/login", "/healthz", "/api/docs"))


def _fill(path: str, ids: dict[str, list[str]]) -> str:
    missing = [n for n in _names(path) if n not in ids]
    assert not missing, f"the matrix has no value for {missing} in {path}"
    return re.sub(r"{(\w+)(?::\w+)?}", lambda g: ids[g.group(1)][0], path)


# Query variants every list is asked with: the default, another clinic named, a search.
def _variants(url: str, search: str) -> list[str]:
    return [url, f"{url}?clinic={B}", f"{url}?q={search}", f"{url}?patient={search}"]


# The session's CSRF token and each money form's one-time token (ptbill.web.once) differ on
# every run: not what a clinic's user sees of another clinic.
_CSRF = re.compile(
    r'((?:name="csrf_token" value|name="csrf-token" content|name="once" value)=")[^"]*"'
)


def _normal(r: Any, folder: str = "") -> tuple[int, str]:
    text = r.text.replace(folder, "FOLDER") if folder else r.text
    return r.status_code, _CSRF.sub(r'\1"', text)


def _anonymous(text: str, ids: dict[str, list[str]]) -> str:
    """An answer with the ids asked for (and every number) blanked out, the CSRF token too."""
    for values in ids.values():
        if not values[0].isdigit():
            text = text.replace(values[0], "ID")
    return re.sub(r"\d+", "N", _CSRF.sub(r'\1"', text))


def _answers(bench: Bench, user: str, ids: dict[str, list[str]], search: str) -> dict[str, Any]:
    """Every GET route's answer to `user`: the API with their token, the pages signed in."""
    bench.login(user)
    out = {}
    for path in _gets(bench):
        page = not path.startswith("/api/")
        for url in _variants(_fill(path, ids), search):
            out[url] = _normal(bench.get(url, user, page=page), bench.folder)
    bench.client.cookies.clear()
    return out


def test_clinic_a_sees_the_same_whether_or_not_clinic_b_exists(
    benches: tuple[Bench, Bench],
) -> None:
    alone, both = benches
    a_ids = _ids(alone, A)
    assert a_ids == _ids(both, A)  # A's rows carry the same ids in both ledgers
    b_ids = _ids(both, B)
    search = sorted(_markers(both, B))[0]  # a B patient id or claim number, searched for
    for ids in (a_ids, b_ids):
        first, second = _answers(alone, A_USER, ids, search), _answers(both, A_USER, ids, search)
        differ = [url for url in first if first[url] != second[url]]
        assert differ == [], f"clinic A's user sees clinic B in: {differ[:10]}"
        assert any(status == 200 for status, _ in first.values())


def test_another_clinics_id_answers_as_one_that_does_not_exist(
    benches: tuple[Bench, Bench],
) -> None:
    _, both = benches
    b_ids = _ids(both, B)
    made_up = {k: ["V-NO-SUCH-1" if not v[0].isdigit() else "999999"] for k, v in b_ids.items()}
    both.login(A_USER)
    checked = 0
    for path in _gets(both):
        names = set(_names(path)) - {"fmt", "name", "action", "token_id", "day", "kind"}
        if not names:
            continue
        page = not path.startswith("/api/")
        real, fake = _fill(path, b_ids), _fill(path, made_up)
        r, f = both.get(real, A_USER, page=page), both.get(fake, A_USER, page=page)
        assert r.status_code == f.status_code, real
        if r.status_code == 404:
            checked += 1
            asked, fake_asked = ({n: d[n] for n in names} for d in (b_ids, made_up))
            assert _anonymous(r.text, asked) == _anonymous(f.text, fake_asked), real
    assert checked >= 10
    both.client.cookies.clear()


@pytest.mark.parametrize(("user", "mine", "theirs"), [(A_USER, A, B), (B_USER, B, A)])
def test_no_answer_names_another_clinics_rows(
    benches: tuple[Bench, Bench], user: str, mine: str, theirs: str
) -> None:
    _, both = benches
    foreign = _markers(both, theirs)
    # Searched for by a prefix of theirs (the search box shows what was asked, which is not
    # a leak): it would match their rows.
    answers = _answers(both, user, _ids(both, mine), sorted(foreign)[0][:-1])
    leaks = [url for url, (_, text) in answers.items() if any(x in text for x in foreign)]
    assert leaks == []
    own = _markers(both, mine)
    assert any(any(x in text for x in own) for _, text in answers.values())


@pytest.mark.parametrize("user", ["biller", "viewer", "manager", "admin"])
def test_users_of_both_clinics_and_company_roles_see_both(
    benches: tuple[Bench, Bench], user: str
) -> None:
    _, both = benches
    total = both.get("/api/v1/claims?limit=1", user).json()["total"]
    a = both.get(f"/api/v1/claims?limit=1&clinic={A}", user).json()["total"]
    b = both.get(f"/api/v1/claims?limit=1&clinic={B}", user).json()["total"]
    assert a > 0 and b > 0 and total == a + b
    only_a = both.get("/api/v1/claims?limit=1", A_USER).json()["total"]
    assert only_a == a
    report = both.get("/api/v1/reports", user).json()
    assert set(report["clinics"]) == {A, B}


def test_clinic_a_cannot_change_clinic_b(benches: tuple[Bench, Bench]) -> None:
    _, both = benches
    b = _ids(both, B)
    token = {"Authorization": f"Bearer {both.tokens[A_USER]}"}
    before = both.get(f"/api/v1/claims/{b['claim_number'][0]}", "manager").json()
    for action in ("correct", "appeal"):
        r = both.client.post(f"/api/v1/claims/{b['claim_number'][0]}/{action}", headers=token)
        assert r.status_code == 404, (action, r.text)
    r = both.client.post(
        f"/api/v1/claims/{b['claim_number'][0]}/writeoff", headers=token, json={"reason": "x"}
    )
    assert r.status_code == 404
    visit = both.get(f"/api/v1/visits/{b['visit_id'][0]}", "manager").json()["visit"]
    r = both.client.put(f"/api/v1/visits/{b['visit_id'][0]}", headers=token, json=visit)
    assert r.status_code == 404
    # B's 835 posted by A's biller: refused whole (it touches B's claims); nothing posted.
    remits = both.get("/api/v1/remittances", "manager").json()["total"]
    again = both.demo.remits[1].replace("TRN*1*", "TRN*1*9")  # another payment, B's claims
    r = both.client.post(
        "/api/v1/remittances",
        headers=token,
        files={"file": ("b.835", again.encode(), "text/plain")},
    )
    assert r.status_code == 202, r.text  # a job, which fails
    state = both.app.state
    run_queued(state.sessions, JobContext(state.config, state.settings))
    job = both.client.get(r.headers["location"], headers=token).json()
    assert job["state"] == "failed"
    assert "clinics outside those you act for" in job["errors"][0]["problem"]
    assert both.get("/api/v1/remittances", "manager").json()["total"] == remits
    assert both.get(f"/api/v1/claims/{b['claim_number'][0]}", "manager").json() == before
    # B's 835 as posted, re-saved with CRLF, by A's biller: posted before, but for B, so A is
    # refused like any 835 of B's, and told neither when nor in which remittance (#14).
    crlf = both.demo.remits[1].replace("~", "~\r\n").encode()
    a_says, b_says = (
        both.client.post(
            "/api/v1/remittances",
            headers={"Authorization": f"Bearer {both.tokens[user]}"},
            files={"file": ("b-again.835", crlf, "text/plain")},
        )
        for user in (A_USER, B_USER)
    )
    assert a_says.status_code == b_says.status_code == 202, a_says.text  # jobs
    state = both.app.state
    run_queued(state.sessions, JobContext(state.config, state.settings))
    a_job, b_job = (
        both.client.get(
            r.headers["location"], headers={"Authorization": f"Bearer {both.tokens[u]}"}
        ).json()
        for r, u in ((a_says, A_USER), (b_says, B_USER))
    )
    assert a_job["state"] == "failed", a_job
    assert "clinics outside those you act for" in a_job["errors"][0]["problem"]
    assert "already posted" not in str(a_job)
    assert b_job["state"] == "done" and b_job["result"]["already_posted"], b_job


def test_an_export_holds_only_the_callers_clinics(benches: tuple[Bench, Bench]) -> None:
    """`GET /api/v1/export` and the Export page: A's biller gets A's rows only (a row of no
    clinic neither), B's key is not known to them; a company role gets both clinics'."""

    _, both = benches
    for what in ("claims", "payments", "adjustments", "work-items"):
        url = f"/api/v1/export?what={what}&format=jsonl"
        mine = [json.loads(x) for x in both.get(url, A_USER).text.splitlines()]
        every = [json.loads(x) for x in both.get(url, "manager").text.splitlines()]
        assert {x["clinic"] for x in mine} <= {A}, what
        assert mine == [x for x in every if x["clinic"] == A], what
        if what != "work-items":
            assert {x["clinic"] for x in every} >= {A, B}, what
    r = both.get(f"/api/v1/export?what=claims&clinic={B}", A_USER)
    assert r.status_code == 422 and B not in r.json()["error"]["fix"], r.text
    both.login(A_USER)
    page = both.client.get("/export").text
    assert A in page and B not in page
    r = both.client.get(f"/export/download?what=claims&format=jsonl&clinic={A}")
    assert r.status_code == 200 and {json.loads(x)["clinic"] for x in r.text.splitlines()} == {A}


def _money_of_b(both: Bench, patient: str) -> tuple[Any, ...]:
    """Everything of B's patient money a write could change, read as the database owner."""
    with both.app.state.read_sessions() as s:
        return (
            s.scalars(select(PatientTransaction.id).order_by(PatientTransaction.id)).all(),
            s.scalars(select(Statement.id).order_by(Statement.id)).all(),
            both.get(f"/api/v1/patients/{patient}/account", "manager").json(),
        )


def test_clinic_a_cannot_touch_clinic_b_patients_money(benches: tuple[Bench, Bench]) -> None:
    _, both = benches
    patient = _ids(both, B)["patient_id"][0]
    token = {"Authorization": f"Bearer {both.tokens[A_USER]}"}
    before = _money_of_b(both, patient)
    writes = {
        "payments": {"amount": "5.00", "method": "cash"},
        "refunds": {"amount": "5.00", "method": "cash"},
        "writeoff": {"reason": "hardship"},
        "coverages": {"payer": "medigap", "member_id": "MG1", "start_date": "2026-01-01"},
    }
    for what, body in writes.items():
        r = both.client.post(f"/api/v1/patients/{patient}/{what}", headers=token, json=body)
        nobody = both.client.post(f"/api/v1/patients/999999/{what}", headers=token, json=body)
        assert r.status_code == nobody.status_code == 404, (what, r.text)
        assert r.text.replace(patient, "ID") == nobody.text.replace("999999", "ID")
    # The page's form, signed in as A's biller: not found either.
    both.login(A_USER)
    form = both.client.get("/statements").text
    csrf = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    r = both.client.post(
        f"/patients/{patient}/payments",
        data={"csrf_token": csrf, "amount": "5.00", "method": "cash"},
        follow_redirects=False,
    )
    assert r.status_code == 404
    # A's statement run (the same day: A's statements are made) reaches no patient of B.
    r = both.client.post("/api/v1/statements", headers=token)
    assert r.status_code == 201, r.text
    made = r.json()
    foreign = _markers(both, B)
    assert not foreign & {*made["waiting"], *made["closed"], *made["collections"]}
    assert made["statements"] == [] and made["waiting"]
    both.client.cookies.clear()
    assert _money_of_b(both, patient) == before


@pytest.mark.parametrize(("user", "mine", "theirs"), [(A_USER, A, B), (B_USER, B, A)])
def test_a_statement_pdf_shows_its_patients_clinic(
    benches: tuple[Bench, Bench], user: str, mine: str, theirs: str
) -> None:
    _, both = benches
    clinics = load_config(None).clinics
    statement = _ids(both, mine)["statement_id"][0]
    r = both.get(f"/api/v1/statements/{statement}.pdf", user)
    assert r.status_code == 200
    text = pdf_text(r.content)
    assert clinics[mine].name in text and clinics[mine].address.line1 in text
    assert clinics[theirs].name not in text
    other = _ids(both, theirs)["statement_id"][0]
    assert both.get(f"/api/v1/statements/{other}.pdf", user).status_code == 404


def test_the_report_csv_and_the_dashboards_link_to_it_are_of_the_users_clinics(
    benches: tuple[Bench, Bench],
) -> None:
    alone, both = benches
    url = "/api/v1/reports?format=csv"
    mine = both.get(url, A_USER)
    assert mine.status_code == 200 and mine.headers["content-type"].startswith("text/csv")
    assert "attachment" in mine.headers["content-disposition"]
    assert mine.text == alone.get(url, A_USER).text  # nothing of B changes A's numbers
    rows = list(csv.DictReader(io.StringIO(mine.text)))
    assert {r["name"] for r in rows if r["section"] == "clinic"} == {A}
    paid = next(r["value"] for r in rows if r["metric"] == "paid_total" and not r["name"])
    assert paid == both.get("/api/v1/reports", A_USER).json()["paid_total"]
    assert both.get(f"{url}&clinic={B}", A_USER).status_code == 404
    everyone = list(csv.DictReader(io.StringIO(both.get(url, "manager").text)))
    assert {r["name"] for r in everyone if r["section"] == "clinic"} == {A, B}
    # The dashboard links to the CSV of what it shows: the clinic chosen, as of its date.
    both.login("manager")
    page = both.client.get(f"/?clinic={B}").text
    link = re.search(r'href="(/api/v1/reports\?format=csv[^"]*)"[^>]*>Download CSV', page)
    assert link is not None, "no Download CSV link"
    href = link.group(1).replace("&amp;", "&")
    assert f"clinic={B}" in href and f"as_of={both.demo.as_of}" in href
    theirs = list(csv.DictReader(io.StringIO(both.client.get(href).text)))
    assert {r["name"] for r in theirs if r["section"] == "clinic"} == {B}
    both.client.cookies.clear()


def test_a_token_narrowed_to_clinic_a_reaches_nothing_of_b(benches: tuple[Bench, Bench]) -> None:
    """A user of both clinics (and a company-wide one) with a token narrowed to A (an
    integration of A's): no API answer names B's rows, with A's ids or B's, and a job the
    same user started for B with their full token is not found through it (nor cancelled)."""
    _, both = benches
    with both.app.state.sessions.begin() as s:
        a = s.scalar(select(m.Clinic.id).where(m.Clinic.key == A))
        narrowed = [f"{user}@{A}" for user in ("biller", "manager", "admin")]
        for name in narrowed:
            both.tokens[name] = create_token(s, name.split("@")[0], a)
    lines = both.demo.visits_path.read_text().splitlines()
    visit = next(line for line in lines if B in line)
    for user in ("biller", "admin"):  # a job for A and B, and one for every clinic
        r = both.client.post(
            "/api/v1/visits",
            headers={"Authorization": f"Bearer {both.tokens[user]}"},
            files={"file": (f"{B}.jsonl", visit.encode(), "application/json")},
        )
        assert r.status_code == 202, r.text
        state = both.app.state
        run_queued(state.sessions, JobContext(state.config, state.settings))
        job = r.headers["location"]
        assert both.get(job, user).json()["state"] == "done"
        token = {"Authorization": f"Bearer {both.tokens[f'{user}@{A}']}"}
        assert both.client.get(job, headers=token).status_code == 404
        assert both.client.post(f"{job}/cancel", headers=token).status_code == 404
        listed = both.client.get("/api/v1/jobs", headers=token).json()
        assert r.json()["id"] not in {j["id"] for j in listed["jobs"]}
    foreign = _markers(both, B)
    search = sorted(foreign)[0][:-1]
    paths = [p for p in _gets(both) if p.startswith("/api/")]
    urls = [
        url
        for ids in (_ids(both, A), _ids(both, B))
        for path in paths
        for url in _variants(_fill(path, ids), search)
    ]
    for user in narrowed:
        answers = {url: both.get(url, user).text for url in urls}  # each asked once
        leaks = [
            url for url, text in answers.items() if any(x in text and x not in url for x in foreign)
        ]
        assert leaks == [], user


def test_clinic_a_cannot_take_clinic_bs_visit_id(benches: tuple[Bench, Bench]) -> None:
    """A's biller uploading a visit of A's that carries one of B's visit ids: the job fails
    naming the visit id, and B's visit stays B's (it was moved to A and A's patient, under
    B's claim: A's biller could then read it and B's billers got 404)."""
    _, both = benches
    theirs = _ids(both, B)["claim_number"][0]
    lines = both.demo.visits_path.read_text().splitlines()
    visit = json.loads(next(line for line in lines if A in line))
    visit["visit_id"] = theirs
    before = both.get(f"/api/v1/visits/{theirs}", "manager").json()
    r = both.client.post(
        "/api/v1/visits",
        headers={"Authorization": f"Bearer {both.tokens[A_USER]}"},
        files={"file": ("a.jsonl", json.dumps(visit).encode(), "application/json")},
    )
    assert r.status_code == 202, r.text
    state = both.app.state
    run_queued(state.sessions, JobContext(state.config, state.settings))
    job = both.get(r.headers["location"], A_USER).json()
    assert job["state"] == "failed", job
    assert [(e["visit_id"], e["field"]) for e in job["errors"]] == [(theirs, "visit_id")]
    assert B not in json.dumps(job)
    assert both.get(f"/api/v1/visits/{theirs}", "manager").json() == before
    assert both.get(f"/api/v1/visits/{theirs}", B_USER).status_code == 200
    assert both.get(f"/api/v1/visits/{theirs}", A_USER).status_code == 404
