"""The coding engine end to end: modifiers, CQ, KX, NCCI, pointers, charges, explanations."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ptbill.claim_pipeline import code_claim
from ptbill.coding import code_visit, resolve
from ptbill.config import load_config
from ptbill.config.profiles import bundled_demo_config_text
from ptbill.domain import CodedVisit, Visit
from ptbill.reference.snapshot import BUNDLED_ONLY, ReferenceSnapshot, take_snapshot
from tests.factories import timed, visit


def code(v: Visit, reference: ReferenceSnapshot = BUNDLED_ONLY) -> CodedVisit:
    ctx = resolve(v, load_config().with_reference(reference), "test")
    return code_claim(v, ctx)


def lines(c: CodedVisit) -> list[tuple[str, int, tuple[str, ...]]]:
    return [(x.code, x.units, x.modifiers) for x in c.lines]


def test_interfaces_example_is_coded_with_gp_and_charges() -> None:
    c = code(
        visit(
            timed("97110", 24, diagnosis_pointers=[1, 2]),
            timed("97140", 13, body_region="right knee"),
            {"code": "97010"},
        )
    )
    assert lines(c) == [("97110", 1, ("GP",)), ("97140", 1, ("GP",)), ("97010", 1, ("GP",))]
    assert c.unit_method == "cms" and c.total_timed_minutes == 37 and c.timed_units == 2
    assert "37 timed minutes today make 2 unit(s)" in c.notes[0]
    # demo chargemaster: 97110 48.00, 97140 47.00, 97010 15.00 per unit
    assert [x.charge for x in c.lines] == [Decimal("48.00"), Decimal("47.00"), Decimal("15.00")]
    assert c.total_charge == Decimal("110.00")


def test_commercial_uses_the_ama_method() -> None:
    c = code(visit(timed("97110", 33), timed("97140", 7), payer="commercial"))
    assert lines(c)[:2] == [("97110", 2, ("GP",)), ("97140", 0, ())]
    assert c.unit_method == "ama"


def test_a_service_that_earns_no_unit_stays_with_its_reason() -> None:
    c = code(visit(timed("97110", 18), timed("97140", 13), timed("97116", 10), timed("97035", 8)))
    zero = [x for x in c.lines if x.units == 0]
    assert [x.code for x in zero] == ["97035"]
    assert zero[0].reason and "no unit" in zero[0].reason
    assert zero[0].modifiers == ()


def test_timed_code_without_minutes_gets_zero_units_and_a_reason() -> None:
    c = code(visit({"code": "97110"}))
    assert c.lines[0].units == 0 and "without minutes" in (c.lines[0].reason or "")


def test_every_decision_is_explained() -> None:
    c = code(visit(timed("97110", 33), timed("97140", 7)))
    for x in c.lines:
        assert x.explanation, x.code
    assert any("leftover" in why for why in c.lines[1].explanation)


# --- CQ (billing-rules.md M-9..M-12) ---------------------------------------------------------


def test_cq_on_the_assistants_unit_only() -> None:
    # 30 min of 97110: PT 20, PTA 10 -> 2 units. PT alone has one whole block; the last unit
    # (PT 5 + PTA 10) is 67% assistant, over 10%: that unit carries CQ on its own line (M-12).
    c = code(visit(timed("97110", 30, assistant_minutes=10), supervising_provider=None))
    assert lines(c) == [("97110", 1, ("GP",)), ("97110", 1, ("GP", "CQ"))]
    assert sum(x.minutes or 0 for x in c.lines) == 30


def test_cq_all_units_when_the_assistant_furnished_everything() -> None:
    c = code(visit(timed("97110", 25, assistant_minutes=25)))
    assert lines(c) == [("97110", 2, ("GP", "CQ"))]


def test_cq_de_minimis_on_untimed_code() -> None:
    # Untimed: the assistant's minutes against the service's total. 2 of 20 = 10%: not over.
    c = code(visit({"code": "97012", "minutes": 20, "assistant_minutes": 2}))
    assert lines(c) == [("97012", 1, ("GP",))]
    c = code(visit({"code": "97012", "minutes": 20, "assistant_minutes": 3}))
    assert lines(c) == [("97012", 1, ("GP", "CQ"))]


def test_cq_two_remaining_units_split_one_each() -> None:
    # M-11: PT 14 and PTA 14 of the same code, 28 min = 2 units: one with CQ, one without.
    c = code(visit(timed("97110", 28, assistant_minutes=14)))
    assert lines(c) == [("97110", 1, ("GP",)), ("97110", 1, ("GP", "CQ"))]


def test_cq_whole_blocks_by_each_person() -> None:
    # 45 min: PT 30 (2 whole units), PTA 15 (1 whole unit, CQ).
    c = code(visit(timed("97110", 45, assistant_minutes=15)))
    assert lines(c) == [("97110", 2, ("GP",)), ("97110", 1, ("GP", "CQ"))]


def test_cq_within_de_minimis_on_the_last_unit() -> None:
    # 53 min = 4 units (CMS): PT 52 has 3 whole blocks; the last unit is PT 7 + PTA 1 = 8 min,
    # 1/8 = 12.5% > 10%: CQ. With PTA 1 of a 16-min remainder it would be 6.25%: no CQ.
    c = code(visit(timed("97110", 53, assistant_minutes=1)))
    assert lines(c) == [("97110", 3, ("GP",)), ("97110", 1, ("GP", "CQ"))]
    c = code(visit(timed("97110", 61, assistant_minutes=1)))  # 4 units: 4 PT blocks, 1 min left
    assert lines(c) == [("97110", 4, ("GP",))]


def test_cq_cms_scenario_1_the_final_unit_is_the_therapists() -> None:
    # CMS CQ/CO billing examples, scenario 1 (M-11a): PTA 23 and PT 13 minutes of 97110, PT 30
    # minutes of 97140: 66 min = 4 units, 97110 x2 and 97140 x2. The PTA's whole 15-minute block
    # is one unit with CQ; the final unit (PTA 8 + PT 13 min) is billed without CQ because the
    # PT alone furnished 8 minutes or more of it. Two lines for 97110 (M-12).
    c = code(visit(timed("97110", 36, assistant_minutes=23), timed("97140", 30)))
    assert lines(c) == [
        ("97110", 1, ("GP",)),
        ("97110", 1, ("GP", "CQ")),
        ("97140", 2, ("GP",)),
    ]
    plain, cq = c.lines[0], c.lines[1]
    assert (plain.minutes, plain.assistant_minutes) == (21, 8)  # PT 13 + PTA 8
    assert (cq.minutes, cq.assistant_minutes) == (15, 15)  # the PTA's whole block
    assert any("M-11a" in why for why in plain.explanation)


@pytest.mark.parametrize(
    ("minutes", "assistant", "expected"),
    [
        # 30 min = 2 units; the PTA's whole block is one CQ unit, the final unit is the rest.
        (30, 22, [("97110", 1, ("GP",)), ("97110", 1, ("GP", "CQ"))]),  # PT 8 of it: no CQ
        (30, 23, [("97110", 2, ("GP", "CQ"))]),  # PT 7 of it, PTA 8: CQ (M-9)
        # One unit only, PT 10 + PTA 10: the therapist's 10 minutes bill it alone (M-11a).
        (20, 10, [("97110", 1, ("GP",))]),
        (20, 13, [("97110", 1, ("GP", "CQ"))]),  # PT 7: the de minimis test decides (M-9)
    ],
)
def test_cq_final_unit_exception_at_8_therapist_minutes(
    minutes: int, assistant: int, expected: list
) -> None:
    c = code(visit(timed("97110", minutes, assistant_minutes=assistant)))
    assert lines(c) == expected


def test_cq_m11_two_units_left_at_9_and_14_minutes() -> None:
    # M-11: two units left, PT 9 and PTA 14 minutes (23 together): one with CQ, one without.
    c = code(visit(timed("97110", 23, assistant_minutes=14)))
    assert lines(c) == [("97110", 1, ("GP",)), ("97110", 1, ("GP", "CQ"))]


def test_payer_without_cq_does_not_split() -> None:
    c = code(visit(timed("97110", 30, assistant_minutes=10), payer="commercial"))
    assert lines(c) == [("97110", 2, ("GP",))]


# --- One line per code (U-21), and the lines split from it ------------------------------------


def test_a_repeated_code_is_one_line_with_both_entries_documentation() -> None:
    # 10 + 15 min of 97110 = 25 min: 2 units (U-11), one line (U-21) holding both entries'
    # pointers and requested modifiers in the order given.
    c = code(
        visit(
            timed("97110", 10, diagnosis_pointers=[2]),
            {"code": "97010"},
            timed("97110", 15, diagnosis_pointers=[1, 2], modifiers=["XU"]),
        )
    )
    line = c.lines[0]
    assert (line.code, line.units, line.minutes, line.services) == ("97110", 2, 25, (0, 2))
    assert line.diagnosis_pointers == (2, 1) and line.modifiers == ("GP", "XU")
    assert any("entered 2 times" in why for why in line.explanation)
    assert [(x.code, x.services) for x in c.lines[1:]] == [("97010", (1,))]


def test_an_add_on_line_keeps_the_documentation_of_its_service() -> None:
    # 97129 for 40 min: 97129 x1 for the first 15, 97130 x2 for the 25 after (midpoint rule).
    c = code(visit(timed("97129", 40, diagnosis_pointers=[2]), payer="commercial"))
    assert [(x.code, x.units, x.minutes, x.services, x.diagnosis_pointers) for x in c.lines] == [
        ("97129", 1, 15, (0,), (2,)),
        ("97130", 2, 25, (0,), (2,)),
    ]


def test_a_cq_line_keeps_the_documentation_of_its_service() -> None:
    # As in test_cq_on_the_assistants_unit_only: 1 unit without CQ, 1 with (M-12).
    c = code(visit(timed("97110", 30, assistant_minutes=10, diagnosis_pointers=[2])))
    assert [(x.units, x.modifiers, x.diagnosis_pointers, x.services) for x in c.lines] == [
        (1, ("GP",), (2,), (0,)),
        (1, ("GP", "CQ"), (2,), (0,)),
    ]


# --- KX (M-3..M-6) ----------------------------------------------------------------------------


def _episode(ytd: str, documented: bool) -> dict:
    return {"therapy_amount_ytd": ytd, "kx_medical_necessity_documented": documented}


def test_kx_when_the_visit_passes_the_threshold_and_necessity_is_documented() -> None:
    # 2026 threshold $2,480 (constants.csv). No 2026 RVUs are bundled, so the visit's amount is
    # estimated from the 2025 RVUs (codes.csv, RVU25D) with the 2026 CF and the 2026 GPCIs of
    # 06102-99: (0.45 x 1.000 + 0.43 x 0.913 + 0.01 x 1.563) x 33.4009 = $28.67 a unit, 2 units
    # $57.34; 2,470 + 57.34 > 2,480.
    c = code(visit(timed("97110", 30), episode=_episode("2470", True)))
    assert lines(c) == [("97110", 2, ("GP", "KX"))]
    assert c.therapy_amount == Decimal("57.34")
    assert "$57.34 (estimated" in c.notes[-1]


def test_kx_never_from_charges() -> None:
    # Charges $47 + $55 = $102 would pass 2,400 over the 2026 threshold $2,480: a false
    # attestation, as the threshold counts allowed amounts (M-3). The estimate (2025 RVUs, 2026
    # CF 33.4009, GPCIs 1.000 / 0.913 / 1.563): 97140 (0.43 + 0.40 x 0.913 + 0.01 x 1.563) x
    # 33.4009 = $27.08; 97530 (0.44 + 0.62 x 0.913 + 0.01 x 1.563) x 33.4009 = $34.13.
    c = code(visit(timed("97140", 15), timed("97530", 15), episode=_episode("2400", True)))
    assert sum(x.charge or 0 for x in c.lines) == Decimal("102.00")
    assert c.therapy_amount == Decimal("61.21")  # 2,400 + 61.21 = 2,461.21: within
    assert all("KX" not in x.modifiers for x in c.lines)
    assert "within the 2026 KX threshold" in c.notes[-1] and "estimated" in c.notes[-1]
    assert "charge" not in c.notes[-1]


def test_kx_left_to_the_biller_when_the_profile_does_not_estimate(tmp_path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        bundled_demo_config_text()
        + '\n[payers.medicare]\nkx_when_rvus_missing = "leave_to_biller"\n'
    )
    config = load_config(str(cfg))

    def coded(ytd: str) -> CodedVisit:
        v = visit(timed("97110", 30), episode=_episode(ytd, True))
        ctx = resolve(v, config, "t")
        return code_visit(v, ctx.profile, ctx.chargemaster, ctx.locality)

    open_ = coded("2470")  # the visit may or may not pass $2,480: not decided, never charges
    assert lines(open_) == [("97110", 2, ("GP",))] and open_.therapy_amount is None
    assert "left to the biller" in open_.notes[-1] and "no 2026 PFS RVUs" in open_.notes[-1]
    past = coded("2500")  # already past the threshold before this visit: KX whatever it adds
    assert lines(past) == [("97110", 2, ("GP", "KX"))]


def test_no_kx_without_documented_medical_necessity() -> None:
    c = code(visit(timed("97110", 30), episode=_episode("2470", False)))
    assert lines(c) == [("97110", 2, ("GP",))]
    assert "not documented" in c.notes[-1]


def test_no_kx_below_the_threshold() -> None:
    c = code(visit(timed("97110", 30), episode=_episode("1000", True)))
    assert lines(c) == [("97110", 2, ("GP",))]


def test_kx_2025_uses_the_fee_schedule_amount() -> None:
    # 2025 threshold $2,410. 97110 in locality 06102-99 (Rest of Illinois), 2025:
    # (0.45 x 1.000 + 0.43 x 0.912 + 0.01 x 1.381) x 32.3465 = 0.85597 x 32.3465 = $27.69/unit.
    on = {"date_of_service": "2025-06-02", "signed": {"by_npi": "1234567893", "date": "2025-06-02"}}
    below = code(visit(timed("97110", 15), episode=_episode("2382.31", True), **on))
    assert lines(below) == [("97110", 1, ("GP",))]  # 2382.31 + 27.69 = 2410.00, not above
    above = code(visit(timed("97110", 15), episode=_episode("2382.32", True), **on))
    assert lines(above) == [("97110", 1, ("GP", "KX"))]
    assert "$27.69" in above.notes[-1]


def test_kx_not_decided_without_a_threshold_for_the_year() -> None:
    on = {"date_of_service": "2027-01-04"}
    c = code(visit(timed("97110", 30), episode=_episode("5000", True), **on))
    assert lines(c) == [("97110", 2, ("GP",))]
    assert "no 2027 KX threshold" in c.notes[-1]


# --- NCCI distinct-service modifiers (M-14..M-17) -------------------------------------------


def test_ncci_pair_without_distinct_documentation_gets_no_modifier() -> None:
    c = code(visit(timed("97140", 15), timed("97530", 15)))
    assert lines(c) == [("97140", 1, ("GP",)), ("97530", 1, ("GP",))]
    why = " ".join(c.lines[1].explanation)
    assert "97140/97530" in why and "unverified" in why


def test_ncci_distinct_time_block_gets_xu_for_medicare_x_style() -> None:
    c = code(
        visit(
            timed("97140", 15),
            timed(
                "97530",
                15,
                distinct={
                    "reason": "separate 15-minute block after manual therapy",
                    "kind": "time_block",
                },
            ),
        )
    )
    assert lines(c) == [("97140", 1, ("GP",)), ("97530", 1, ("GP", "XU"))]


def test_ncci_separate_body_regions_get_xs() -> None:
    c = code(
        visit(
            timed("97140", 15, body_region="cervical spine"),
            timed("97530", 15, body_region="right knee"),
        )
    )
    assert lines(c)[1] == ("97530", 1, ("GP", "XS"))


def test_ncci_commercial_profile_uses_59() -> None:
    c = code(
        visit(
            timed("97140", 15),
            timed("97530", 15, distinct={"reason": "separate block"}),
            payer="commercial",
        )
    )
    assert lines(c)[1] == ("97530", 1, ("GP", "59"))


def test_ncci_modifier_goes_on_column_two_only() -> None:
    c = code(
        visit(
            timed("97530", 15, distinct={"reason": "x", "kind": "session"}),
            timed("97140", 15, distinct={"reason": "y", "kind": "session"}),
        )
    )
    assert dict((x.code, x.modifiers) for x in c.lines) == {"97530": ("GP", "XE"), "97140": ("GP",)}


def test_requested_distinct_modifier_is_kept_not_doubled() -> None:
    c = code(visit(timed("97140", 15), timed("97530", 15, modifiers=["59"])))
    assert lines(c)[1] == ("97530", 1, ("GP", "59"))


# --- pointers and charges -------------------------------------------------------------------


def test_pointers_are_assigned_skipping_external_cause_codes() -> None:
    c = code(
        visit(
            timed("97110", 15),
            diagnoses=["W19.XXXA", "S72.001D", "M62.81", "R26.89", "Z91.81", "M25.551"],
        )
    )
    assert c.lines[0].diagnosis_pointers == (2, 3, 4, 5)


def test_given_pointers_are_kept() -> None:
    c = code(visit(timed("97110", 15, diagnosis_pointers=[2])))
    assert c.lines[0].diagnosis_pointers == (2,)


def test_code_missing_from_the_chargemaster_has_no_charge() -> None:
    c = code(visit({"code": "97024"}))
    assert c.lines[0].charge is None
    assert any("chargemaster" in why for why in c.lines[0].explanation)


def test_a_code_not_in_the_catalog_gets_no_discipline_modifier_or_kx() -> None:
    # GP marks a therapy service (M-1) and KX attests one (M-3); a code the catalog does not
    # know may be neither, so the coder adds neither. The clinician's own modifiers stay.
    c = code(
        visit(
            timed("97110", 24),
            {"code": "97999", "minutes": 10},
            {"code": "99211", "modifiers": ["GP"]},
            episode=_episode("2600", True),
        )
    )
    assert lines(c) == [("97110", 2, ("GP", "KX")), ("97999", 1, ()), ("99211", 1, ("GP",))]
    assert any(
        "not in the code catalog" in why and "no GP or KX" in why for why in c.lines[1].explanation
    )


def test_untimed_code_with_documented_units() -> None:
    c = code(visit({"code": "97012", "units": 2}))
    assert c.lines[0].units == 2


def test_higher_paying_tie_break_from_profile(tmp_path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[clinics.c]\nname="C"\nnpi="1234567893"\ntax_id="371234567"\n'
        'address={line1="1 A St",city="X",state="IL",zip="62701"}\n'
        'chargemaster={"97110"="40.00","97112"="60.00"}\n'
        '[payers.hp]\nbase="medicare"\ntie_break="higher_paying"\n'
    )
    v = visit(timed("97110", 20), timed("97112", 20), payer="hp", clinic="c")
    ctx = resolve(v, load_config(str(cfg)), "t")
    c = code_visit(v, ctx.profile, ctx.chargemaster, ctx.locality)
    assert [(x.code, x.units) for x in c.lines] == [("97110", 1), ("97112", 2)]


@pytest.mark.parametrize("payer", ["medicare", "medicaid", "commercial", "acme-ppo"])
def test_every_bundled_profile_codes(payer: str) -> None:
    c = code(visit(timed("97110", 24), timed("97140", 13), payer=payer))
    assert all("GP" in x.modifiers for x in c.lines if x.units)


def test_clinic_rule_override_keeps_the_profiles_other_rule_settings(tmp_path) -> None:
    base = load_config().payer("medicare")
    assert base is not None and len(base.rules) >= 2
    first, second = list(base.rules)[:2]
    cfg = tmp_path / "c.toml"
    cfg.write_text(f"[payers.medicare.rules.{first}]\nenabled = false\n")
    merged = load_config(str(cfg)).payer("medicare")
    assert merged is not None
    assert merged.rules[first]["enabled"] is False
    assert merged.rules[second] == base.rules[second]


def test_a_code_meeting_several_ncci_partners_gets_its_modifier_once() -> None:
    # 97530 is column 2 of both 97140/97530 and 97164/97530 in the bundled candidate table.
    c = code(
        visit(
            {"code": "97164", "minutes": 20, "reevaluation_reason": "new fall"},
            timed("97140", 15),
            timed("97530", 15, distinct={"reason": "separate block", "kind": "time_block"}),
        )
    )
    mods = dict((x.code, x.modifiers) for x in c.lines)["97530"]
    assert mods.count("XU") == 1


def test_kx_estimate_uses_a_pfs_release_of_the_snapshot(tmp_path) -> None:
    from ptbill.reference.importers.pfs import import_pfs

    folder = tmp_path / "data"
    fixture = Path(__file__).parents[1] / "pricing" / "fixtures" / "PPRRVU2026_fixture.csv"
    taken_before = take_snapshot(folder)
    over = visit(timed("97110", 15), episode=_episode("2451.46", True))
    # no 2026 RVUs yet: the 2025 RVUs stand in
    assert "$28.67 (estimated" in code(over, taken_before).notes[-1]
    import_pfs(folder, fixture)
    # A snapshot taken before the import stays without the release; a new one has it.
    assert "$28.67 (estimated" in code(over, taken_before).notes[-1]
    taken_after = take_snapshot(folder)
    # The fixture's 97110: (0.44 x 1.000 + 0.42 x 0.913 + 0.02 x 1.563) x 33.4009 = $28.55 in
    # 06102-99 (2026 GPCIs); 2451.45 + 28.55 = 2480.00 is not above the $2,480 threshold.
    below = code(visit(timed("97110", 15), episode=_episode("2451.45", True)), taken_after)
    assert lines(below) == [("97110", 1, ("GP",))] and "$28.55" in below.notes[-1]
    assert lines(code(over, taken_after)) == [("97110", 1, ("GP", "KX"))]
