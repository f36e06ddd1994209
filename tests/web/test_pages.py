"""The server-rendered pages: login and sessions, CSRF on forms, roles, and what each page
shows (rendered by the app, every asset served by it)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import MakeBench, Workbench

PAGES = [
    "/",
    "/worklist",
    "/denials",
    "/claims",
    "/claims?state=denied",
    "/patients",
    "/submissions",
    "/remittances",
    "/remittances/1",
    "/submissions/1",
    "/export",
    "/api/docs",
]


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def form_csrf(bench: Workbench, url: str, action: str) -> str:
    """The CSRF token inside the page's own form that posts to `action` (what a browser
    sends), failing when the form has none."""
    html = bench.client.get(url).text
    form = html.split(f'action="{action}"', 1)[1].split("</form>", 1)[0]
    token = _csrf(form)
    assert token == bench.csrf(), "the form's token is the session's"
    return token


def test_pages_send_an_anonymous_visitor_to_the_login_form(shared_bench: Workbench) -> None:
    r = shared_bench.client.get("/worklist?kind=x", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=%2Fworklist%3Fkind%3Dx"
    form = shared_bench.client.get(r.headers["location"])
    assert form.status_code == 200 and 'name="password"' in form.text


def test_the_dashboard_rolls_up_by_clinic_for_company_wide_roles(shared_bench: Workbench) -> None:
    """The dashboard's figures are the report's (`GET /api/v1/reports`); the table by clinic
    is a company-wide role's, the only one it is computed for, with each clinic's collections
    and net collection rate (they add up to the whole's, less a PLB of no clinic); a clinic's
    user gets its row alone from the API."""
    from decimal import Decimal

    from ptbill.web.rendering import money, percent

    for user, rolled_up in (("manager", True), ("biller", False), ("elm-biller", False)):
        report = shared_bench.get("/api/v1/reports", user).json()
        page = shared_bench.get("/", user).text
        assert f"of {report['claims_decided']} decided claims" in page
        for key, p in report["payers"].items():
            assert f'<td>{key}</td><td class="num">{p["claims_submitted"]}</td>' in page
        assert ("<h2>By clinic</h2>" in page) is rolled_up, user
        if user == "elm-biller":
            assert list(report["clinics"]) == ["elm-street-pt"]
        if rolled_up:
            assert len(report["clinics"]) == 2
            table = page.split('id="by-clinic"', 1)[1].split("</table>", 1)[0]
            for key, c in report["clinics"].items():
                assert f'<td>{key}</td><td class="num">{c["claims_submitted"]}</td>' in page
                row = table.split(f"<td>{key}</td>", 1)[1].split("</tr>", 1)[0]
                assert re.findall(r'<td class="num">([^<]*)</td>', row)[-5:] == [
                    money(Decimal(c["collections_total"])),
                    money(Decimal(c["provider_adjustments"])),
                    money(Decimal(c["payer_refunds"])),
                    money(Decimal(c["collections_from_patients"])),
                    percent(Decimal(c["net_collection_rate"])),
                ]
            each = sum((Decimal(c["collections_total"]) for c in report["clinics"].values()), 0)
            no_clinic = Decimal(report["provider_adjustments_of_no_clinic"])
            assert each - no_clinic == Decimal(report["collections_total"]) > 0


def test_the_dashboard_shows_the_patients_money_beside_the_insurance_ar(
    shared_bench: Workbench,
) -> None:
    """Issue #18's report on the dashboard, as `ptbill report` prints it: patient A/R and its
    aging beside insurance A/R, collections by payer and from patients, and the net
    collection rate -- the report's figures (`GET /api/v1/reports`)."""
    from decimal import Decimal

    from ptbill.web.rendering import money, percent

    report = shared_bench.get("/api/v1/reports", "biller").json()
    page = shared_bench.get("/", "biller").text
    table = page.split('id="ar-by-whom"', 1)[1].split("</table>", 1)[0]
    patients = table.split("<td>patients</td>", 1)[1].split("</tr>", 1)[0]
    insurance = table.split("<td>insurance</td>", 1)[1].split("</tr>", 1)[0]
    for row, total, aging in (
        (patients, "patient_ar_total", "patient_ar_aging"),
        (insurance, "ar_total", "ar_aging"),
    ):
        cells = [money(Decimal(report[total]))]
        cells += [money(Decimal(v)) for v in report[aging].values()]
        assert re.findall(r'<td class="num">([^<]*)</td>', row)[:6] == cells, row
    assert Decimal(report["patient_ar_total"]) > 0
    collections = page.split('id="collections-by-payer"', 1)[1].split("</p>", 1)[0]
    for payer, amount in report["collections_by_payer"].items():
        assert f"{payer} {money(Decimal(amount))}" in collections
    from_patients = sum((Decimal(v) for v in report["collections_by_patient"].values()), Decimal(0))
    assert f"patients {money(from_patients)}" in collections
    assert f"net collection rate {percent(Decimal(report['net_collection_rate']))}" in page


def test_login_sets_a_protected_session_cookie_and_logout_ends_it(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    r = bench.login("viewer")
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    assert "ptbill_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # off by default (plain HTTP on 127.0.0.1)
    assert bench.client.get("/").status_code == 200
    logout = bench.client.post("/logout", data={"csrf_token": bench.csrf()}, follow_redirects=False)
    assert logout.status_code == 303
    assert bench.client.get("/", follow_redirects=False).status_code == 303


def test_the_secure_flag_when_configured(make_bench: MakeBench) -> None:
    bench = make_bench("posted", secure_cookies=True)
    assert "Secure" in bench.client.get("/login").headers["set-cookie"]
    # The test client speaks plain HTTP and would not send a Secure cookie back; the flag on
    # the session cookie is what matters.
    assert "Secure" in bench.login("viewer").headers["set-cookie"]


def test_a_wrong_password_or_a_forged_login_form_is_refused(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    wrong = bench.login("biller", password="not-the-password")
    assert wrong.status_code == 401 and "Wrong user name or password" in wrong.text
    assert "set-cookie" not in wrong.headers or "ptbill_session" not in wrong.headers["set-cookie"]
    forged = bench.client.post(
        "/login", data={"username": "biller", "password": "x" * 11, "csrf_token": "forged"}
    )
    assert forged.status_code == 403


def test_login_never_redirects_off_site(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    form = bench.client.get("/login?next=//evil.example/")
    r = bench.client.post(
        "/login",
        data={
            "username": "viewer",
            "password": "ptbill-demo",
            "csrf_token": _csrf(form.text),
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/"


@pytest.mark.parametrize("url", PAGES)
def test_every_page_renders_with_only_its_own_assets(make_bench: MakeBench, url: str) -> None:
    bench = make_bench("posted")
    bench.login("viewer")
    r = bench.client.get(url)
    assert r.status_code == 200, r.text[:500]
    html = r.text
    if url != "/api/docs":
        assert "as of 2026-" in html  # the business date in the header, never the clock
    for ref in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert not re.match(r"(https?:)?//", ref), f"{url} loads {ref} from elsewhere"
        if ref.startswith("/static/"):
            assert bench.client.get(ref).status_code == 200, ref


def test_the_claim_page_shows_lines_findings_audit_and_segments(shared_bench: Workbench) -> None:
    shared_bench.login("viewer")
    denied = shared_bench.get("/api/v1/claims?state=denied&limit=1").json()["claims"][0]
    html = shared_bench.client.get(f"/claims/{denied['claim_number']}").text
    claim = shared_bench.get(f"/api/v1/claims/{denied['claim_number']}").json()
    for line in claim["lines"]:
        assert line["code"] in html
        for why in line["units_explanation"]:
            assert why.replace("'", "&#39;").replace('"', "&#34;") in html
    assert f"CLM*{denied['claim_number']}*" in html  # the 837 loop
    assert f"CLP*{denied['claim_number']}*" in html  # the 835 claim payment
    assert "Audit trail" in html and "demo" in html
    # A viewer sees no action buttons.
    assert f'action="/claims/{denied["claim_number"]}/appeal"' not in html


def test_the_work_queue_lists_each_blocked_item_with_its_finding_and_fix(
    shared_bench: Workbench,
) -> None:
    shared_bench.login("biller")
    items = shared_bench.get("/api/v1/worklist?kind=blocked&limit=200").json()["items"]
    assert items
    html = ""
    for page in range(1, len(items) // 25 + 2):
        html += shared_bench.client.get(f"/worklist?kind=blocked&size=25&page={page}").text
    for item in items:
        number = item["claim_id"]
        assert html.count(f'id="item-{item["id"]}"') == 1, item["id"]
        row = html.split(f'id="item-{item["id"]}"', 1)[1].split("</tr>", 1)[0]
        assert f'href="/visits/{number}/edit"' in row and item["rule"] in row
        assert f'value="{item["id"]}" form="bulk"' in row  # a box for the bulk actions
    claim = shared_bench.get(f"/api/v1/claims/{items[0]['claim_id']}").json()
    for f in claim["findings"]:
        if f["severity"] == "error":
            assert f["fix"].replace("'", "&#39;").replace('"', "&#34;") in html


def test_a_viewer_cannot_post_any_form(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    bench.login("viewer")
    csrf = bench.csrf()
    number = bench.get("/api/v1/claims?state=denied&limit=1").json()["claims"][0]["claim_number"]
    for url, data in (
        (f"/claims/{number}/appeal", {}),
        (f"/claims/{number}/writeoff", {"reason": "x"}),
        ("/submissions", {}),
    ):
        r = bench.client.post(url, data={"csrf_token": csrf, **data})
        assert r.status_code == 403, url
        assert "viewer role cannot change anything" in r.text
    assert bench.get(f"/api/v1/claims/{number}").json()["state"] == "denied"


def test_a_form_without_its_csrf_token_is_refused(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    bench.login("biller")
    number = bench.get("/api/v1/claims?state=denied&limit=1").json()["claims"][0]["claim_number"]
    r = bench.client.post(f"/claims/{number}/writeoff", data={"reason": "x"})
    assert r.status_code == 403 and "security token" in r.text
    r = bench.client.post(f"/claims/{number}/writeoff", data={"reason": "x", "csrf_token": "guess"})
    assert r.status_code == 403
    assert bench.get(f"/api/v1/claims/{number}").json()["state"] == "denied"
    token = form_csrf(bench, f"/claims/{number}", f"/claims/{number}/writeoff")
    ok = bench.client.post(
        f"/claims/{number}/writeoff",
        data={"reason": "small balance", "csrf_token": token},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert bench.get(f"/api/v1/claims/{number}").json()["state"] == "closed"


def test_every_form_that_posts_carries_the_sessions_csrf_token(make_bench: MakeBench) -> None:
    """What a browser sends is the form's own hidden field: a form rendered without it (a
    template that imports the macro without its context) is refused on every click."""
    bench = make_bench("posted")
    bench.login("admin")
    token = bench.csrf()
    number = bench.get("/api/v1/claims?state=denied&limit=1").json()["claims"][0]["claim_number"]
    pages = [*PAGES, "/admin", "/worklist?view=groups", f"/claims/{number}", "/payers"]
    for url in pages:
        html = bench.client.get(url).text
        for form in re.findall(r'<form[^>]*method="post".*?</form>', html, re.S):
            assert _csrf(form) == token, (url, form[:120])
    r = bench.client.post(
        "/admin/tokens",
        data={"csrf_token": form_csrf(bench, "/admin", "/admin/tokens"), "user": "viewer"},
    )
    assert r.status_code == 200 and 'id="new-token">ptb_' in r.text


def test_uploading_a_bad_835_shows_the_problem_and_posts_nothing(make_bench: MakeBench) -> None:
    bench = make_bench("pending")
    bench.login("biller")
    token = form_csrf(bench, "/remittances", "/remittances")
    r = bench.client.post(
        "/remittances",
        data={"csrf_token": token},
        files={"file": ("x.835", b"ISA*garbage~", "text/plain")},
    )
    page = bench.job_page(r)
    assert "The job failed" in page.text
    assert "x.835" in page.text and "Fix" in page.text
    assert bench.get("/api/v1/remittances").json()["total"] == 0


def _upload_835(bench: Workbench, name: str, x12: str) -> Any:
    """The Remittances page's upload form, sent as a browser sends it."""
    token = form_csrf(bench, "/remittances", "/remittances")
    return bench.client.post(
        "/remittances",
        data={"csrf_token": token},
        files={"file": (name, x12.encode(), "text/plain")},
    )


def test_uploading_an_835_shows_what_posted_and_what_did_not_match(make_bench: MakeBench) -> None:
    bench = make_bench("pending")
    bench.login("biller")
    remit = bench.templates.demo.remit_835
    # A claim payment for a claim the ledger never sent: it cannot match.
    first = remit[remit.index("CLP*") :].split("*", 2)[1]
    # Its CLP01 and its lines' control numbers (REF*6R) both name no claim of ours.
    stranger = remit.replace(first, "V-NOT-OURS")
    page = bench.job_page(_upload_835(bench, "payer.835", stranger))
    assert "Posting of an 835: payer.835" in page.text
    assert "V-NOT-OURS" in page.text and "did not match a claim" in page.text
    unmatched = bench.get("/api/v1/worklist?kind=unmatched").json()["items"]
    assert [i["claim_id"] for i in unmatched] == ["V-NOT-OURS"]


def test_collections_by_month_are_what_the_report_counts_paid_on_claims(
    make_bench: MakeBench,
) -> None:
    """A payment that matched no claim is the report's `unmatched_paid`, not its paid total;
    the collections by month (the dashboard's chart, "payers paid on claims") add up to the
    paid total, not to the paid total and the unmatched payment as well."""
    from decimal import Decimal

    bench = make_bench("pending")
    bench.login("biller")
    remit = bench.templates.demo.remit_835
    first = remit[remit.index("CLP*") :].split("*", 2)[1]
    bench.job_page(_upload_835(bench, "payer.835", remit.replace(first, "V-NOT-OURS")))
    report = bench.get("/api/v1/reports").json()
    assert Decimal(report["unmatched_paid"]) > 0
    months = bench.get("/api/v1/reports/collections").json()["months"]
    assert sum(Decimal(m["paid"]) for m in months) == Decimal(report["paid_total"])


def test_uploading_an_835_posted_before_in_other_bytes_posts_nothing(
    make_bench: MakeBench,
) -> None:
    bench = make_bench("posted")  # the demo's 835 posted as demo-1.835
    bench.login("biller")
    before = bench.get("/api/v1/remittances").json()["total"]
    r = _upload_835(bench, "resaved.835", bench.templates.demo.remit_835.replace("~", "~\r\n"))
    page = bench.job_page(r).text
    assert "Nothing new: every payment of resaved.835 was posted before" in page
    assert "already posted on" in page and "its remittance" in page
    assert bench.get("/api/v1/remittances").json()["total"] == before


def test_editing_a_visit_with_an_error_keeps_the_text_and_saves_nothing(
    make_bench: MakeBench,
) -> None:
    bench = make_bench("posted")
    bench.login("biller")
    number = bench.get("/api/v1/claims?state=blocked&limit=1").json()["claims"][0]["claim_number"]
    form = bench.client.get(f"/visits/{number}/edit")
    assert form.status_code == 200 and "visit_json" in form.text
    token = form_csrf(bench, f"/visits/{number}/edit", f"/visits/{number}/edit")
    r = bench.client.post(
        f"/visits/{number}/edit", data={"csrf_token": token, "visit_json": '{"visit_id": 1'}
    )
    assert r.status_code == 422
    assert "not valid JSON" in r.text and "Nothing was saved" in r.text
    assert bench.get(f"/api/v1/claims/{number}").json()["state"] == "blocked"


def test_pages_carry_security_headers_and_are_not_cached(shared_bench: Workbench) -> None:
    shared_bench.login("viewer")
    page = shared_bench.client.get("/claims")
    assert page.headers["cache-control"] == "no-store"  # patient data stays off disk caches
    assert page.headers["x-frame-options"] == "DENY"
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'self'
    assert "default-src 'self'" in page.headers["content-security-policy"]
    api = shared_bench.get("/api/v1/claims")
    assert api.headers["cache-control"] == "no-store"
    asset = shared_bench.client.get("/static/app.css")
    assert "cache-control" not in asset.headers


def test_an_empty_ledger_renders_every_page(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from ptbill.demo.workbench import DEMO_PASSWORD, ensure_demo_users
    from ptbill.web import WebSettings, create_app

    app = create_app(WebSettings(db=f"sqlite:///{tmp_path / 'empty.db'}"))
    try:
        ensure_demo_users(app.state.sessions)
        client = TestClient(app)
        form = client.get("/login").text
        client.post(
            "/login",
            data={"username": "viewer", "password": DEMO_PASSWORD, "csrf_token": _csrf(form)},
        )
        for url in [u for u in PAGES if not u[-1].isdigit()]:
            r = client.get(url)
            assert r.status_code == 200, (url, r.text[:300])
        assert "The ledger is empty" in client.get("/").text
        body = client.get("/api/v1/reports", headers={"Authorization": "Bearer x"})
        assert body.status_code == 401
    finally:
        app.state.db.dispose()
