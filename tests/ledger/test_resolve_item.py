"""A person closes a work item by hand, with a note, for what was done outside ptbill
(ptbill.ledger.work_items.close_by_hand, `ptbill resolve`): the items no command settles
close; a blocked claim's, or money still owed, are refused naming the command that settles
them; all or nothing."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from ptbill.cli.main import cli
from ptbill.config.profiles import Config
from ptbill.errors import InputError
from ptbill.ledger import models as m
from ptbill.ledger.db import Ledger
from ptbill.ledger.scope import Scope
from ptbill.ledger.work_items import close_by_hand
from tests.ledger import helpers as h

D = Decimal
EVERY = Scope()


@pytest.fixture
def items(ledger: Ledger, config: Config, tmp_path: Path) -> dict[str, int]:
    """V-1 paid (A1), then the same decision again in a payment of another trace: recorded,
    not applied, a refund item of no claim; V-2 paid, then again by another decision (A9): a
    refund item of its claim; V-3 denied CO-50: a denial; V-4 blocked (its plan of care ended
    before the visit)."""
    expired = {**h.medicare_visit("V-4")["episode"]}
    expired["plan_of_care"] = {**expired["plan_of_care"], "end_date": "2025-02-28"}
    visits = [
        h.medicare_visit("V-1"),
        h.medicare_visit("V-2", patient="P-2"),
        h.medicare_visit("V-3", patient="P-3"),
        h.medicare_visit("V-4", patient="P-4", episode=expired),
    ]
    sent = h.sim_claims(
        h.import_and_submit(ledger, config, h.write_visits(tmp_path / "v.jsonl", visits)).text
    )
    v1, v2, v3 = sent["V-1"], sent["V-2"], sent["V-3"]
    denied = [h.denied(x, "CO", "50", "N115") for x in v3.lines]
    first = [
        h.decision(v1, h.paid_in_full(v1), icn="A1"),
        h.decision(v2, h.paid_in_full(v2), icn="B1"),
        h.decision(v3, denied, icn="C1"),
    ]
    h.post_835(ledger, config, h.remit_of(first, number=1))
    h.post_835(ledger, config, h.remit_of([first[0]], number=2), "again.835")
    twice = [h.paid(x, x.charge) for x in v2.lines]
    h.post_835(ledger, config, h.remit_of([h.decision(v2, twice, icn="B9")], number=3), "b.835")
    with ledger.transaction() as s:
        found = {(w.reference, w.kind, w.claim_id is None): w.id for w in h.open_items(s)}
    return {
        "repeat": found[("V-1", "refund", True)],
        "owed": found[("V-2", "refund", False)],
        "denial": found[("V-3", "denial", False)],
        "blocked": next(
            i for (ref, kind, _), i in found.items() if (ref, kind) == ("V-4", "blocked")
        ),
    }


def _close(
    ledger: Ledger, item: int, note: str = "returned by check 1043", scope: Scope = EVERY
) -> m.WorkItem:
    with ledger.transaction() as s:
        done = close_by_hand(s, item, scope, note=note, on=h.PAID_DAY, who=h.WHO)
        s.commit()
        return done


def _status(ledger: Ledger, item: int) -> tuple[str, str | None]:
    with ledger.transaction() as s:
        w = s.get(m.WorkItem, item)
        assert w is not None
        return w.status, w.resolution


def test_a_repeat_payment_returned_is_closed_with_its_note(
    ledger: Ledger, items: dict[str, int]
) -> None:
    with ledger.transaction() as s:
        audits = len(s.scalars(select(m.AuditEntry)).all())
    _close(ledger, items["repeat"], "  returned   by check 1043 ")
    assert _status(ledger, items["repeat"]) == (
        "done",
        f"closed by {h.WHO}: returned by check 1043",
    )
    with ledger.transaction() as s:  # of no claim: nothing for a claim's audit trail
        assert len(s.scalars(select(m.AuditEntry)).all()) == audits
    # The same close again is answered as done; another is refused, naming when and why.
    _close(ledger, items["repeat"], "returned by check 1043")
    with pytest.raises(InputError, match=f"closed on {h.PAID_DAY}: closed by"):
        _close(ledger, items["repeat"], "something else")


def test_a_claims_item_closed_by_hand_is_in_its_audit_trail(
    ledger: Ledger, items: dict[str, int]
) -> None:
    _close(ledger, items["denial"], "payer reprocessing, call ref 88123")
    assert _status(ledger, items["denial"])[0] == "done"
    with ledger.transaction() as s:
        claim = h.claim(s, "V-3")
        (entry,) = s.scalars(
            select(m.AuditEntry).where(
                m.AuditEntry.claim_id == claim.id, m.AuditEntry.why.like("%88123%")
            )
        )
        assert (entry.from_state, entry.to_state, entry.who) == (claim.state, claim.state, h.WHO)
        assert claim.state == "denied"  # the claim itself is as it was


@pytest.mark.parametrize(
    ("which", "command"),
    [("blocked", "ptbill writeoff CLAIM"), ("owed", "ptbill payer-refund CLAIM AMOUNT")],
)
def test_what_a_command_settles_is_refused(
    ledger: Ledger, items: dict[str, int], which: str, command: str
) -> None:
    with pytest.raises(InputError, match="is not closed by hand") as e:
        _close(ledger, items[which])
    assert command in e.value.fix
    assert _status(ledger, items[which]) == ("open", None)


@pytest.mark.parametrize("note", ["", "   ", "x" * 501])
def test_a_note_is_required_and_bounded(ledger: Ledger, items: dict[str, int], note: str) -> None:
    with pytest.raises(InputError) as e:
        _close(ledger, items["repeat"], note)
    assert e.value.field == "note"
    assert _status(ledger, items["repeat"]) == ("open", None)


def test_an_item_out_of_scope_is_not_found(ledger: Ledger, items: dict[str, int]) -> None:
    with pytest.raises(InputError, match=f"no work item {items['denial']}"):
        _close(ledger, items["denial"], scope=Scope(frozenset({10**6})))
    assert _status(ledger, items["denial"]) == ("open", None)


def test_the_command_line_closes_all_or_nothing(
    ledger: Ledger, db_url: str, items: dict[str, int]
) -> None:
    run = CliRunner().invoke
    args = ["--db", db_url, "resolve", "--note", "called the payer", "--as-of", "2025-04-20"]
    both = run(cli, [*args, str(items["denial"]), str(items["blocked"])])
    assert both.exit_code == 2 and "is not closed by hand" in both.output, both.output
    one = run(cli, [*args, "--as-of", "2025-04-20", str(items["owed"] + 10**6)])
    assert one.exit_code == 2 and f"no work item {items['owed'] + 10**6}" in one.output
    assert _status(ledger, items["denial"]) == ("open", None)  # nothing closed
    said = run(cli, [*args, str(items["denial"])], env={"COLUMNS": "30"})
    assert said.exit_code == 0, said.output
    assert said.output == (  # one line, however narrow the terminal
        f"closed work item {items['denial']} (denial, medical_necessity, V-3) on 2025-04-20\n"
    )
    # The same close again (the same person and note) is done; with another item, both said.
    done = run(cli, [*args, "--json", str(items["denial"]), str(items["repeat"])])
    assert done.exit_code == 0, done.output
    closed = json.loads(done.output)["closed"]
    assert [(c["id"], c["closed_on"]) for c in closed] == [
        (items["denial"], "2025-04-20"),
        (items["repeat"], "2025-04-20"),
    ]
    shown = run(cli, ["--db", db_url, "worklist", "--json", "--as-of", "2025-04-20"]).output
    listed = {i["id"]: i["closes_by_hand"] for i in json.loads(shown)}
    assert items["denial"] not in listed and items["repeat"] not in listed
    assert (listed[items["blocked"]], listed[items["owed"]]) == (False, False)
