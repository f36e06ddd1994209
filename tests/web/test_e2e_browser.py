"""End to end in a real headless Chromium (Debian's chromium, driven by Playwright): the app
served by uvicorn on 127.0.0.1; a biller logs in, uploads an 835, works the queue (fixes a
blocked visit, which is scrubbed again), and produces an appeal letter. Screenshots of each
step go to out/screenshots/."""

from __future__ import annotations

import copy
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from tests.web.conftest import MakeBench, Workbench

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium "
    "chromium-driver; .ci/run installs it)",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(make_bench: MakeBench) -> Iterator[tuple[Workbench, str]]:
    """The workbench on a ledger whose 835 is not posted yet, served on a loopback port."""
    bench = make_bench("pending")
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            bench.app, host="127.0.0.1", port=port, log_level="warning", access_log=False
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield bench, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_biller_posts_an_835_fixes_a_visit_and_appeals_a_denial(
    served: tuple[Workbench, str], browser: Any, tmp_path: Path
) -> None:
    bench, base = served
    page = browser.new_page(viewport={"width": 1360, "height": 900})
    outside: list[str] = []
    page.on(
        "request",
        lambda r: (
            None if r.url.startswith(base) or r.url.startswith("data:") else outside.append(r.url)
        ),
    )
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    # Log in.
    page.goto(f"{base}/worklist")
    assert page.url.startswith(f"{base}/login")
    page.fill("input[name=username]", "biller")
    page.fill("input[name=password]", "ptbill-demo")
    _shot(page, "01-login")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/worklist")

    # Upload the payer's 835.
    remit = tmp_path / "payer.835"
    remit.write_text(bench.templates.demo.remit_835, encoding="utf-8")
    page.goto(f"{base}/remittances")
    page.set_input_files("#remit-file", str(remit))
    page.click("#upload-835 button[type=submit]")
    # The posting is a job: its page refreshes itself until the in-process worker is done.
    page.wait_for_selector("h1:has-text('Posting of an 835: payer.835')")
    page.wait_for_selector("text=Open the remittance", timeout=120_000)
    assert "did not match a claim" in page.inner_text("main")
    _shot(page, "02-remittance-posted")
    page.click("text=Open the remittance")
    page.wait_for_selector("h1:has-text('remittance payer.835')")

    # The dashboard now has decided claims to chart.
    page.goto(f"{base}/")
    assert page.locator("svg.chart").count() >= 4
    _shot(page, "03-dashboard")

    # The work queue: fix a blocked visit (an unsigned note) and scrub it again.
    page.goto(f"{base}/worklist")
    visit = next(
        v
        for v in bench.templates.visits
        if "unsigned_note" in v.get("extensions", {}).get("synthetic", {}).get("mistakes", [])
    )
    number = visit["visit_id"]
    item = next(
        i
        for i in bench.get("/api/v1/worklist?kind=blocked&limit=200").json()["items"]
        if i["claim_id"] == number
    )
    page.goto(f"{base}/worklist?kind=blocked&size=200")
    row = page.locator(f"#item-{item['id']}")
    assert "Fix:" in row.inner_text()
    _shot(page, "04-worklist")
    row.locator("text=Fix the visit and scrub again").click()
    page.wait_for_url(f"{base}/visits/{number}/edit")
    fixed = copy.deepcopy(visit)
    fixed["signed"] = {
        "by_npi": visit["rendering_provider"]["npi"],
        "date": visit["date_of_service"],
    }
    page.fill("textarea[name=visit_json]", json.dumps(fixed, indent=2))
    page.click("text=Save and scrub again")
    page.wait_for_url(f"{base}/claims/{number}?done=edited")
    assert page.locator("h1 .badge").inner_text() == "ready"
    _shot(page, "05-claim-rescrubbed")

    # Denials by category, then an appeal letter for a denied claim.
    page.goto(f"{base}/denials?kind=denial")
    _shot(page, "06-denials")
    row = page.locator("#items tbody tr", has=page.locator("text=Appeal letter")).first
    claim = row.locator("td").nth(1).locator("a").first.inner_text()
    row.locator("text=Appeal letter").click()
    page.wait_for_url(f"{base}/claims/{claim}?done=appealed")
    assert page.locator("h1 .badge").inner_text() == "appealed"
    _shot(page, "07-claim-appealed")
    letter_url = page.locator("a:has-text('read')").first.get_attribute("href")
    page.goto(f"{base}{letter_url}")
    letter = page.inner_text("body")
    assert claim in letter and "Work queue" not in letter  # the letter itself, not our page
    _shot(page, "08-appeal-letter")

    # The patient's billing status.
    page.goto(f"{base}/claims/{claim}")
    page.locator("dl.facts a").first.click()
    page.wait_for_selector("h2:has-text('Plan of care')")
    _shot(page, "09-patient")

    assert outside == [], f"the pages fetched from elsewhere: {outside}"
    assert errors == [], errors
    assert bench.get(f"/api/v1/claims/{number}").json()["audit"][-1]["who"] == "web:biller"


def test_a_biller_filters_groups_and_writes_off_a_group_from_the_page(
    served: tuple[Workbench, str], browser: Any
) -> None:
    """The work queue at work: filter it, group it by rule, write off a whole group with one
    reason, then scrub again the items ticked on a page."""
    bench, base = served
    page = browser.new_page(viewport={"width": 1360, "height": 900})
    page.on("dialog", lambda d: d.accept())  # "Apply the action...?": yes
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "biller")
    page.fill("input[name=password]", "ptbill-demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")

    # The largest group of blocked claims by rule, as the API counts it.
    groups = bench.get("/api/v1/worklist/groups?by=rule&kind=blocked").json()["groups"]
    group = max(groups, key=lambda g: (g["claims"], g["count"]))
    rule, count = group["key"]["rule"], group["count"]
    assert group["claims"] >= 2

    # Filter: blocked items of that rule.
    page.goto(f"{base}/worklist")
    page.select_option("#filters select[name=kind]", "blocked")
    page.select_option("#filters select[name=rule]", rule)
    page.click("#filters button[type=submit]")
    page.wait_for_selector(f"#selection:has-text('{count} open item(s)')")
    assert page.locator("#items tbody tr[id^=item-]").count() == count
    _shot(page, "10-worklist-filtered")

    # Grouped by rule: the group's row, its figures from the database.
    page.click("nav.tabs >> text=rule")
    page.wait_for_selector("#groups")
    row = page.locator("#groups tbody tr", has=page.locator(f"text={rule}"))
    assert row.locator("td").nth(1).inner_text() == str(count)
    _shot(page, "11-worklist-grouped")

    # Write off the whole group with one reason.
    row.locator("select[name=action]").select_option("writeoff")
    row.locator("input[name=reason]").fill("filing limit passed: written off in bulk")
    row.locator(f"button:has-text('Apply to {count}')").click()
    page.wait_for_selector("h1:has-text('Write-off:')")
    assert page.locator("h1").inner_text() == (
        f"Write-off: {group['claims']} done, 0 refused, 0 failed"
    )
    _shot(page, "12-bulk-write-off")
    numbers = [a.inner_text() for a in page.locator("#outcomes tbody tr td:nth-child(2) a").all()]
    assert len(numbers) == group["claims"]
    for n in numbers:
        claim = bench.get(f"/api/v1/claims/{n}").json()
        assert claim["state"] == "closed"
        assert claim["audit"][-2]["who"] == "web:biller"
        assert claim["audit"][-2]["why"].endswith(": filing limit passed: written off in bulk")

    # Tick every item of a page and scrub them again.
    page.goto(f"{base}/worklist?kind=blocked&size=5")
    page.check("#items thead input[data-check-all]")
    ticked = page.locator("#items tbody input[name=item]:checked").count()
    assert ticked == 5
    page.select_option("#bulk select[name=action]", "rescrub")
    page.click("#bulk button:has-text('Apply to the ticked items')")
    page.wait_for_selector("h1:has-text('Scrubbed again:')")
    assert " 0 refused, 0 failed" in page.locator("h1").inner_text()
    _shot(page, "13-bulk-rescrub")
    assert errors == [], errors


def test_acting_on_the_whole_list_asks_about_the_whole_list(
    served: tuple[Workbench, str], browser: Any
) -> None:
    """A biller who ticked two items and clicks "Apply to all N items of the list" is asked
    about all N, not "the chosen claims" (which reads as the two ticked); saying no does
    nothing."""
    bench, base = served
    page = browser.new_page()
    asked: list[str] = []

    def answer(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", answer)
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "biller")
    page.fill("input[name=password]", "ptbill-demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/worklist?kind=blocked")
    whole = bench.get("/api/v1/worklist?kind=blocked&limit=1").json()["total"]
    assert whole > 2
    boxes = page.locator("#items tbody input[name=item]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.select_option("#bulk select[name=action]", "writeoff")
    page.fill("#bulk input[name=reason]", "small balance")
    page.click(f"#bulk button:has-text('Apply to all {whole} items of the list')")
    page.click("#bulk button:has-text('Apply to the ticked items')")
    assert len(asked) == 2, asked
    assert f"all {whole} items of the list" in asked[0] and "ticked or not" in asked[0]
    assert "ticked" in asked[1] and "chosen" not in asked[1]
    assert page.url.endswith("/worklist?kind=blocked")  # dismissed: nothing was sent
    assert bench.get("/api/v1/worklist?kind=blocked&limit=1").json()["total"] == whole


def _patients(bench: Workbench, clinic: str) -> list[dict[str, Any]]:
    url = f"/api/v1/patients?clinic={clinic}&limit=200"
    return bench.get(url, role="manager").json()["patients"]


def test_each_clinics_biller_sees_only_their_clinic(
    served: tuple[Workbench, str], browser: Any
) -> None:
    """The demo's two clinics, a biller of each: each sees only their own patients and their
    own clinic's settings, and a patient of the other clinic is not found."""
    bench, base = served
    clinics = {"elm-biller": "elm-street-pt", "oak-biller": "oak-avenue-pt"}
    patients = {user: _patients(bench, key) for user, key in clinics.items()}
    for user, key in clinics.items():
        other = next(u for u in clinics if u != user)
        page = browser.new_page(viewport={"width": 1360, "height": 900})
        page.goto(f"{base}/patients")
        page.fill("input[name=username]", user)
        page.fill("input[name=password]", "ptbill-demo")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/patients")
        shown = page.inner_text("main")
        assert f"{len(patients[user])} in all" in shown or len(patients[user]) <= 50
        assert patients[user][0]["external_id"] in shown
        assert not any(p["external_id"] in shown for p in patients[other])
        _shot(page, f"10-patients-{user}")
        page.goto(f"{base}/clinics")
        settings = page.inner_text("main")
        assert key in settings and clinics[other] not in settings
        _shot(page, f"11-clinics-{user}")
        theirs = page.goto(f"{base}/patients/{patients[other][0]['id']}")
        assert theirs is not None and theirs.status == 404
        page.close()


def test_a_biller_uploads_a_271_and_sees_the_patients_eligibility(
    served: tuple[Workbench, str], browser: Any, tmp_path: Path
) -> None:
    """The patient's page asks the payer (a 270), the Payers page downloads it, and the 271
    the payer answered with, uploaded there, shows on the patient's page."""
    from ptbill.payer_sim.eligibility import EligibilitySim, answer_270

    bench, base = served
    patient = _patients(bench, "elm-street-pt")[0]
    page = browser.new_page(viewport={"width": 1360, "height": 900}, accept_downloads=True)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/patients/{patient['id']}")
    page.fill("input[name=username]", "elm-biller")
    page.fill("input[name=password]", "ptbill-demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/patients/{patient['id']}")
    assert "No eligibility answer yet" in page.inner_text("main")

    page.click("#ask-eligibility button[type=submit]")
    page.wait_for_url(f"{base}/payers?done=inquiry_written")
    row = page.locator("table.grid tbody tr").first.inner_text()
    assert "not yet" in row and "\t1\t" in row  # one inquiry: one patient, one payer
    with page.expect_download() as download:
        page.locator("a:has-text('download 270-')").first.click()
    asked = Path(download.value.path()).read_text(encoding="utf-8")
    assert asked.startswith("ISA") and "\nST*270*" in asked
    _shot(page, "10-payers-270-written")

    sim = EligibilitySim(inactive_rate=1.0, limit_rate=0, not_found_rate=0)  # coverage ended
    answer = tmp_path / "payer.271"
    answer.write_text(
        answer_270(asked, bench.app.state.config, sim, number=3, when=bench.templates.demo.as_of),
        encoding="utf-8",
    )
    page.set_input_files("#answer-file", str(answer))
    page.click("#upload-answer button[type=submit]")
    page.wait_for_selector("h1:has-text('Applied the 271 payer.271')")
    _shot(page, "11-payers-271-applied")

    page.goto(f"{base}/patients/{patient['id']}")
    eligibility = page.locator("h2:has-text('Eligibility') + form + table").inner_text()
    assert "inactive" in eligibility.split("\n")[1]
    _shot(page, "12-patient-eligibility")
    assert errors == [], errors
    checks = bench.get(f"/api/v1/patients/{patient['id']}/eligibility", role="manager").json()
    assert checks["checks"][0]["active"] is False and checks["checks"][0]["plan_end"]
    work = bench.get("/api/v1/worklist?kind=eligibility", role="manager").json()["items"]
    assert any("coverage is not active" in w["detail"] for w in work)
