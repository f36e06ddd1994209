"""`make demo`, last step: one exchange cycle through a local mailbox (out/demo/mailbox).

The claims of the loop were answered already (its 837P counts as sent), so the cycle sends
what is new: a 270 for the patients of the demo's latest day, and a 276 for claims the payer
has left unanswered past its window. The simulated payer answers (271, 277) into the mailbox,
and a second run takes the answers in and applies them, each file once.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from ptbill.config import load_config
from ptbill.config.profiles import Clearinghouse
from ptbill.exchange.run import run_exchange
from ptbill.ledger import models as m
from ptbill.ledger import payer_models as pm
from ptbill.ledger.claim_status import request as status_request
from ptbill.ledger.db import Ledger
from ptbill.ledger.eligibility import ledger_visits
from ptbill.ledger.eligibility import request as eligibility_request
from ptbill.payer_sim.mailbox import serve

WHO = "demo"


def exchange_cycle(db_url: str, out: Path, as_of: dt.date) -> dict[str, Any]:
    """Run the cycle on the demo ledger; returns the two runs' summaries and what was asked."""
    root = out / "mailbox"
    house = Clearinghouse(name="demo clearinghouse", local=str(root))
    config = load_config(None).model_copy(update={"clearinghouses": {"demo": house}})
    with Ledger(db_url) as ledger:
        with ledger.transaction() as s:
            for sub in s.scalars(select(m.Submission)):  # the loop's 837P: sent and answered
                s.add(
                    pm.Upload(
                        sha256=sub.sha256,
                        kind="837",
                        source_id=sub.id,
                        remote_name=sub.file_name[-300:],
                        uploaded_on=sub.created_on,
                    )
                )
            day = s.scalar(select(func.max(m.Visit.date_of_service)))
            assert day is not None, "the demo loop imported no visit"
            asked = eligibility_request(
                s, config, ledger_visits(s, day), as_of=as_of, file_name="eligibility.270"
            )
            status = status_request(s, config, as_of=as_of, file_name="status.276")
        sent = run_exchange(ledger, config, as_of=as_of, who=WHO)
        served = serve(root, house, config, received=as_of)
        taken = run_exchange(ledger, config, as_of=as_of, who=WHO)
    return {
        "eligibility_day": day,
        "inquiries": len(asked.items),
        "status_requests": len(status.items),
        "sent": sent,
        "served": served,
        "taken": taken,
    }
