"""Users per clinic, tokens, login protection and administration (issues #15 items 2, 5, 6
and #19 item 8): the CLI, the admin API and pages; access refused at once when taken away."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from ptbill.cli.main import cli
from ptbill.demo.workbench import DEMO_PASSWORD
from ptbill.ledger import models as m
from ptbill.web.models import ApiToken
from ptbill.web.security import USER_LIMIT
from tests.web.conftest import MakeBench, Workbench

A, B = "elm-street-pt", "oak-avenue-pt"


def _run(db: Path, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", *args], input=stdin, obj={})
    return result.exit_code, result.output


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_cli_administers_users_and_tokens(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    db = bench.db

    def add(name: str, role: str, clinic: str) -> tuple[int, str]:
        args = ("user", "add", name, "--role", role, "--clinic", clinic, "--password-stdin")
        return _run(db, *args, stdin="a long password\n")

    assert add("ann", "biller", A)[0] == 0
    code, out = add("bo", "manager", A)
    assert code == 2 and "company-wide role" in out
    code, out = add("cy", "viewer", "no-such")
    assert code == 2 and "no clinic 'no-such'" in out
    assert _run(db, "user", "grant", "ann", "--clinic", B, "--role", "viewer")[0] == 0
    code, out = _run(db, "user", "list", "--json")
    ann = next(u for u in json.loads(out) if u["name"] == "ann")
    assert ann["clinics"] == {A: "biller", B: "viewer"} and ann["company_role"] is None
    code, token = _run(db, "token", "create", "ann", "--clinic", B)
    token = token.strip()
    who = _bearer(token)
    # Narrowed to B (where ann only views): B's claims, none of A's; no change allowed.
    claims = bench.client.get("/api/v1/claims?limit=1", headers=who).json()["total"]
    b_total = bench.get(f"/api/v1/claims?limit=1&clinic={B}", "manager").json()["total"]
    assert claims == b_total
    assert bench.client.post("/api/v1/submissions", headers=who).status_code == 403
    # Revoking B ends the tokens narrowed to it, at once.
    assert _run(db, "user", "revoke", "ann", "--clinic", B)[0] == 0
    assert bench.client.get("/api/v1/claims", headers=who).status_code == 401
    code, out = _run(db, "token", "list", "ann", "--json")
    assert [t["revoked"] for t in json.loads(out)] == [True]
    # A company-wide role, then none again; disable, enable, a new password.
    assert _run(db, "user", "role", "ann", "manager")[0] == 0
    assert json.loads(_run(db, "user", "list", "--json")[1])[1]["company_role"] == "manager"
    assert _run(db, "user", "role", "ann", "none")[0] == 0
    code, token = _run(db, "token", "create", "ann")
    who = _bearer(token.strip())
    assert bench.client.get("/api/v1/claims", headers=who).status_code == 200
    assert _run(db, "user", "disable", "ann")[0] == 0
    assert bench.client.get("/api/v1/claims", headers=who).status_code == 401
    assert _run(db, "user", "enable", "ann")[0] == 0
    assert bench.client.get("/api/v1/claims", headers=who).status_code == 200
    code, out = _run(db, "token", "list", "--json")
    mine = [t for t in json.loads(out) if t["user"] == "ann" and not t["revoked"]]
    assert _run(db, "token", "revoke", str(mine[0]["id"]))[0] == 0
    assert bench.client.get("/api/v1/claims", headers=who).status_code == 401
    assert _run(db, "user", "passwd", "ann", "--password-stdin", stdin="another one!\n")[0] == 0
    assert bench.login("ann", "another one!").status_code == 303
    # Every change is in the security audit, with who made it.
    code, out = _run(db, "access-log", "--json")
    events = {e["event"] for e in json.loads(out)}
    assert {"user-added", "grant", "revoke", "role", "disabled", "token-revoked"} <= events
    code, out = _run(db, "access-log", "--clinic", B, "--json")
    assert {e["event"] for e in json.loads(out)} == {"grant", "token-created", "revoke"}


def test_an_expired_token_is_refused(bench: Workbench) -> None:
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).date()
    code, token = _run(bench.db, "token", "create", "viewer", "--expires", f"{tomorrow}")
    assert code == 0
    assert bench.client.get("/api/v1/claims", headers=_bearer(token.strip())).status_code == 200
    with bench.sessions()() as s:  # its day comes
        t = s.scalars(select(ApiToken).order_by(ApiToken.id.desc())).first()
        assert t is not None and t.expires_at == dt.datetime.combine(tomorrow, dt.time())
        t.expires_at = dt.datetime(2020, 1, 1)
        s.commit()
    assert bench.client.get("/api/v1/claims", headers=_bearer(token.strip())).status_code == 401


def test_a_token_expiring_on_a_day_past_is_not_made(bench: Workbench) -> None:
    with bench.sessions()() as s:
        before = len(s.scalars(select(ApiToken)).all())
    code, out = _run(bench.db, "token", "create", "viewer", "--expires", "2020-01-01")
    assert code == 2 and "2020-01-01 has passed" in out and "Traceback" not in out
    with bench.sessions()() as s:
        assert len(s.scalars(select(ApiToken)).all()) == before


def test_losing_access_ends_the_session(bench: Workbench) -> None:
    bench.login("elm-biller")
    assert bench.client.get("/claims").status_code == 200
    assert _run(bench.db, "user", "revoke", "elm-biller", "--clinic", A)[0] == 0
    r = bench.client.get("/claims", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_logins_are_throttled_audited_and_unlocked_by_an_admin(bench: Workbench) -> None:
    for _ in range(USER_LIMIT):
        assert bench.login("viewer", "wrong password").status_code == 401
    # Locked: even the right password is refused, without being checked.
    r = bench.login("viewer", DEMO_PASSWORD)
    assert r.status_code == 429 and "Too many failed logins" in r.text
    log = bench.get("/api/v1/admin/access-log?event=login-locked", "admin").json()["events"]
    assert log and log[0]["who"] == "web:viewer"
    assert bench.get("/api/v1/admin/access-log", "viewer").status_code == 403
    # The admin unlocks through the API (as the CLI's `ptbill user unlock` does).
    r = bench.post("/api/v1/admin/users/viewer/unlock", role="admin")
    assert r.status_code == 200, r.text
    assert bench.login("viewer", DEMO_PASSWORD).status_code == 303


@pytest.mark.parametrize("part", ["", "/account"])
def test_reading_a_patient_is_in_the_access_log(bench: Workbench, part: str) -> None:
    """The patient and its account (balances, payments, coverages: its record too), page and
    API, each write a read entry; a patient of another clinic (404) writes none."""
    with bench.sessions()() as s:
        patient, clinic = s.execute(
            select(m.Patient.id, m.Clinic.key)
            .join(m.Clinic, m.Clinic.id == m.Patient.clinic_id)
            .where(m.Clinic.key == B)
        ).first()  # type: ignore[misc]
    assert clinic == B
    api, page = f"/api/v1/patients/{patient}{part}", f"/patients/{patient}{part}"
    _read_as_b_only(bench, api, page)
    assert _reads_of_b(bench, patient) == [("web:viewer", page), ("web:oak-biller", api)]


def _read_as_b_only(bench: Workbench, api: str, page: str) -> None:
    """Read `api` as oak's biller and `page` as the viewer; elm's biller is not shown it."""
    assert bench.get(api, "oak-biller").status_code == 200
    assert bench.get(api, "elm-biller").status_code == 404
    with bench.signed_in("viewer"):
        assert bench.client.get(page).status_code == 200


def _reads_of_b(bench: Workbench, patient: int) -> list[tuple[str, str]]:
    """The access log's reads of a patient of clinic B, newest first: who and what."""
    url = f"/api/v1/admin/access-log?clinic={B}&patient_id={patient}&event=read-patient"
    events = bench.get(url, "admin").json()["events"]
    assert all(e["clinic"] == B for e in events)
    return [(e["who"], e["detail"]) for e in events]


def test_statements_read_are_in_the_access_log(bench: Workbench) -> None:
    """A statement run's answer (each patient's statement) and a statement's PDF, API and
    page, are reads of the patient's record; a statement of another clinic is not found (404)
    and writes nothing."""
    made = bench.post("/api/v1/statements", role="biller")
    assert made.status_code == 201, made.text
    listed = bench.get("/api/v1/statements?limit=200", "oak-biller").json()["statements"]
    assert listed, "the demo leaves oak's patients a share to bill"
    statement, patient = listed[0]["id"], listed[0]["patient_pk"]
    api, page = f"/api/v1/statements/{statement}.pdf", f"/statements/{statement}.pdf"
    _read_as_b_only(bench, api, page)
    with bench.signed_in("elm-biller"):
        assert bench.client.get(page).status_code == 404
    assert _reads_of_b(bench, patient) == [
        ("web:viewer", page),
        ("web:oak-biller", api),
        ("web:biller", "/api/v1/statements"),
    ]
    # The run's answer named every patient it made a statement for, each under its clinic.
    runs = bench.get("/api/v1/admin/access-log?limit=200&event=read-patient", "admin").json()
    logged = {
        (e["clinic"], e["patient_id"])
        for e in runs["events"]
        if e["detail"] == "/api/v1/statements"
    }
    with bench.sessions()() as s:
        ids = {str(p["patient_id"]) for p in made.json()["statements"]}
        expected = {
            tuple(row)
            for row in s.execute(
                select(m.Clinic.key, m.Patient.id)
                .join(m.Clinic, m.Clinic.id == m.Patient.clinic_id)
                .where(m.Patient.external_id.in_(ids))
            )
        }
    assert len(made.json()["statements"]) == len(logged) and logged == expected
    with bench.signed_in("admin"):
        shown = bench.client.get(f"/admin/access-log?clinic={B}&patient_id={patient}")
        assert shown.status_code == 200 and page in shown.text and api in shown.text


def test_exports_are_in_the_access_log(bench: Workbench) -> None:
    """An export (API and page) is logged once per clinic whose rows it holds; one refused
    (an unknown or another clinic's key) is not logged."""
    assert bench.get("/api/v1/export?what=claims", "elm-biller").status_code == 200
    assert bench.get(f"/api/v1/export?what=claims&clinic={B}", "elm-biller").status_code == 422
    with bench.signed_in("manager"):
        page = bench.client.get(f"/export/download?what=payments&clinic={B}&format=jsonl")
        assert page.status_code == 200
    assert bench.get("/api/v1/export?what=work-items", "manager").status_code == 200
    events = bench.get("/api/v1/admin/access-log?event=export", "admin").json()["events"]
    assert [(e["who"], e["clinic"], e["detail"]) for e in events] == [
        ("web:manager", B, "ptbill-work-items.csv"),
        ("web:manager", A, "ptbill-work-items.csv"),
        ("web:manager", B, f"ptbill-payments-{B}.jsonl"),
        ("web:elm-biller", A, "ptbill-claims.csv"),
    ]
    assert all(e["patient_id"] is None for e in events)


def test_the_admin_api_and_pages(bench: Workbench) -> None:
    new = {"name": "dee", "role": "viewer", "clinics": [B], "password": "long enough!"}
    assert bench.post("/api/v1/admin/users", role="biller", json=new).status_code == 403
    r = bench.post("/api/v1/admin/users", role="admin", json=new)
    assert r.status_code == 201, r.text
    bad = {**new, "name": "eve", "clinics": []}
    r = bench.post("/api/v1/admin/users", role="admin", json=bad)
    assert r.status_code == 422 and "no clinic was named" in r.json()["error"]["problem"]
    r = bench.post("/api/v1/admin/tokens", role="admin", json={"user": "dee", "clinic": B})
    token = r.json()["token"]
    assert bench.client.get("/api/v1/claims", headers=_bearer(token)).status_code == 200
    users = bench.get("/api/v1/admin/users", "admin").json()["users"]
    assert next(u for u in users if u["name"] == "dee")["clinics"] == {B: "viewer"}
    r = bench.post("/api/v1/admin/users/dee/disable", role="admin")
    assert r.status_code == 200
    assert bench.client.get("/api/v1/claims", headers=_bearer(token)).status_code == 401
    # The pages: the admin sees the users; a grant through the form; others are refused.
    with bench.signed_in("biller"):
        assert bench.client.get("/admin").status_code == 403
    with bench.signed_in("admin"):
        page = bench.client.get("/admin")
        assert page.status_code == 200 and "dee" in page.text
        r = bench.client.post(
            "/admin/users/change",
            data={"csrf_token": bench.csrf(), "name": "dee", "action": "grant", "clinic": A,
                  "role": "biller"},
            follow_redirects=False,
        )  # fmt: skip
        assert r.status_code == 303, r.text
        r = bench.client.post(
            "/admin/tokens",
            data={"csrf_token": bench.csrf(), "user": "dee", "clinic": "", "expires": ""},
        )
        assert r.status_code == 200 and 'id="new-token">ptb_' in r.text
        log = bench.client.get(f"/admin/access-log?clinic={A}")
        assert log.status_code == 200 and "grant" in log.text
    users = bench.get("/api/v1/admin/users", "admin").json()["users"]
    assert next(u for u in users if u["name"] == "dee")["clinics"] == {A: "biller", B: "viewer"}


def test_the_tokens_of_a_user_who_does_not_exist_are_refused(bench: Workbench) -> None:
    """A mistyped name is a mistake to name (as every other `user`/`token` command names it),
    not an empty list that reads as "this user has no tokens"."""
    code, out = _run(bench.db, "token", "list", "elm-bilner")
    assert code == 2 and "no user 'elm-bilner'" in out
    r = bench.get("/api/v1/admin/tokens?user=elm-bilner", "admin")
    assert r.status_code == 422 and "no user 'elm-bilner'" in r.json()["error"]["problem"]
    code, out = _run(bench.db, "token", "list", "elm-biller", "--json")
    assert code == 0 and {t["user"] for t in json.loads(out)} == {"elm-biller"}


def test_each_clinics_configuration_is_shown_masked(bench: Workbench, tmp_path: Path) -> None:
    elm = bench.get("/api/v1/clinics", "elm-biller").json()["clinics"]
    assert [c["key"] for c in elm] == [A]
    assert elm[0]["chargemaster"]["97110"] == "48.00" and elm[0]["npi"] == "1234567893"
    both = bench.get("/api/v1/clinics", "manager").json()["clinics"]
    assert [c["key"] for c in both] == [A, B]
    with bench.signed_in("oak-biller"):
        page = bench.client.get("/clinics")
        assert "Oak Avenue" in page.text and "Elm Street Physical Therapy" not in page.text


def test_the_clearinghouse_account_is_masked(make_bench: MakeBench, tmp_path: Path) -> None:
    from ptbill.config.profiles import bundled_demo_config_text

    config = tmp_path / "clinic.toml"
    text = bundled_demo_config_text().replace(
        "[clinics.elm-street-pt.chargemaster]",
        'clearinghouse = "box"\n\n[clinics.elm-street-pt.chargemaster]',
    )
    text += (
        '\n[clearinghouses.box]\nhost = "sftp.example.test"\nuser = "elm"\n'
        'key_file = "/secret/elm_ed25519"\npassword_env = "ELM_SFTP_PASSWORD"\n'
    )
    config.write_text(text)
    bench = make_bench("posted", config=str(config))
    account = bench.get("/api/v1/clinics", "elm-biller").json()["clinics"][0]
    shown = json.dumps(account)
    assert account["clearinghouse_account"]["host"] == "sftp.example.test"
    assert "/secret/elm_ed25519" not in shown and "ELM_SFTP_PASSWORD" not in shown
    assert account["timezone_in_force"] == "America/Chicago"  # the company's, in the file
    with bench.signed_in("elm-biller"):
        assert "America/Chicago" in bench.client.get("/clinics").text
    # the command line shows the same configuration, masked as well
    for args in (["clinics"], ["clinics", "--json", "--clinic", A]):
        code, out = _run(bench.db, "--config", str(config), *args)
        assert code == 0 and "sftp.example.test" in out and "America/Chicago" in out
        assert "/secret/elm_ed25519" not in out and "ELM_SFTP_PASSWORD" not in out
    shown_cli = json.loads(out)["clinics"]
    assert [c["key"] for c in shown_cli] == [A] and shown_cli[0]["npi"] == "1234567893"


def test_the_cli_narrows_to_a_clinic(bench: Workbench) -> None:
    code, out = _run(bench.db, "worklist", "--json", "--clinic", B)
    items = json.loads(out)
    theirs = {c["claim_number"] for c in _claims(bench, B)}
    assert items and {i["claim_id"] for i in items if i["kind"] != "unmatched"} <= theirs
    code, out = _run(bench.db, "report", "--json", "--clinic", A)
    assert code == 0 and set(json.loads(out)["clinics"]) == {A}
    mine = _claims(bench, B)[0]["claim_number"]
    code, out = _run(bench.db, "writeoff", mine, "--reason", "x", "--clinic", A)
    assert code == 2 and f"no claim {mine!r} at {A}" in out
    code, out = _run(bench.db, "report", "--clinic", "no-such")
    assert code == 2 and "no clinic 'no-such'" in out


def _claims(bench: Workbench, clinic: str) -> list[dict]:
    return bench.get(f"/api/v1/claims?clinic={clinic}&limit=200", "manager").json()["claims"]


@pytest.mark.parametrize("action", ["grant", "revoke"])
def test_a_grant_or_revoke_without_a_clinic_is_named_on_the_admin_page(
    bench: Workbench, action: str
) -> None:
    """The admin page's clinic list starts at "-": a grant or revoke sent without choosing
    one says so (422, the clinic named), not an internal error; nothing changes."""
    before = bench.get("/api/v1/admin/users", "admin").json()["users"]
    with bench.signed_in("admin"):
        r = bench.client.post(
            "/admin/users/change",
            data={"csrf_token": bench.csrf(), "name": "viewer", "action": action, "clinic": "",
                  "role": "biller"},
            follow_redirects=False,
        )  # fmt: skip
    assert r.status_code == 422, r.text[:300]
    assert "clinic" in r.text and "no clinic was chosen" in r.text
    assert bench.get("/api/v1/admin/users", "admin").json()["users"] == before


def test_the_last_active_admin_is_kept(bench: Workbench) -> None:
    """An admin who sets their own company role to none, or disables themselves, on the admin
    page would leave the company with no one to manage users from the web (each is one
    choice in the same form as a change of any other user): the last active admin is kept,
    said as such; with a second admin the change is made."""

    def change(action: str, role: str = "") -> Any:
        return bench.client.post(
            "/admin/users/change",
            data={"csrf_token": bench.csrf(), "name": "admin", "action": action, "role": role},
            follow_redirects=False,
        )

    with bench.signed_in("admin"):
        for action, role in (("role", "none"), ("role", "manager"), ("disable", "")):
            r = change(action, role)
            assert r.status_code == 422, (action, r.text[:300])
            assert "the last active company admin" in r.text
        assert bench.client.get("/admin").status_code == 200  # still an admin
    made = bench.post("/api/v1/admin/users/manager/role", role="admin", json={"role": "admin"})
    assert made.status_code == 200, made.text
    with bench.signed_in("admin"):
        assert change("role", "none").status_code == 303
    assert bench.get("/api/v1/admin/users", "manager").status_code == 200


def test_a_refresh_after_making_a_token_makes_no_other(bench: Workbench) -> None:
    """The token form answers with a redirect (post/redirect/get): a browser's refresh of the
    page it lands on repeats the GET, not the POST, so it makes no second token. The new
    token's secret is on that page once; the refresh no longer shows it."""

    def dees_tokens() -> int:
        return len(bench.get("/api/v1/admin/tokens?user=dee", "admin").json()["tokens"])

    new = {"name": "dee", "role": "viewer", "password": "a long password", "clinics": [B]}
    assert bench.post("/api/v1/admin/users", role="admin", json=new).status_code == 201
    with bench.signed_in("admin"):
        r = bench.client.post(
            "/admin/tokens",
            data={"csrf_token": bench.csrf(), "user": "dee", "clinic": "", "expires": ""},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text[:300]
        assert "ptb_" not in r.headers["location"]  # the secret is never in the address
        landed = bench.client.get(r.headers["location"])
        assert landed.status_code == 200 and 'id="new-token">ptb_' in landed.text
        secret = landed.text.split('id="new-token">', 1)[1].split("<", 1)[0]
        assert bench.client.get("/api/v1/claims", headers=_bearer(secret)).status_code == 200
        again = bench.client.get(r.headers["location"])  # the refresh
        assert again.status_code == 200 and secret not in again.text
        assert 'id="new-token"' not in again.text
    assert dees_tokens() == 1


def _said(html: str) -> str:
    """The error block of a page."""
    return html.split('<div class="flash error"', 1)[1].split("</div>", 1)[0]


# (form, the fields posted, what the page names: the form's label of the field at fault)
ADMIN_FORM_SLIPS = [
    ("/admin/users", {"name": "ed", "role": "biller", "password": "a long password"}, "Clinics"),
    (
        "/admin/users",
        {"name": "ed", "role": "admin", "password": "a long password", "clinic": A},
        "Clinics",
    ),
    ("/admin/users", {"name": "e d", "role": "viewer", "password": "a long password"}, "Name"),
    ("/admin/users", {"name": "ed", "role": "boss", "password": "a long password"}, "Role"),
    (
        "/admin/users/change",
        {"name": "viewer", "action": "grant", "clinic": "nowhere", "role": "viewer"},
        "Clinic",
    ),  # fmt: skip
    ("/admin/users/change", {"name": "viewer", "action": "role", "role": "biller"}, "Role"),
    ("/admin/users/change", {"name": "nobody", "action": "unlock"}, "User"),
    ("/admin/tokens", {"user": "elm-biller", "clinic": B}, "Clinic"),
    ("/admin/tokens", {"user": "nobody", "clinic": ""}, "User"),
    ("/admin/tokens", {"user": "viewer", "expires": "2020-01-01"}, "Expires"),
]


@pytest.mark.parametrize(("url", "fields", "label"), ADMIN_FORM_SLIPS)
def test_admin_page_errors_name_the_form_field(
    bench: Workbench, url: str, fields: dict[str, str], label: str
) -> None:
    """A slip on the admin page is named by the field of the form the admin filled in (its
    label), never by the command line's option (--role, --clinic) or command."""
    with bench.signed_in("admin"):
        r = bench.client.post(url, data={"csrf_token": bench.csrf(), **fields})
    assert r.status_code == 422, r.text[:300]
    said = _said(r.text)
    assert re.search(rf"(>|: ){label}: ", said), said
    assert "--" not in said and "ptbill" not in said and "NAME" not in said, said


def test_admin_api_errors_name_the_body_field(bench: Workbench) -> None:
    """The API names the field of its JSON body (`clinics` of a new user, `user` of a token),
    not the command line's option; the command line keeps its options' names."""
    new = {"name": "ed", "role": "biller", "password": "a long password", "clinics": []}
    error = bench.post("/api/v1/admin/users", role="admin", json=new).json()["error"]
    assert error["field"] == "clinics" and "--" not in error["fix"], error
    token = {"user": "elm-biller", "clinic": B}
    error = bench.post("/api/v1/admin/tokens", role="admin", json=token).json()["error"]
    assert error["field"] == "clinic" and "ptbill" not in error["fix"], error
    error = bench.post("/api/v1/admin/tokens", role="admin", json={"user": "nobody"}).json()
    assert error["error"]["field"] == "user" and "ptbill" not in error["error"]["fix"], error
    code, out = _run(bench.db, "token", "create", "elm-biller", "--clinic", B)
    assert code == 2 and "--clinic" in out and "has no role at that clinic" in out
    code, out = _run(bench.db, "user", "add", "ed", "--role", "biller", "--password-stdin",
                     stdin="a long password\n")  # fmt: skip
    assert code == 2 and "--clinic" in out


def test_importing_the_accounts_hashes_no_password() -> None:
    """`ptbill show` reaches ptbill.web.accounts through the web's error types: the argon2
    hash a login of an unknown user verifies against took ~0.3 s of every such command at
    import. It is made when a server starts (or at the first login), not at import."""
    import subprocess
    import sys

    code = (
        "import argon2; calls = []; real = argon2.PasswordHasher.hash\n"
        "argon2.PasswordHasher.hash = lambda self, p, **k: calls.append(1) or real(self, p, **k)\n"
        "import ptbill.web.accounts as a\n"
        "assert calls == [], calls\n"
        "assert a.verify_password(None, 'x') is False and calls == [1]\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
