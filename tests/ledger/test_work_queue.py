"""The work queue at scale: one query filters and groups the open items (counts, claims,
amounts and overdue counted in the database, checked here against the items read one by one),
and a bulk action acts on each claim in its own transaction, refusing the claims it does not
apply to and doing the rest."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from ptbill.config.profiles import Config
from ptbill.demo.workbench import build_demo_ledger
from ptbill.errors import InputError
from ptbill.ledger import models as m
from ptbill.ledger.dates import latest_date
from ptbill.ledger.db import Ledger
from ptbill.ledger.engine import make_engine
from ptbill.ledger.importer import import_files
from ptbill.ledger.migrate import upgrade
from ptbill.ledger.scope import EVERYTHING
from ptbill.ledger.states import State, move
from ptbill.remit.actions import outstanding, rescrub
from ptbill.remit.bulk_actions import (
    BulkAction,
    GroupChanged,
    claim_targets,
    item_targets,
    run_bulk,
)
from ptbill.remit.work_kinds import DUE_WINDOWS, GROUP_BYS, NONE
from ptbill.remit.worklist import (
    WorkFilter,
    count_open,
    group_filter,
    open_groups,
    open_items,
    selected_items,
    selection,
    version_of,
)
from tests import work_truth as truth
from tests.ledger.helpers import DOS, medicare_visit, write_visits

WHO = "tester"


@pytest.fixture
def demo(db_url: str, tmp_path: Path) -> tuple[Ledger, dt.date]:
    build_demo_ledger(db_url, tmp_path, visits=140, seed=7)
    ledger = Ledger(db_url)
    with ledger.transaction() as s:
        day = latest_date(s)
    assert day is not None
    yield ledger, day
    ledger.close()


def _ids(items: list[Any]) -> set[int]:
    return {i["id"] for i in items}


def test_groups_and_filters_agree_with_the_items_counted_one_by_one(
    demo: tuple[Ledger, dt.date],
) -> None:
    ledger, day = demo
    with ledger.transaction() as s:
        rows = truth.open_rows(s)
        assert len(rows) > 40 and {"blocked", "denial"} <= {r.kind for r in rows}
        whole = selection(s, EVERYTHING, WorkFilter(), day)
        assert {k: whole[k] for k in ("count", "claims", "amount", "overdue")} == truth.figures(
            rows, day
        )
        for by in GROUP_BYS:
            expected = truth.groups(rows, by, day)
            found = open_groups(s, EVERYTHING, by, as_of=day)
            assert {tuple(g["key"].values()) for g in found} == set(expected), by
            amounts = [g["amount"] for g in found]
            assert amounts == sorted(amounts, reverse=True)  # the largest amount first
            for g in found:
                want = expected[tuple(g["key"].values())]
                assert (g["count"], g["claims"], g["amount"], g["overdue"]) == (
                    want["count"],
                    want["claims"],
                    want["amount"],
                    want["overdue"],
                ), (by, g["key"])
                # The group opens as a filter: exactly its items, with the same version.
                f = group_filter(WorkFilter(), g["key"])
                assert _ids(open_items(s, EVERYTHING, filters=f, as_of=day)) == want["ids"], (
                    by,
                    g["key"],
                )
                assert g["version"] == version_of(want["ids"])
                assert [i for i, _, _ in selected_items(s, EVERYTHING, f, day)] == [
                    i["id"] for i in open_items(s, EVERYTHING, filters=f, as_of=day)
                ]
        # A blocked claim with several findings counts its charge once.
        blocked = [r for r in rows if r.kind == "blocked"]
        assert len(blocked) > len({r.claim for r in blocked})
        kind = next(
            g
            for g in open_groups(s, EVERYTHING, "kind", as_of=day)
            if g["key"]["kind"] == "blocked"
        )
        charges = dict(s.execute(select(m.Claim.id, m.Claim.charge)).all())
        assert kind["amount"] == sum(charges[c] for c in {r.claim for r in blocked})


def _check_filter(s: Session, rows: list[Any], day: dt.date, f: WorkFilter, keep: Any) -> None:
    want = {r.id for r in rows if keep(r)}
    assert _ids(open_items(s, EVERYTHING, filters=f, as_of=day)) == want, f
    assert count_open(s, EVERYTHING, filters=f, as_of=day) == len(want), f


def test_each_filter_selects_what_it_says(demo: tuple[Ledger, dt.date]) -> None:
    ledger, day = demo
    with ledger.transaction() as s:
        rows = truth.open_rows(s)
        some = next(r for r in rows if r.kind == "denial")
        blocked = next(r for r in rows if r.rule)
        created = sorted({r.created for r in rows})
        cases: list[tuple[WorkFilter, Any]] = [
            (
                WorkFilter(kinds=("denial", "rejection")),
                lambda r: r.kind in ("denial", "rejection"),
            ),
            (WorkFilter(category=some.category), lambda r: r.category == some.category),
            (WorkFilter(rule=blocked.rule), lambda r: r.rule == blocked.rule),
            (WorkFilter(rule=NONE), lambda r: r.rule is None),
            (WorkFilter(carc=some.carc), lambda r: r.carc == some.carc),
            (WorkFilter(carc=NONE), lambda r: r.carc is None),
            (WorkFilter(payers=(some.payer,)), lambda r: r.payer == some.payer),
            (WorkFilter(clinics=(some.clinic,)), lambda r: r.clinic == some.clinic),
            (WorkFilter(clinics=("no-such-clinic",)), lambda r: False),
            (WorkFilter(since=created[-1]), lambda r: r.created >= created[-1]),
            (WorkFilter(until=created[0]), lambda r: r.created <= created[0]),
            (
                WorkFilter(kinds=("blocked",), payers=(blocked.payer,), due="later"),
                lambda r: (
                    r.kind == "blocked"
                    and r.payer == blocked.payer
                    and truth.due_window("later", day)(r)
                ),
            ),
        ]
        cases += [(WorkFilter(due=w), truth.due_window(w, day)) for w in DUE_WINDOWS]
        for f, keep in cases:
            _check_filter(s, rows, day, f, keep)
        # The windows from an earlier date hold other items: the business date decides.
        early = day - dt.timedelta(days=60)
        overdue = {r.id for r in rows if r.due < early}
        assert (
            _ids(open_items(s, EVERYTHING, filters=WorkFilter(due="overdue"), as_of=early))
            == overdue
        )
        with pytest.raises(InputError, match="business date"):
            open_items(s, EVERYTHING, filters=WorkFilter(due="overdue"), as_of=None)
        with pytest.raises(InputError, match="group by one of"):
            open_groups(s, EVERYTHING, "patient")


def _close_one(s: Session, numbers: list[str]) -> str:
    """Close (a legal move) a partially paid claim of the list: a write-off no longer applies
    to it, while its denial item stays open."""
    claim = s.scalars(
        select(m.Claim).where(
            m.Claim.claim_number.in_(numbers), m.Claim.state == State.PARTIALLY_PAID
        )
    ).first()
    assert claim is not None
    move(
        s,
        claim,
        State.CLOSED,
        WHO,
        claim.created_on,
        "closed: the patient paid the rest",
        "closing",
    )
    return claim.claim_number


def test_a_bulk_write_off_of_a_group_refuses_the_claim_it_does_not_apply_to(
    demo: tuple[Ledger, dt.date], config: Config
) -> None:
    ledger, day = demo
    with ledger.transaction() as s:
        # A denial reason shared by several claims, one of them partially paid.
        rows = truth.open_rows(s)
        states = dict(s.execute(select(m.Claim.id, m.Claim.state)).all())
        group = next(
            g
            for g in open_groups(s, EVERYTHING, "reason", as_of=day)
            if g["key"]["kind"] == "denial"
            and g["claims"] >= 3
            and any(
                states[r.claim] == State.PARTIALLY_PAID
                for r in rows
                if truth.KEYS["reason"](r) == tuple(g["key"].values())
            )
        )
        f = group_filter(WorkFilter(), group["key"])
        numbers = sorted({ref for _, ref, _ in selected_items(s, EVERYTHING, f, day)})
        closed = _close_one(s, numbers)
    with ledger.sessions() as s:
        shown = selection(s, EVERYTHING, f, day)  # the group as the biller sees it now
        owed = {
            c.claim_number: outstanding(c)
            for c in s.scalars(select(m.Claim).where(m.Claim.claim_number.in_(numbers)))
        }
        targets, not_acted = item_targets(
            s, EVERYTHING, f, day, expect=(shown["count"], shown["version"])
        )
        s.commit()
        result = run_bulk(
            s,
            config,
            BulkAction("writeoff", "authorization never obtained"),
            targets,
            as_of=day,
            who=WHO,
            done_before=not_acted,
        )
    outcomes = {c.claim_id: c for c in result.claims}
    assert set(outcomes) == set(numbers)
    assert outcomes[closed].outcome == "refused"
    assert "from closed to written_off" in outcomes[closed].detail and outcomes[closed].fix
    done = [n for n in numbers if n != closed]
    assert [outcomes[n].outcome for n in done] == ["done"] * len(done)
    assert result.count("done") == len(done) and result.count("failed") == 0
    with ledger.transaction() as s:
        for n in numbers:
            claim = s.scalars(select(m.Claim).where(m.Claim.claim_number == n)).one()
            trail = s.scalars(select(m.AuditEntry).where(m.AuditEntry.claim_id == claim.id)).all()
            if n == closed:
                assert claim.state == State.CLOSED and claim.written_off == 0
                assert not [a for a in trail if a.to_state == State.WRITTEN_OFF]
                continue
            assert claim.state == State.CLOSED and claim.written_off == owed[n]
            assert outcomes[n].result == {"written_off": owed[n]}
            entry = next(a for a in trail if a.to_state == State.WRITTEN_OFF)
            assert entry.who == WHO and entry.on_date == day
            assert entry.why == f"wrote off {owed[n]}: authorization never obtained"
        # What is left of the group: the refused claim's items; the version says it changed.
        left = selection(s, EVERYTHING, f, day)
        assert left["claims"] == 1 and left["version"] != shown["version"]
        with pytest.raises(GroupChanged):
            item_targets(s, EVERYTHING, f, day, expect=(shown["count"], shown["version"]))
        # Named by id, items done meanwhile are refused as no longer open.
        gone = [i for c in result.claims if c.outcome == "done" for i in c.items]
        targets, not_acted = item_targets(s, EVERYTHING, WorkFilter(), day, ids=gone[:2])
        assert targets == [] and [c.outcome for c in not_acted] == ["refused", "refused"]
        assert "not open" in not_acted[0].detail


def test_one_claim_failing_does_not_undo_the_others(
    demo: tuple[Ledger, dt.date], config: Config
) -> None:
    ledger, day = demo
    with ledger.sessions() as s:
        rows = [r for r in truth.open_rows(s) if r.kind == "denial"]
        numbers = sorted({r.reference for r in rows})[:3]
        s.commit()

        def check(number: str) -> None:
            if number == numbers[1]:
                raise RuntimeError("the disk is full")

        seen: list[str] = []
        result = run_bulk(
            s,
            config,
            BulkAction("writeoff", "small balance"),
            claim_targets([*numbers, "", numbers[0]]),  # blanks and repeats dropped
            as_of=day,
            who=WHO,
            check=check,
            progress=lambda c: seen.append(c.outcome),
        )
    assert [c.outcome for c in result.claims] == ["done", "failed", "done"] == seen
    assert "RuntimeError" in result.claims[1].detail and "disk" not in result.claims[1].detail
    with ledger.transaction() as s:
        states = dict(
            s.execute(
                select(m.Claim.claim_number, m.Claim.state).where(m.Claim.claim_number.in_(numbers))
            ).all()
        )
    assert states[numbers[0]] == states[numbers[2]] == State.CLOSED
    assert states[numbers[1]] != State.CLOSED


def test_a_bulk_action_is_checked_before_anything_is_done() -> None:
    with pytest.raises(InputError, match="needs a reason"):
        BulkAction("writeoff", "  ")
    with pytest.raises(InputError, match="201 characters"):  # `--reason` of the CLI's pipe
        BulkAction("writeoff", "x" * 201)
    with pytest.raises(InputError, match="no action"):
        BulkAction("delete")
    with pytest.raises(InputError, match="over the limit"):
        claim_targets([f"V-{i}" for i in range(5001)])


def test_scrubbing_again_moves_a_claim_and_replaces_its_items(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    late = DOS + dt.timedelta(days=400)  # past Medicare's 365-day filing limit
    path = write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1")])
    with ledger.transaction() as s:
        import_files(s, [path], as_of=late, config=config, who=WHO)
        item = s.scalars(select(m.WorkItem).where(m.WorkItem.reference == "V-1")).one()
        assert (item.kind, item.rule, item.status) == ("blocked", "TIMELY-FILING", "open")
        # As of a day within the limit (the date the claim was meant to go), it is clean.
        done = rescrub(s, config, "V-1", as_of=DOS + dt.timedelta(days=7), who=WHO)
        assert (done.state, done.rules) == ("ready", [])
        claim = s.scalars(select(m.Claim).where(m.Claim.claim_number == "V-1")).one()
        assert claim.state == State.READY and item.status == "done"
        assert item.resolution == f"scrubbed again as of {DOS + dt.timedelta(days=7)}: no errors"
        # Again as of the late date: blocked again, with a new item; each scrub is audited.
        again = rescrub(s, config, "V-1", as_of=late, who=WHO)
        assert (again.state, again.rules) == ("blocked", ["TIMELY-FILING"])
        items = s.scalars(select(m.WorkItem).where(m.WorkItem.reference == "V-1")).all()
        assert [(i.status, i.source) for i in items] == [("done", "import"), ("open", "rescrub")]
        trail = s.scalars(
            select(m.AuditEntry).where(m.AuditEntry.claim_id == claim.id).order_by(m.AuditEntry.id)
        ).all()
        assert [(a.from_state, a.to_state) for a in trail][-2:] == [
            ("blocked", "ready"),
            ("ready", "blocked"),
        ]
        rescrub(s, config, "V-1", as_of=late, who=WHO)  # unchanged: still audited
        assert (
            s.scalars(
                select(m.AuditEntry)
                .where(m.AuditEntry.claim_id == claim.id)
                .order_by(m.AuditEntry.id.desc())
            )
            .first()
            .to_state
            == "blocked"
        )  # type: ignore[union-attr]
        claim.state = State.SUBMITTED  # as if it had been sent
        with pytest.raises(InputError, match="only a claim not sent yet"):
            rescrub(s, config, "V-1", as_of=late, who=WHO)


def test_the_migration_names_the_rule_of_the_blocked_items_already_stored(db_url: str) -> None:
    engine = make_engine(db_url) if db_url.startswith("sqlite") else create_engine(db_url)
    upgrade(engine, "0005")  # the revision before the rule's
    day = dt.date(2026, 3, 2)
    with engine.begin() as conn:
        for kind, category, detail, source in (
            (
                "blocked",
                "diagnosis",
                "DX-MISSING: the claim has no diagnosis. Fix: add one",
                "import",
            ),
            ("blocked", "timely_filing", "the timely filing limit passed on 2026-01-01", "submit"),
            ("denial", "medical_necessity", "CO-50: not deemed necessary", "remittance:1"),
            ("blocked", "other", "no rule named here", "import"),
        ):
            conn.execute(
                text(
                    "INSERT INTO work_items (reference, kind, category, amount, action, detail,"
                    " due_date, status, created_on, source) VALUES ('V-1', :kind, :category,"
                    " 100, 'review', :detail, :day, 'open', :day, :source)"
                ),
                {
                    "kind": kind,
                    "category": category,
                    "detail": detail,
                    "day": day,
                    "source": source,
                },
            )
    engine.dispose()
    with Ledger(db_url) as ledger, ledger.transaction() as s:  # opening upgrades it
        rules = s.scalars(select(m.WorkItem.rule).order_by(m.WorkItem.id)).all()
    assert rules == ["DX-MISSING", "TIMELY-FILING", None, None]


def test_money_is_a_decimal_in_every_group(demo: tuple[Ledger, dt.date]) -> None:
    ledger, day = demo
    with ledger.transaction() as s:
        for by in GROUP_BYS:
            for g in open_groups(s, EVERYTHING, by, as_of=day):
                assert isinstance(g["amount"], Decimal) and g["amount"] == g["amount"].quantize(
                    Decimal("0.01")
                )
