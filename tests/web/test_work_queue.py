"""The work queue at a billing company's scale, through the API and the pages: filters, groups
with their counts and amounts (checked against the items counted one by one here), and bulk
actions on a selection or a whole group -- each claim acted on in its own transaction and
audited, refused when the action does not apply, the group acted on as it was shown."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import re
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

import pytest
from sqlalchemy import select

from ptbill.ledger import models as m
from ptbill.ledger.states import State, move
from ptbill.remit.work_kinds import GROUP_BYS
from tests import work_truth as truth
from tests.web.conftest import MakeBench, Workbench

REASON = "authorization never obtained"


def _rows(bench: Workbench) -> tuple[list[truth.Row], dt.date]:
    day = dt.date.fromisoformat(bench.get("/api/v1/worklist?limit=1").json()["as_of"])
    with bench.sessions()() as s:
        return truth.open_rows(s), day


def _key(by: str, params: dict[str, str]) -> tuple[Any, ...]:
    """A group's key (as truth.KEYS makes it) from the filter that opens it."""

    def value(name: str) -> str | None:
        v = params.get(name)
        return None if v == "-" else v

    names = {
        "rule": ("kind", "rule"),
        "reason": ("kind", "category", "carc"),
        "kind": ("kind",),
        "category": ("category",),
        "payer": ("payer",),
        "clinic": ("clinic",),
    }[by]
    return tuple(value(n) for n in names)


def _figures(found: dict[str, Any]) -> tuple[int, int, Decimal, int]:
    return (found["count"], found["claims"], Decimal(found["amount"]), found["overdue"])


def _walk(bench: Workbench, query: str) -> list[dict[str, Any]]:
    items, offset = [], 0
    while offset is not None:
        page = bench.get(f"/api/v1/worklist?{query}&limit=200&offset={offset}").json()
        items += page["items"]
        offset = page["next_offset"]
    return items


def test_the_api_groups_and_filters_as_the_items_counted_one_by_one(
    shared_bench: Workbench,
) -> None:
    rows, day = _rows(shared_bench)
    for by in GROUP_BYS:
        body = shared_bench.get(f"/api/v1/worklist/groups?by={by}").json()
        expected = truth.groups(rows, by, day)
        found = {_key(by, g["filter"]): g for g in body["groups"]}
        assert set(found) == set(expected), by
        for key, g in found.items():
            want = expected[key]
            assert _figures(g) == (want["count"], want["claims"], want["amount"], want["overdue"])
            listed = _walk(shared_bench, "&".join(f"{k}={v}" for k, v in g["filter"].items()))
            assert {i["id"] for i in listed} == want["ids"], (by, key)
        assert body["total"] == len(rows)
    # A filter and its figures over every item it selects (not only the page).
    blocked = [r for r in rows if r.kind == "blocked"]
    payer = blocked[0].payer
    page = shared_bench.get(f"/api/v1/worklist?kind=blocked&payer={payer}&limit=5").json()
    want = truth.figures([r for r in blocked if r.payer == payer], day)
    assert (page["total"], page["claims"], Decimal(page["amount"]), page["overdue"]) == (
        want["count"],
        want["claims"],
        want["amount"],
        want["overdue"],
    )
    assert len(page["items"]) == min(5, want["count"])
    assert {i["payer"] for i in page["items"]} == {payer}
    overdue = _walk(shared_bench, "due=later&kind=denial")
    assert {i["id"] for i in overdue} == {
        r.id for r in rows if r.kind == "denial" and truth.due_window("later", day)(r)
    }


@pytest.mark.parametrize(
    "query",
    ["due=soon", "kind=nothing", "rule=lower-case", "carc=123456", f"payer={'x' * 65}", "by=x"],
)
def test_a_bad_filter_is_named(shared_bench: Workbench, query: str) -> None:
    r = shared_bench.get(f"/api/v1/worklist/groups?{query}")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == f"query.{query.split('=')[0]}"


def _cells(row: str) -> list[str]:
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    return [htmllib.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells]


def _money(text: str) -> Decimal:
    return Decimal(text.replace("$", "").replace(",", ""))


def test_the_page_groups_and_filters_as_the_items_counted_one_by_one(
    shared_bench: Workbench,
) -> None:
    rows, day = _rows(shared_bench)
    with shared_bench.signed_in("viewer"):
        for by in ("rule", "reason", "payer"):
            html = shared_bench.client.get(f"/worklist?view=groups&by={by}").text
            expected = truth.groups(rows, by, day)
            shown = re.findall(r'<tr id="group-\d+">(.*?)</tr>', html, re.S)
            assert len(shown) == len(expected), by
            for row in shown:
                href = re.search(r'href="/worklist\?([^"]+)"', row).group(1)  # type: ignore[union-attr]
                want = expected[_key(by, dict(parse_qsl(htmllib.unescape(href))))]
                _, count, claims, amount, overdue = _cells(row)[:5]
                assert (int(count), int(claims), _money(amount), int(overdue)) == (
                    want["count"],
                    want["claims"],
                    want["amount"],
                    want["overdue"],
                ), (by, row[:200])
            assert "Act on the whole group" not in html  # a viewer changes nothing
        # The items of one rule and payer, a page of the compact table.
        blocked = next(r for r in rows if r.rule)
        want = {r.id for r in rows if r.rule == blocked.rule and r.payer == blocked.payer}
        html = shared_bench.client.get(
            f"/worklist?kind=blocked&rule={blocked.rule}&payer={blocked.payer}&size=200"
        ).text
    assert {int(i) for i in re.findall(r'<tr id="item-(\d+)"', html)} == want
    assert f"{len(want)} open item(s)" in html
    assert 'form="bulk"' not in html


def _group_with_a_closed_claim(bench: Workbench) -> tuple[dict[str, Any], str, list[str]]:
    """A denial reason shared by several claims; one of them (partially paid) is closed, a
    legal move after which a write-off no longer applies to it (its denial item stays open).
    The group as the API shows it after that, the closed claim, and the group's claims."""
    rows, _ = _rows(bench)
    groups = bench.get("/api/v1/worklist/groups?by=reason&kind=denial").json()["groups"]
    with bench.sessions().begin() as s:
        states = dict(s.execute(select(m.Claim.claim_number, m.Claim.state)).all())
        for g in groups:
            numbers = sorted(
                {
                    r.reference
                    for r in rows
                    if truth.KEYS["reason"](r) == _key("reason", g["filter"])
                }
            )
            partial = [n for n in numbers if states[n] == State.PARTIALLY_PAID]
            if len(numbers) >= 3 and partial:
                claim = s.scalars(select(m.Claim).where(m.Claim.claim_number == partial[0])).one()
                move(s, claim, State.CLOSED, "demo", claim.created_on, "patient paid", "closing")
                break
        else:
            raise AssertionError("the demo ledger has no denial reason fit for the test")
    shown = bench.get("/api/v1/worklist/groups?by=reason&kind=denial").json()["groups"]
    return next(x for x in shown if x["filter"] == g["filter"]), partial[0], numbers


def _outstanding(bench: Workbench, numbers: list[str]) -> dict[str, Decimal]:
    out = {}
    for n in numbers:
        c = bench.get(f"/api/v1/claims/{n}").json()
        out[n] = sum(
            (
                Decimal(c[k]) * (1 if k == "charge" else -1)
                for k in ("charge", "paid", "patient_responsibility", "contractual", "written_off")
            ),
            Decimal(0),
        )
    return out


def _check_written_off(
    bench: Workbench, outcomes: dict[str, Any], closed: str, owed: dict[str, Decimal], who: str
) -> None:
    assert outcomes[closed]["outcome"] == "refused"
    assert "from closed to written_off" in outcomes[closed]["detail"]
    for n, c in outcomes.items():
        claim = bench.get(f"/api/v1/claims/{n}").json()
        if n == closed:
            assert claim["state"] == "closed" and Decimal(claim["written_off"]) == 0
            continue
        assert c["outcome"] == "done", c
        assert claim["state"] == "closed" and Decimal(claim["written_off"]) == owed[n]
        entry = next(a for a in claim["audit"] if a["to_state"] == "written_off")
        assert entry["who"] == who and entry["why"] == f"wrote off {owed[n]}: {REASON}"


def test_a_bulk_write_off_of_a_group_through_the_api(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    group, closed, numbers = _group_with_a_closed_claim(bench)
    owed = _outstanding(bench, numbers)
    body = {
        "action": "writeoff",
        "reason": REASON,
        "filter": group["filter"],
        "expect": {"count": group["count"], "version": group["version"]},
    }
    r = bench.post("/api/v1/worklist/bulk", json=body)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert (answer["done"], answer["refused"], answer["failed"]) == (len(numbers) - 1, 1, 0)
    outcomes = {c["claim_id"]: c for c in answer["claims"]}
    assert set(outcomes) == set(numbers)
    _check_written_off(bench, outcomes, closed, owed, "web:biller")
    # The same group again, as it was shown: it changed, so nothing is done.
    again = bench.post("/api/v1/worklist/bulk", json=body)
    assert again.status_code == 409 and again.json()["error"]["field"] == "version"
    # Named by id: the items done meanwhile are refused as no longer open.
    items = [i for c in answer["claims"] for i in c["items"]]
    by_id = bench.post(
        "/api/v1/worklist/bulk", json={"action": "writeoff", "reason": REASON, "items": items}
    ).json()
    refused = {c["claim_id"]: c["outcome"] for c in by_id["claims"]}
    assert by_id["done"] == 0 and refused.pop(closed) == "refused"
    assert set(refused.values()) == {"refused"}


@pytest.mark.parametrize(
    "body, problem",
    [
        ({"action": "writeoff", "reason": REASON}, "either items"),
        ({"action": "writeoff", "reason": REASON, "items": [1], "filter": {}}, "either items"),
        ({"action": "writeoff", "reason": REASON, "filter": {"kind": "blocked"}}, "expect"),
        ({"action": "writeoff", "items": [1]}, "needs a reason"),
        ({"action": "delete", "items": [1]}, "action"),
        ({"action": "correct", "items": [0]}, "greater than or equal to 1"),
        ({"action": "correct", "items": list(range(1, 20_002))}, "at most 20000"),
        ({"action": "correct", "items": [1], "filter": {"due": "soon"}}, "filter.due"),
        ({"action": "correct", "filter": {"colour": "red"}, "expect": {}}, "filter.colour"),
    ],
)
def test_a_bad_bulk_request_changes_nothing(
    shared_bench: Workbench, body: dict[str, Any], problem: str
) -> None:
    r = shared_bench.post("/api/v1/worklist/bulk", json=body)
    assert r.status_code == 422, r.text
    assert problem in r.text


def test_a_bulk_action_needs_the_role_and_the_token_of_a_single_one(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    body = {"action": "writeoff", "reason": REASON, "items": [1]}
    assert bench.post("/api/v1/worklist/bulk", role=None, json=body).status_code == 401
    assert bench.post("/api/v1/worklist/bulk", role="viewer", json=body).status_code == 403
    bench.login("biller")  # a session cookie without the X-CSRF-Token header
    assert bench.client.post("/api/v1/worklist/bulk", json=body).status_code == 403
    form = {"action": "writeoff", "reason": REASON, "target": "selected", "item": "1"}
    r = bench.client.post("/worklist/bulk", data=form)  # the page's form without its token
    assert r.status_code == 403
    bench.login("viewer")
    r = bench.client.post("/worklist/bulk", data={**form, "csrf_token": bench.csrf()})
    assert r.status_code == 403
    with bench.sessions()() as s:
        assert s.scalar(select(m.Claim.id).where(m.Claim.state == "written_off")) is None


def _form(html: str, marker: str) -> dict[str, Any]:
    """The hidden fields of the form that holds `marker`."""
    form = (
        html.split(marker, 1)[0].rsplit("<form", 1)[1]
        + html.split(marker, 1)[1].split("</form>", 1)[0]
    )
    return {
        htmllib.unescape(k): htmllib.unescape(v)
        for k, v in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form)
    }


def test_a_bulk_write_off_of_a_group_from_the_page(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    group, closed, numbers = _group_with_a_closed_claim(bench)
    owed = _outstanding(bench, numbers)
    bench.login("biller")
    query = "&".join(f"{k}={v}" for k, v in group["filter"].items())
    html = bench.client.get(f"/worklist?view=groups&by=reason&{query}").text
    fields = _form(html, f"Apply to {group['count']}</button>")
    assert fields["csrf_token"] == bench.csrf()
    assert (fields["expect_count"], fields["expect_version"]) == (
        str(group["count"]),
        group["version"],
    )
    send = {**fields, "action": "writeoff", "reason": REASON, "target": "all"}
    r = bench.client.post("/worklist/bulk", data=send)
    assert r.status_code == 200, r.text[:500]
    assert f"Write-off: {len(numbers) - 1} done, 1 refused, 0 failed" in r.text
    outcomes = {
        n: {"outcome": o, "detail": d}
        for o, n, d in re.findall(
            r'<tr class="outcome-(\w+)">.*?>([^<]+)</a>.*?'
            r'<td class="mono">[^<]*</td>\s*<td>(.*?)</td>',
            r.text,
            re.S,
        )
    }
    assert set(outcomes) == set(numbers)
    _check_written_off(bench, outcomes, closed, owed, "web:biller")
    stale = bench.client.post("/worklist/bulk", data=send)
    assert stale.status_code == 409 and "the group changed since it was shown" in stale.text


def test_ticked_items_from_the_page(make_bench: MakeBench) -> None:
    bench = make_bench("posted")
    bench.login("biller")
    html = bench.client.get("/worklist?kind=blocked").text
    fields = _form(html, 'value="selected">Apply to the ticked items</button>')
    ticked = [int(i) for i in re.findall(r'name="item" value="(\d+)" form="bulk"', html)][:2]
    numbers = {
        i["claim_id"]
        for i in bench.get("/api/v1/worklist?kind=blocked&limit=200").json()["items"]
        if i["id"] in ticked
    }
    send = {**fields, "action": "writeoff", "reason": REASON, "target": "selected", "item": ticked}
    r = bench.client.post("/worklist/bulk", data=send)
    assert r.status_code == 200 and f"Write-off: {len(numbers)} done, 0 refused" in r.text
    for n in numbers:
        assert bench.get(f"/api/v1/claims/{n}").json()["state"] == "closed"
    nothing = bench.client.post("/worklist/bulk", data={**send, "item": []})
    assert nothing.status_code == 422 and "no item is selected" in nothing.text
    # Scrubbing again from the page: the blocked claims stay blocked, each audited.
    rest = [int(i) for i in re.findall(r'name="item" value="(\d+)" form="bulk"', html)][2:4]
    again = bench.client.post(
        "/worklist/bulk", data={**fields, "action": "rescrub", "target": "selected", "item": rest}
    )
    assert again.status_code == 200 and "Scrubbed again: " in again.text
    assert "scrubbed again: blocked (blocked by" in again.text


def test_a_clinics_biller_lists_groups_and_acts_on_their_clinics_items_only(
    make_bench: MakeBench,
) -> None:
    """The work queue of the demo's two clinics: elm's biller lists, counts and groups only
    elm's items, and a bulk action naming oak's items changes nothing of oak."""
    bench = make_bench("posted")
    everything = _walk(bench, "kind=blocked")  # the company-wide view
    elm = [i for i in everything if i["clinic"] == "elm-street-pt"]
    oak = [i for i in everything if i["clinic"] == "oak-avenue-pt"]
    assert elm and oak
    mine = bench.get("/api/v1/worklist?kind=blocked&limit=200", role="elm-biller").json()
    assert mine["total"] == len(elm)
    assert {i["id"] for i in mine["items"]} == {i["id"] for i in elm}
    groups = bench.get("/api/v1/worklist/groups?by=clinic", role="elm-biller").json()["groups"]
    assert {g["key"]["clinic"] for g in groups} == {"elm-street-pt"}
    # Their clinic named as a filter is no way in either: refused as no clinic of theirs.
    named = bench.get("/api/v1/worklist?clinic=oak-avenue-pt", role="elm-biller")
    assert named.status_code == 422 and "oak" not in named.json()["error"]["fix"]
    page = bench.get("/worklist", role="elm-biller").text
    assert "oak-avenue-pt" not in page and "elm-street-pt" in page
    # Oak's items by id, acted on by elm's biller: unknown to them, nothing changed.
    ids = [i["id"] for i in oak[:3]]
    body = {"action": "writeoff", "reason": REASON, "items": ids}
    answer = bench.post("/api/v1/worklist/bulk", role="elm-biller", json=body).json()
    assert (answer["done"], answer["refused"]) == (0, len(ids))
    assert all("not open" in c["detail"] for c in answer["claims"])
    for item in oak[:3]:
        claim = bench.get(f"/api/v1/claims/{item['claim_id']}").json()
        assert claim["state"] != "closed"


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("payer=medicar", "no payer profile 'medicar'"),
        ("since=2025-03-10&until=2025-03-01", "2025-03-10 is after until 2025-03-01"),
    ],
)
def test_a_filter_that_can_select_nothing_is_refused(
    shared_bench: Workbench, query: str, problem: str
) -> None:
    """As `ptbill worklist` refuses them (exit 2): a payer no profile knows, or a since after
    the until, listed nothing as if there were no work."""
    for path in ("/api/v1/worklist", "/api/v1/worklist/groups"):
        r = shared_bench.get(f"{path}?{query}")
        assert r.status_code == 422, r.text
        assert r.json()["error"]["problem"].startswith(problem)
    assert shared_bench.get("/api/v1/worklist?payer=medicare").status_code == 200


def test_a_clinic_filter_naming_no_clinic_of_the_user_is_refused(shared_bench: Workbench) -> None:
    """`clinic=nowhere` listed nothing (200, 0 items) where `ptbill worklist --clinic nowhere`
    refuses it: refused (422), the fix naming the clinics the user sees, and only those (a
    clinic's biller is not told the other clinics' keys)."""
    r = shared_bench.get("/api/v1/worklist?clinic=nowhere", role="manager")
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["problem"] == "no clinic 'nowhere'"
    assert error["fix"] == "use one of: elm-street-pt, oak-avenue-pt ('-': the items of no clinic)"
    r = shared_bench.get("/api/v1/worklist/groups?clinic=oak-avenue-pt", role="elm-biller")
    assert r.status_code == 422, r.text
    assert r.json()["error"]["fix"] == "use one of: elm-street-pt ('-': the items of no clinic)"
    assert shared_bench.get("/api/v1/worklist?clinic=-", role="manager").status_code == 200
    mine = shared_bench.get("/api/v1/worklist?clinic=elm-street-pt", role="elm-biller")
    assert mine.status_code == 200 and mine.json()["total"] > 0


def test_an_empty_selection_says_its_amount_with_two_places(shared_bench: Workbench) -> None:
    """Money in the answers has its two places (as every amount of the worklist): an empty
    selection's amount at stake is "0.00", not a bare "0" beside "49798.20"."""
    r = shared_bench.get("/api/v1/worklist?since=2099-01-01")
    assert r.status_code == 200 and r.json()["total"] == 0
    assert r.json()["amount"] == "0.00"


def test_a_page_past_the_last_is_not_said_to_have_nothing_open(shared_bench: Workbench) -> None:
    """After a bulk write-off, 'Back to the work queue' (or a bookmark) may open a page that
    no longer exists: it said 'Nothing open.' above a header counting the open items."""
    page = shared_bench.get("/worklist?page=999", role="manager").text
    assert "Nothing open" not in page
    assert "No item on page 999" in page and 'href="/worklist?size=' in page
    # The business date's tooltip says what the default is: today, not the data's last date.
    assert "the latest date in the data" not in page
    assert "default: today in the company's time zone" in page


def _way_back(html: str) -> dict[str, str]:
    """The query of the answer's "Back to the work queue" link."""
    back = re.search(r'<a href="(/worklist[^"]*)">Back to the work queue', html)
    assert back is not None
    return dict(parse_qsl(htmllib.unescape(back.group(1)).split("?", 1)[1]))


def test_back_to_the_work_queue_after_a_group_action_is_the_view_it_was_sent_from(
    make_bench: MakeBench,
) -> None:
    """A group acted on from the grouped view: the way back is that view with the list's own
    filters (not the items of the group just acted on); from a page of the table, its
    filters and page size."""
    bench = make_bench("posted")
    bench.login("biller")
    html = bench.client.get("/worklist?view=groups&by=rule&kind=blocked").text
    fields = _form(html, 'id="group-1"')
    assert fields["rule"]  # the group's form narrows to its rule
    send = {**fields, "action": "rescrub", "target": "all"}
    r = bench.client.post("/worklist/bulk", data=send)
    assert r.status_code == 200, r.text[:500]
    assert _way_back(r.text) == {
        "view": "groups",
        "by": "rule",
        "kind": "blocked",
    }
    html = bench.client.get("/worklist?kind=blocked&size=2&page=2").text
    fields = _form(html, 'value="selected">Apply to the ticked items</button>')
    ticked = re.findall(r'name="item" value="(\d+)" form="bulk"', html)[:1]
    r = bench.client.post(
        "/worklist/bulk", data={**fields, "action": "rescrub", "target": "selected", "item": ticked}
    )
    assert _way_back(r.text) == {
        "kind": "blocked",
        "size": "2",
        "page": "2",
    }


def test_a_rule_with_nothing_open_stays_chosen_in_the_filter(shared_bench: Workbench) -> None:
    """The rule list offers the rules that hold open items; a rule whose items were all done
    (a group written off, then 'Back to the work queue') is still the filter in use: shown
    chosen, so that the list, said to be empty for these filters, and the form agree, and
    filtering again keeps it."""
    with shared_bench.signed_in("biller"):
        html = shared_bench.client.get("/worklist?kind=blocked&rule=NO-SUCH-RULE").text
    rules = html.split('name="rule"', 1)[1].split("</select>", 1)[0]
    assert re.search(r'<option value="NO-SUCH-RULE" selected>', rules), rules[:300]
    assert "Nothing open for these filters" in html
    # So do the groups of no payer and of no clinic ("-", what their groups open).
    with shared_bench.signed_in("manager"):
        html = shared_bench.client.get("/worklist?payer=-&clinic=-").text
    for name in ("payer", "clinic"):
        listed = html.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
        assert re.search(r'<option value="-" selected>', listed), (name, listed[:300])


def test_a_write_off_from_a_row_of_the_queue_returns_to_the_queue_as_it_was(
    make_bench: MakeBench,
) -> None:
    """The row's own Write off button (an item that advises it): the biller comes back to
    the work queue with its filters and page, told it was written off, not to the claim's
    page (a queue worked row by row lost its place at every claim)."""
    bench = make_bench("posted")
    bench.login("biller")
    advised = [
        i
        for i in bench.get("/api/v1/worklist?limit=200").json()["items"]
        if i["action"] == "write_off"
    ]
    assert advised, "the demo ledger has an item that advises a write-off"
    item = advised[0]
    query = f"kind={item['kind']}&payer={item['payer']}&size=1"
    ids = [i["id"] for i in _walk(bench, query.replace("&size=1", ""))]
    page = ids.index(item["id"]) + 1
    html = bench.client.get(f"/worklist?{query}&page={page}").text
    action = f"/claims/{item['claim_id']}/writeoff"
    fields = _form(html, f'action="{action}"')
    r = bench.client.post(action, data=fields, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    path, _, back = r.headers["location"].partition("?")
    assert path == "/worklist"
    paged = {"page": str(page)} if page > 1 else {}
    assert dict(parse_qsl(back)) == {
        "kind": item["kind"],
        "payer": item["payer"],
        "size": "1",
        **paged,
        "done": "written_off",
    }
    assert bench.get(f"/api/v1/claims/{item['claim_id']}").json()["state"] == "closed"
    # Sent back anywhere but the work queue, the answer is the claim's page.
    fields["back"] = "https://elsewhere.example/"
    other = advised[1] if len(advised) > 1 else None
    if other is not None and other["claim_id"] != item["claim_id"]:
        r = bench.client.post(
            f"/claims/{other['claim_id']}/writeoff", data=fields, follow_redirects=False
        )
        assert r.headers["location"].startswith(f"/claims/{other['claim_id']}?")
