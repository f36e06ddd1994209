"""One claim's page on a big ledger: what the workbench's claim page (and `GET
/api/v1/claims/{id}` and `/segments`) reads for one claim, against an anchor in the same run:
reading the claim's stored 837P and 835 texts alone (the least the segments view must do).

    python bench/bench_claim_page.py                # 20,000 visits, 50 claims
    python bench/bench_claim_page.py --visits 40000 --claims 100
    python bench/bench_claim_page.py --quick        # 2,000 visits

Builds a SQLite ledger (generated visits imported, submitted in one 837P, answered by the
simulated payer, posted), then times per claim: the anchor, the detail (`claim_detail`) and
the segments (`claim_segments`). Writes nothing but a temporary directory, removed at the end.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from bench_ledger import _in_child, posted_ledger  # noqa: E402


def _ms(times: list[float]) -> str:
    return f"p50 {statistics.median(times) * 1000:7.1f} ms  max {max(times) * 1000:7.1f} ms"


def measure(url: str, count: int) -> dict[str, Any]:
    from sqlalchemy import select

    from ptbill.ledger import models as m
    from ptbill.ledger.db import Ledger
    from ptbill.ledger.scope import EVERYTHING
    from ptbill.web.queries.claims import claim_detail, claim_segments

    ledger = Ledger(url, read_only=True)
    with ledger.transaction() as s:
        sent = select(m.SubmissionClaim.claim_id)
        numbers = list(
            s.scalars(select(m.Claim.claim_number).where(m.Claim.id.in_(sent)).order_by(m.Claim.id))
        )
    step = max(1, len(numbers) // count)
    picked = numbers[::step][:count]
    out: dict[str, list[float]] = {"anchor": [], "detail": [], "segments": []}
    for number in picked:
        with ledger.transaction() as s:
            t = time.perf_counter()
            claim_id = s.scalar(select(m.Claim.id).where(m.Claim.claim_number == number))
            s.scalars(
                select(m.Submission.content)
                .join(m.SubmissionClaim, m.SubmissionClaim.submission_id == m.Submission.id)
                .where(m.SubmissionClaim.claim_id == claim_id)
            ).all()
            s.scalars(
                select(m.Remittance.content)
                .join(m.Payment, m.Payment.remittance_id == m.Remittance.id)
                .join(m.ClaimPayment, m.ClaimPayment.payment_id == m.Payment.id)
                .where(m.ClaimPayment.claim_id == claim_id)
                .distinct()
            ).all()
            out["anchor"].append(time.perf_counter() - t)
        with ledger.transaction() as s:
            t = time.perf_counter()
            claim_detail(s, EVERYTHING, number)
            out["detail"].append(time.perf_counter() - t)
        with ledger.transaction() as s:
            t = time.perf_counter()
            found = claim_segments(s, EVERYTHING, number)
            out["segments"].append(time.perf_counter() - t)
            assert found["837"] and found["837"][0]["segments"], number
    return {"claims": len(numbers), **out}  # the claims sent (blocked ones have no 837P)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visits", type=int, default=20_000)
    parser.add_argument("--claims", type=int, default=50, help="claims timed")
    parser.add_argument("--quick", action="store_true", help="2,000 visits, 20 claims")
    args = parser.parse_args(argv)
    if args.quick:
        args.visits, args.claims = 2000, 20
    tmp = Path(tempfile.mkdtemp(prefix="ptbill-bench-claim-page-"))
    try:
        url, claims, remit = posted_ledger(tmp, args.visits)
        mb = (Path(claims).stat().st_size + Path(remit).stat().st_size) / 2**20
        r = _in_child(measure, url, args.claims)
        print(
            f"{args.visits:,} visits: {r['claims']:,} claims, one 837P and one 835 "
            f"({mb:.1f} MB together); {args.claims} claims timed"
        )
        for key, label in (
            ("anchor", "read the claim's 837P and 835 texts (anchor)"),
            ("detail", "claim_detail (the page's figures)"),
            ("segments", "claim_segments (its X12 segments)"),
        ):
            print(f"  {label:<46} {_ms(r[key])}")
        ratio = statistics.median(r["segments"]) / statistics.median(r["anchor"])
        print(f"  segments / anchor: {ratio:.1f}x")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
