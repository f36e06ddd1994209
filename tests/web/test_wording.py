"""Messages on the pages say what to do on the pages: the buttons, not the commands; a
timely-filing item offers the write-off it advises; a payer's claim status is a word."""

from __future__ import annotations

import ast
import copy
import datetime as dt
import json
import re
from pathlib import Path

import ptbill
from ptbill.web.wording import for_web
from tests.web.conftest import MakeBench, Workbench
from tests.web.test_pages import form_csrf

# Commands with no page that does them: an admin's (reference data, users, tokens, the
# schema's upgrade and backups), a developer's, and the talks with the clearinghouse (the
# pages show their answers).
CLI_ONLY = (
    "migrate",
    "backup",
    "reference",
    "rules",
    "schema",
    "token",
    "user",
    "serve",
    "eligibility",
    "status",
    "exchange",
)


def _strings(path: Path) -> list[str]:
    """The string literals of a module, its docstrings left out."""
    tree = ast.parse(path.read_text())
    docs = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
    ]


def _commands_in_messages() -> set[str]:
    """Every `ptbill COMMAND ...` the workflow's messages name (the pages show them)."""
    root = Path(ptbill.__file__).parent
    found = set()
    for package in ("ledger", "remit", "scrub", "coding", "intake", "x12", "pricing"):
        for path in (root / package).rglob("*.py"):
            for text in _strings(path):
                for command in re.findall(r"`ptbill ([a-z][a-z-]*)", text):
                    if command not in CLI_ONLY:
                        found.add(command)
    return found


def test_every_command_a_message_names_has_its_words_on_the_pages() -> None:
    commands = _commands_in_messages()
    assert {"correct", "import", "worklist"} <= commands
    for command in commands:
        text = f"do it with `ptbill {command} V-1 --json`."
        assert "`ptbill" not in for_web(text), command
    assert for_web("import it with `ptbill reference import pfs FILE`") == (
        "import it with `ptbill reference import pfs FILE`"
    )


def test_the_denials_page_names_the_button_not_the_command(shared_bench: Workbench) -> None:
    with shared_bench.signed_in("biller"):
        html = shared_bench.client.get("/denials?kind=rejection").text
        rejected = shared_bench.get("/api/v1/claims?state=rejected&limit=1").json()["claims"][0]
        claim = shared_bench.client.get(f"/claims/{rejected['claim_number']}").text
    assert "rejected" in html
    for page in (html, claim):
        assert "ptbill correct" not in page
        assert "&#34;Corrected claim&#34; button" in page
    assert ">Corrected claim</button>" in html and ">Corrected claim</button>" in claim


def test_an_error_page_names_the_page_not_the_command(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    bench.login("biller")
    paid = bench.get("/api/v1/claims?state=blocked&limit=1").json()["claims"][0]["claim_number"]
    token = form_csrf(bench, f"/claims/{paid}", f"/claims/{paid}/writeoff")
    r = bench.client.post(f"/claims/{paid}/appeal", data={"csrf_token": token})
    assert r.status_code == 422
    assert "`ptbill" not in r.text and "move from blocked to appealed" in r.text


def test_a_timely_filing_item_offers_the_write_off_it_advises(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    visit = copy.deepcopy(
        next(
            v
            for v in bench.templates.visits
            if v["payer"] == "medicare" and not v["extensions"]["synthetic"]["mistakes"]
        )
    )
    visit["visit_id"] = "V-LATE-0001"
    late = dt.date.fromisoformat(visit["date_of_service"]) + dt.timedelta(days=400)
    r = bench.post(
        f"/api/v1/visits?as_of={late}",
        files={"file": ("late.jsonl", json.dumps(visit).encode(), "application/json")},
    )
    assert bench.job(r)["state"] == "done"
    items = bench.get("/api/v1/worklist?kind=blocked&category=timely_filing").json()["items"]
    assert ("V-LATE-0001", "write_off") in [(i["claim_id"], i["action"]) for i in items]
    bench.login("biller")
    item = next(i for i in items if i["claim_id"] == "V-LATE-0001")
    page = bench.client.get("/worklist?kind=blocked&rule=TIMELY-FILING").text
    card = page.split(f'id="item-{item["id"]}"', 1)[1].split("</tr>", 1)[0]
    assert 'action="/claims/V-LATE-0001/writeoff"' in card
    token = form_csrf(bench, "/worklist", "/claims/V-LATE-0001/writeoff")
    reason = re.search(r'name="reason" value="([^"]+)"', card).group(1)  # type: ignore[union-attr]
    assert "timely filing" in reason
    done = bench.client.post(
        "/claims/V-LATE-0001/writeoff",
        data={"csrf_token": token, "reason": reason},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert bench.get("/api/v1/claims/V-LATE-0001").json()["state"] == "closed"


def test_a_claim_payment_status_is_a_word(shared_bench: Workbench) -> None:
    remit = shared_bench.get("/api/v1/remittances/1?limit=200").json()
    statuses = {c["status"]: c["status_text"] for c in remit["claims"]}
    assert statuses["1"] == "processed as primary" and statuses["4"] == "denied"
    with shared_bench.signed_in("viewer"):
        html = shared_bench.client.get("/remittances/1").text
        denied = shared_bench.get("/api/v1/claims?state=denied&limit=1").json()["claims"][0]
        claim = shared_bench.client.get(f"/claims/{denied['claim_number']}").text
    assert "<td>denied</td>" in html and "<td>4</td>" not in html
    assert "· denied" in claim and "status 4" not in claim
