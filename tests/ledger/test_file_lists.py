"""The workbench's lists and pages of files (837Ps sent, acknowledgements, 835s posted), and a
claim's page (and `ptbill show`), read each file's figures, never its text: a day's 837P of
35,000 claims is 20 MB, and a page of 50 of them read whole for a table of numbers. The text
is read where it is shown (a download)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event

from ptbill.config.profiles import Config
from ptbill.ledger import payer_models as pm
from ptbill.ledger.acks import apply_ack_file
from ptbill.ledger.db import Ledger
from ptbill.ledger.scope import EVERYTHING
from ptbill.payer_sim import simulate
from ptbill.web.queries import claims, files, inquiries
from tests.ledger import helpers as h


@contextmanager
def _statements(ledger: Ledger) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(ledger.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(ledger.engine, "before_cursor_execute", record)


def _selects_content(statements: list[str]) -> list[str]:
    return [s for s in statements if s.lstrip().upper().startswith("SELECT") and "content" in s]


def test_file_lists_and_pages_read_no_file_text(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    sent = h.import_and_submit(
        ledger, config, h.write_visits(tmp_path / "v.jsonl", [h.medicare_visit("V-1")])
    )
    answer = simulate(sent.text, config, received=dt.date(2025, 3, 11))
    (tmp_path / "a.277").write_text(answer.ack_277 or "")
    with ledger.transaction() as s:
        apply_ack_file(s, str(tmp_path / "a.277"), as_of=dt.date(2025, 3, 11), who=h.WHO)
    h.post_835(ledger, config, answer.remit_835 or "")
    with ledger.transaction() as s:  # a 270 written (its content: the file's text)
        s.add(
            pm.OutboundFile(
                kind="270",
                interchange_control_number=7,
                sha256="0" * 64,
                file_name="270-7.x12",
                content="ISA*...",
                created_on=h.PAID_DAY,
                item_count=0,
            )
        )
    with ledger.transaction() as s, _statements(ledger) as seen:
        assert inquiries.list_inquiries(s, EVERYTHING)["inquiries"][0]["item_count"] == 0
        sub = files.list_submissions(s, EVERYTHING)["submissions"][0]
        files.submission_detail(s, EVERYTHING, sub["id"])
        ack = files.list_acknowledgements(s, EVERYTHING)["acknowledgements"][0]
        files.acknowledgement_detail(s, EVERYTHING, ack["id"])
        remit = files.list_remittances(s, EVERYTHING)["remittances"][0]
        files.remittance_detail(s, EVERYTHING, remit["id"])
        detail = claims.claim_detail(s, EVERYTHING, "V-1")  # its page, `ptbill show`
    assert detail["submissions"] and detail["acknowledgements"] and detail["payments"]
    assert _selects_content(seen) == []
    with ledger.transaction() as s:  # the download still has the text
        name, text = files.submission_text(s, EVERYTHING, sub["id"])
    assert text == sent.text
