"""A file of another kind uploaded as a remittance or an acknowledgement is refused by naming
what it is and where the workbench takes it; nothing is changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.web.conftest import MakeBench

ACK_999 = (Path(__file__).parents[1] / "x12" / "data" / "ack_partial.999").read_bytes()


def _refused(r: Any) -> dict[str, str]:
    assert r.status_code == 422, r.text
    return r.json()["error"]


def test_an_acknowledgement_uploaded_as_a_remittance_is_named(make_bench: MakeBench) -> None:
    bench = make_bench("pending")
    r = bench.post("/api/v1/remittances", files={"file": ("a.999", ACK_999, "text/plain")})
    error = _refused(r)
    assert error["problem"] == "this is a 999 acknowledgment, not an 835 remittance"
    assert error["fix"].startswith("upload it on the Acknowledgements page")
    assert bench.get("/api/v1/remittances").json()["remittances"] == []


def test_a_remittance_or_a_claim_file_uploaded_as_an_acknowledgement_is_named(
    make_bench: MakeBench,
) -> None:
    bench = make_bench("pending")
    before = bench.get("/api/v1/acknowledgements").json()["acknowledgements"]
    remit = bench.templates.demo.remit_835.encode()
    r = bench.post("/api/v1/acknowledgements", files={"file": ("p.835", remit, "text/plain")})
    error = _refused(r)
    assert error["problem"].startswith("this is an 835 remittance, not a 999")
    assert error["fix"].startswith("upload it on the Remittances page")
    submission = bench.get("/api/v1/submissions").json()["submissions"][0]["id"]
    claims = bench.get(f"/api/v1/submissions/{submission}/837").content
    r = bench.post("/api/v1/acknowledgements", files={"file": ("c.837", claims, "text/plain")})
    error = _refused(r)
    assert error["problem"].startswith("this is an 837P professional claim")
    assert "give it the 999, 277CA or 835 that came back" in error["fix"]
    assert bench.get("/api/v1/acknowledgements").json()["acknowledgements"] == before


def test_the_page_upload_names_the_kind_too(make_bench: MakeBench) -> None:
    bench = make_bench("pending")
    bench.login("biller")
    r = bench.client.post(
        "/remittances",
        data={"csrf_token": bench.csrf()},
        files={"file": ("a.999", ACK_999, "text/plain")},
    )
    assert r.status_code == 422
    assert "this is a 999 acknowledgment, not an 835 remittance" in r.text
    assert "upload it on the Acknowledgements page" in r.text


def test_a_ta1_is_taken_as_an_acknowledgement(make_bench: MakeBench) -> None:
    bench = make_bench("pending")
    ta1 = (Path(__file__).parents[1] / "x12" / "data" / "ack_rejected_interchange.ta1").read_text()
    accepted = ta1.replace("*R*006~", "*A*000~").encode()
    r = bench.post("/api/v1/acknowledgements", files={"file": ("x.ta1", accepted, "text/plain")})
    assert r.status_code == 201, r.text
    assert (r.json()["kind"], r.json()["rejected"]) == ("TA1", [])
    # A TA1 answers a whole interchange, of no one clinic: the company's roles see it.
    assert "TA1" in {
        a["kind"]
        for a in bench.get("/api/v1/acknowledgements", role="manager").json()["acknowledgements"]
    }


def test_a_271_uploaded_as_a_remittance_names_where_the_workbench_takes_it(
    make_bench: MakeBench,
) -> None:
    from tests.payers.test_x12_payers import COB_271

    bench = make_bench("pending")
    r = bench.post("/api/v1/remittances", files={"file": ("e.271", COB_271.encode(), "text/plain")})
    error = _refused(r)
    assert error["problem"].startswith("this is a 271 eligibility response")
    assert "Payers page" in error["fix"] and "/api/v1/eligibility/responses" in error["fix"]


def test_an_acknowledgement_uploaded_again_is_said_applied_before(make_bench: MakeBench) -> None:
    """As `ptbill ack-apply` says it (exit 0): no error, the date and the record it was kept
    as, nothing changed; the page says the same words."""
    bench = make_bench("pending")
    first = bench.post("/api/v1/acknowledgements", files={"file": ("a.999", ACK_999, "text/plain")})
    assert first.status_code == 201, first.text
    listed = bench.get("/api/v1/acknowledgements").json()["acknowledgements"]
    again = bench.post("/api/v1/acknowledgements", files={"file": ("b.999", ACK_999, "text/plain")})
    assert again.status_code == 200, again.text
    kept = listed[0]
    said = f"already applied on {kept['received_on']} (acknowledgement #{kept['id']})"
    assert again.json() == {
        "file": "b.999",
        "applied": False,
        "already_applied": True,
        "applied_on": kept["received_on"],
        "acknowledgement_id": kept["id"],
        "message": f"{said}; nothing was changed",
    }
    assert bench.get("/api/v1/acknowledgements").json()["acknowledgements"] == listed
    bench.login("biller")
    r = bench.client.post(
        "/acknowledgements",
        data={"csrf_token": bench.csrf()},
        files={"file": ("c.999", ACK_999, "text/plain")},
    )
    assert r.status_code == 200 and f"{said}; nothing was changed" in r.text
    assert "error" not in r.text.lower().split("<main", 1)[-1][:2000]
