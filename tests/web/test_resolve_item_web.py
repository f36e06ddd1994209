"""A work item closed by hand with a note, from the workbench: the API's POST (scoped, 403 for
a viewer, 422 naming what settles an item it refuses) and the work queue's form."""

from __future__ import annotations

import re
from typing import Any

from tests.web.conftest import Workbench


def _items(bench: Workbench, role: str, **query: str) -> list[dict[str, Any]]:
    answer = bench.get("/api/v1/worklist", role, params={"limit": "200", **query}).json()
    return answer["items"]


def test_an_item_is_closed_with_a_note_through_the_api(bench: Workbench) -> None:
    denial = next(i for i in _items(bench, "elm-biller", kind="denial") if i["closes_by_hand"])
    blocked = _items(bench, "elm-biller", kind="blocked")[0]
    assert blocked["closes_by_hand"] is False
    url = f"/api/v1/worklist/items/{denial['id']}/resolve"
    body = {"note": "payer reprocessing, call ref 88123"}
    assert bench.post(url, role="viewer", json=body).status_code == 403
    assert bench.post(url, role="oak-biller", json=body).status_code == 404  # another clinic's
    empty = bench.post(url, role="elm-biller", json={"note": ""})
    assert empty.status_code == 422, empty.text
    assert [e["field"] for e in empty.json()["errors"]] == ["note"], empty.text
    assert "/api/docs" in empty.text and "schema visit" not in empty.text
    done = bench.post(url, role="elm-biller", json=body)
    assert done.status_code == 200, done.text
    assert (
        done.json()["resolution"] == "closed by web:elm-biller: payer reprocessing, call ref 88123"
    )
    assert denial["id"] not in {i["id"] for i in _items(bench, "elm-biller", kind="denial")}
    story = bench.get(f"/api/v1/claims/{denial['claim_id']}", "elm-biller").text
    assert "call ref 88123" in story  # the claim's audit trail
    refused = bench.post(
        f"/api/v1/worklist/items/{blocked['id']}/resolve", role="elm-biller", json=body
    )
    assert refused.status_code == 422, refused.text
    assert "ptbill writeoff CLAIM" in refused.json()["error"]["fix"]


def test_the_work_queue_closes_an_item_with_a_note(bench: Workbench) -> None:
    with bench.signed_in("elm-biller"):
        page = bench.client.get("/worklist", params={"kind": "denial"}).text
        ids = re.findall(r'action="/worklist/items/(\d+)/resolve"', page)
        assert ids, page[:2000]
        blocked = bench.client.get("/worklist", params={"kind": "blocked"}).text
        assert "/resolve" not in blocked  # a blocked claim is settled by fixing or writing off
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        r = bench.client.post(
            f"/worklist/items/{ids[0]}/resolve",
            data={"csrf_token": token, "note": "appeal sent by fax", "back": "kind=denial"},
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"] == "/worklist?kind=denial&done=closed"
        shown = bench.client.get(r.headers["location"]).text
        assert "The work item was closed." in shown
        assert f"/worklist/items/{ids[0]}/resolve" not in shown
