"""Asking payers from the workbench (issue #16): a 270 for a day's visits or one patient, a
276 for claims past their window, their download, the 271 and 277 answers applied (each once,
held to the caller's clinics), and the clearinghouse exchange run from the API and the page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from ptbill.config.profiles import Clearinghouse
from ptbill.ledger import models as m
from ptbill.ledger import payer_models as pm
from ptbill.payer_sim.eligibility import EligibilitySim, answer_270
from ptbill.payer_sim.status import answer_276
from ptbill.x12.tr3 import check
from ptbill.x12.tr3_guides import GUIDES
from tests.web.conftest import MakeBench, Workbench

ELM, OAK = "elm-street-pt", "oak-avenue-pt"
INACTIVE = EligibilitySim(inactive_rate=1.0, limit_rate=0, not_found_rate=0)


def _busiest_day(bench: Workbench) -> dt.date:
    with bench.sessions()() as s:
        day = s.scalar(
            select(m.Visit.date_of_service)
            .group_by(m.Visit.date_of_service)
            .order_by(func.count().desc(), m.Visit.date_of_service)
        )
    assert day is not None
    return day


def _patient_of(bench: Workbench, clinic: str) -> dict[str, Any]:
    url = f"/api/v1/patients?clinic={clinic}&limit=1"
    return bench.get(url, role="manager").json()["patients"][0]


def _upload(bench: Workbench, url: str, name: str, text: str, role: str = "biller") -> Any:
    return bench.post(url, role=role, files={"file": (name, text.encode(), "text/plain")})


def _download(bench: Workbench, inquiry: int, role: str = "biller") -> str:
    r = bench.get(f"/api/v1/inquiries/{inquiry}/file", role=role)
    assert r.status_code == 200, r.text
    assert "attachment" in r.headers["content-disposition"]
    return r.text


def _answer_270(bench: Workbench, text: str, day: dt.date) -> str:
    return answer_270(text, bench.app.state.config, INACTIVE, number=7, when=day)


def test_a_biller_asks_about_a_days_visits_and_applies_the_271(bench: Workbench) -> None:
    day = _busiest_day(bench)
    r = bench.post(f"/api/v1/eligibility/requests?date={day}")
    assert r.status_code == 201, r.text
    asked = r.json()
    assert asked["kind"] == "270" and asked["items"]
    assert all(i["date"] == day.isoformat() for i in asked["items"])
    text = _download(bench, asked["inquiry_id"])
    assert check(text, GUIDES["270"]) == []
    listed = bench.get("/api/v1/inquiries").json()["inquiries"]
    assert listed[0]["id"] == asked["inquiry_id"] and listed[0]["sent"] is False

    answer = _answer_270(bench, text, day)
    applied = _upload(bench, "/api/v1/eligibility/responses", "day.271", answer)
    assert applied.status_code == 201, applied.text
    people = applied.json()["subscribers"]
    assert len(people) == len(asked["items"]) and all(p["active"] is False for p in people)
    assert applied.json()["unmatched"] == [] and applied.json()["work_items"] == len(people)
    # The answer reached the patients: their latest check says inactive.
    checks = bench.get("/api/v1/eligibility?limit=200").json()["checks"]
    assert all(c["patient"] for c in checks)  # each found its patient by its trace
    assert sum(1 for c in checks if c["active"] is False) == len(people)
    # Once only: the same file again changes nothing, and is said applied before (not an error,
    # as `ptbill eligibility apply` exits 0).
    again = _upload(bench, "/api/v1/eligibility/responses", "copy.271", answer)
    assert again.status_code == 200, again.text
    assert again.json()["already_applied"] is True and again.json()["applied"] is False
    assert again.json()["applied_on"] == applied.json()["as_of"] and again.json()["inbound_file_id"]
    assert len(bench.get("/api/v1/eligibility?limit=200").json()["checks"]) == len(checks)


def test_one_patient_and_the_clinics_of_the_caller(bench: Workbench) -> None:
    elm, oak = _patient_of(bench, ELM), _patient_of(bench, OAK)
    mine = bench.post(f"/api/v1/eligibility/requests?patient_id={elm['id']}", role="elm-biller")
    assert mine.status_code == 201, mine.text
    assert mine.json()["items"] and all(i["visit_id"] for i in mine.json()["items"])
    # Another clinic's patient is not found; a viewer may not ask.
    theirs = bench.post(f"/api/v1/eligibility/requests?patient_id={oak['id']}", role="elm-biller")
    assert theirs.status_code == 404
    viewer = bench.post(f"/api/v1/eligibility/requests?patient_id={elm['id']}", role="viewer")
    assert viewer.status_code == 403
    # A day's visits: only the caller's clinic's.
    day = _busiest_day(bench)
    elm_day = bench.post(f"/api/v1/eligibility/requests?date={day}", role="elm-biller").json()
    with bench.sessions()() as s:
        clinics = set(
            s.scalars(
                select(m.Clinic.key)
                .join(m.Visit, m.Visit.clinic_id == m.Clinic.id)
                .where(m.Visit.visit_id.in_([i["visit_id"] for i in elm_day["items"]]))
            )
        )
    assert clinics == {ELM}
    # Oak's biller neither lists nor downloads elm's inquiry.
    assert bench.get("/api/v1/inquiries", role="oak-biller").json()["inquiries"] == []
    r = bench.get(f"/api/v1/inquiries/{mine.json()['inquiry_id']}/file", role="oak-biller")
    assert r.status_code == 404
    # Neither a date nor a patient, or both: a named error.
    r = bench.post("/api/v1/eligibility/requests")
    assert r.status_code == 422 and "one of them" in r.json()["error"]["problem"]


def test_a_271_about_another_clinics_patients_is_refused_whole(bench: Workbench) -> None:
    oak = _patient_of(bench, OAK)
    asked = bench.post(f"/api/v1/eligibility/requests?patient_id={oak['id']}", role="admin")
    text = _download(bench, asked.json()["inquiry_id"], role="admin")
    answer = _answer_270(bench, text, _busiest_day(bench))
    before = bench.get("/api/v1/eligibility", role="manager").json()["checks"]
    r = _upload(bench, "/api/v1/eligibility/responses", "oak.271", answer, role="elm-biller")
    assert r.status_code == 422
    assert "clinics outside those you act for" in r.json()["error"]["problem"]
    assert bench.get("/api/v1/eligibility", role="manager").json()["checks"] == before
    # Oak's biller applies it.
    r = _upload(bench, "/api/v1/eligibility/responses", "oak.271", answer, role="oak-biller")
    assert r.status_code == 201, r.text


def test_a_wrong_kind_or_a_damaged_file_is_named(bench: Workbench) -> None:
    remit = bench.templates.demo.remit_835
    r = _upload(bench, "/api/v1/eligibility/responses", "payer.271", remit)
    error = r.json()["error"]
    assert r.status_code == 422
    assert error["file"] == "payer.271" and error["field"] == "segment 2 (GS), GS01"
    assert "835 remittance, not a 271" in error["problem"]
    assert "Remittances page" in error["fix"]
    day = _busiest_day(bench)
    asked = bench.post(f"/api/v1/eligibility/requests?date={day}").json()
    answer = _answer_270(bench, _download(bench, asked["inquiry_id"]), day)
    cut = answer[: len(answer) // 2]
    r = _upload(bench, "/api/v1/eligibility/responses", "cut.271", cut)
    error = r.json()["error"]
    assert r.status_code == 422 and error["file"] == "cut.271"
    assert error["field"].startswith("segment ") and "ask for it again" in error["fix"]
    r = _upload(bench, "/api/v1/claim-status/responses", "day.277", answer)
    error = r.json()["error"]
    assert r.status_code == 422 and "271 eligibility response, not a 277" in error["problem"]
    assert "Payers page" in error["fix"] and "eligibility/responses" in error["fix"]


def test_a_276_for_claims_past_the_window_and_its_277(make_bench: MakeBench) -> None:
    bench = make_bench("pending")
    day = _busiest_day(bench) + dt.timedelta(days=90)
    r = bench.post(f"/api/v1/claim-status/requests?as_of={day}", role="elm-biller")
    assert r.status_code == 201, r.text
    asked = r.json()
    text = _download(bench, asked["inquiry_id"], role="elm-biller")
    assert check(text, GUIDES["276"]) == []
    numbers = [i["claim_id"] for i in asked["items"]]
    with bench.sessions()() as s:
        clinics = set(
            s.scalars(
                select(m.Clinic.key)
                .join(m.Patient, m.Patient.clinic_id == m.Clinic.id)
                .join(m.Claim, m.Claim.patient_id == m.Patient.id)
                .where(m.Claim.claim_number.in_(numbers))
            )
        )
    assert numbers and clinics == {ELM}
    # Asked within the window: nothing more to ask the next day.
    r = bench.post(f"/api/v1/claim-status/requests?as_of={day}", role="elm-biller")
    assert r.status_code == 200 and r.json()["inquiry_id"] is None
    # The payer has none of them on file: each becomes a rejection to resubmit.
    answer = answer_276(text, {}, number=9, when=day)
    r = bench.post(
        f"/api/v1/claim-status/responses?as_of={day}",
        role="elm-biller",
        files={"file": ("day.277", answer.encode(), "text/plain")},
    )
    assert r.status_code == 201, r.text
    assert sorted(r.json()["rejected"]) == sorted(numbers)
    claim = bench.get(f"/api/v1/claims/{numbers[0]}", role="manager").json()
    assert claim["state"] == "rejected"
    # Another clinic's claim, named: not found.
    oak_claim = bench.get(f"/api/v1/claims?clinic={OAK}&limit=1", role="manager").json()
    number = oak_claim["claims"][0]["claim_number"]
    r = bench.post(f"/api/v1/claim-status/requests?claim={number}", role="elm-biller")
    assert r.status_code == 404


def _with_mailbox(bench: Workbench, folder: Path) -> None:
    config = bench.app.state.config
    clinics = {k: c.model_copy(update={"clearinghouse": "ch"}) for k, c in config.clinics.items()}
    bench.app.state.config = config.model_copy(
        update={"clearinghouses": {"ch": Clearinghouse(local=str(folder))}, "clinics": clinics}
    )


def test_the_exchange_runs_from_the_api_for_whoever_bills_every_clinic(
    bench: Workbench, tmp_path: Path
) -> None:
    _with_mailbox(bench, tmp_path / "box")
    day = _busiest_day(bench)
    asked = bench.post(f"/api/v1/eligibility/requests?date={day}").json()
    for role in ("elm-biller", "viewer", "manager"):
        r = bench.post(f"/api/v1/exchange/runs?clinic={ELM}", role=role)
        assert r.status_code == 403, (role, r.text)
    r = bench.post(f"/api/v1/exchange/runs?clinic={ELM}", role="biller")
    assert r.status_code == 201, r.text
    run = r.json()
    assert run["status"] == "ok" and run["uploaded"] >= 1
    sent = {o["file"] for o in run["outcomes"] if o["action"] == "upload"}
    assert f"270-{asked['interchange_control_number']:09d}.x12" in sent
    assert (
        tmp_path / "box" / "inbound" / f"270-{asked['interchange_control_number']:09d}.x12"
    ).exists()
    assert bench.get("/api/v1/inquiries").json()["inquiries"][0]["sent"] is True
    # The run is in the company's list; the mailbox's 271 is applied by the next run.
    runs = bench.get("/api/v1/exchange/runs", role="manager").json()["runs"]
    assert runs[0]["id"] == run["run_id"] and runs[0]["who"] == "web:biller"
    answer = _answer_270(bench, _download(bench, asked["inquiry_id"]), day)
    (tmp_path / "box" / "outbound").mkdir(parents=True, exist_ok=True)
    (tmp_path / "box" / "outbound" / "answer.271").write_text(answer)
    r = bench.post("/api/v1/exchange/runs", role="admin")
    assert r.status_code == 201 and r.json()["applied"] == 1, r.text
    with bench.sessions()() as s:
        assert s.scalar(select(func.count()).select_from(pm.InboundFile)) == 1
    # A clinic with no clearinghouse configured: named.
    bench.app.state.config = bench.app.state.config.model_copy(
        update={
            "clinics": {
                k: c.model_copy(update={"clearinghouse": None})
                for k, c in bench.app.state.config.clinics.items()
            }
        }
    )
    r = bench.post(f"/api/v1/exchange/runs?clinic={ELM}", role="admin")
    assert r.status_code == 422 and "has no clearinghouse" in r.json()["error"]["problem"]


def _form(bench: Workbench, url: str, data: dict[str, str], **kw: Any) -> Any:
    return bench.client.post(
        url, data={"csrf_token": bench.csrf(), **data}, follow_redirects=False, **kw
    )


def test_the_pages_ask_download_apply_and_run(bench: Workbench, tmp_path: Path) -> None:
    _with_mailbox(bench, tmp_path / "box")
    day = _busiest_day(bench)
    elm = _patient_of(bench, ELM)
    with bench.signed_in("biller"):
        page = bench.client.get("/payers")
        assert page.status_code == 200 and "Write the 270" in page.text
        r = _form(bench, "/payers/eligibility-requests", {"date": day.isoformat()})
        assert r.status_code == 303 and r.headers["location"] == "/payers?done=inquiry_written"
        page = bench.client.get(r.headers["location"])
        assert "The inquiry was written" in page.text
        link = page.text.split('href="/api/v1/inquiries/', 1)[1].split('"', 1)[0]
        text = bench.client.get(f"/api/v1/inquiries/{link}").text
        assert text.startswith("ISA") and "\nST*270*" in text
        # One patient, from the patient's page.
        patient_page = bench.client.get(f"/patients/{elm['id']}")
        assert 'action="/payers/eligibility-requests"' in patient_page.text
        r = _form(bench, "/payers/eligibility-requests", {"patient_id": str(elm["id"])})
        assert r.headers["location"] == "/payers?done=inquiry_written"
        # The 271 uploaded on the page is applied and shown.
        answer = _answer_270(bench, text, day)
        r = _form(
            bench,
            "/payers/responses",
            {},
            files={"file": ("day.271", answer.encode(), "text/plain")},
        )
        assert r.status_code == 200 and "Applied the 271 day.271" in r.text
        assert "inactive" in r.text
        # The wrong kind: named, with where it goes.
        r = _form(
            bench,
            "/payers/responses",
            {},
            files={"file": ("x.271", bench.templates.demo.remit_835.encode(), "text/plain")},
        )
        assert r.status_code == 422 and "Remittances page" in r.text
        r = _form(bench, "/payers/status-requests", {"claim": ""})
        assert r.status_code == 303
        # The exchange, run from its page.
        page = bench.client.get("/exchange")
        assert "Run the exchange now" in page.text
        r = _form(bench, "/exchange", {"clinic": ELM})
        assert r.status_code == 200 and "sent as 270-" in r.text
    with bench.signed_in("elm-biller"):
        r = _form(bench, "/exchange", {"clinic": ELM})
        assert r.status_code == 403
    with bench.signed_in("viewer"):
        page = bench.client.get("/payers")
        assert page.status_code == 200 and "Write the 270" not in page.text


def test_a_run_asked_for_while_one_is_going_is_refused_by_the_api_and_the_page(
    bench: Workbench, tmp_path: Path
) -> None:
    """A cron run of the clearinghouse is going (its lease held by a live process): the API
    answers 409 naming it, the button's page says "not started" with since when and by whom,
    and the runs list shows it going; nothing is recorded for the refused run."""
    import os
    import socket

    from ptbill.exchange.lease import LEASE, utc_now

    _with_mailbox(bench, tmp_path / "box")
    now = utc_now()
    with bench.sessions().begin() as s:
        going = pm.ExchangeRun(clearinghouse="ch", run_on=now.date(), who="cron", status="running")
        s.add(going)
        s.flush()
        run_id = going.id
        s.add(
            pm.ExchangeLease(
                clearinghouse="ch",
                token="c" * 32,
                run_id=run_id,
                who="cron",
                host=socket.gethostname(),
                pid=os.getpid(),
                started_at=now,
                expires_at=now + LEASE,
            )
        )
    r = bench.post("/api/v1/exchange/runs", role="admin")
    assert r.status_code == 409, r.text
    problem = r.json()["error"]["problem"]
    assert problem.startswith(f"run #{run_id} of the clearinghouse ch is going since ")
    assert "by cron" in problem and "did nothing" in problem
    runs = bench.get("/api/v1/exchange/runs", role="manager").json()["runs"]
    assert [x["id"] for x in runs] == [run_id] and runs[0]["going"]["since"] is not None
    for role in ("biller", "admin"):  # (the runs are the company's: the admin sees them)
        with bench.signed_in(role):
            page = _form(bench, "/exchange", {"clinic": ELM})
            assert page.status_code == 409
            said = f"Not started: run #{run_id} of the clearinghouse ch is going since"
            assert said in page.text
    assert f"Run #{run_id}" in page.text and '</span> <span class="muted">going since' in page.text
    with bench.sessions()() as s:
        assert s.scalar(select(func.count()).select_from(pm.ExchangeRun)) == 1
