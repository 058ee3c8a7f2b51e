"""Tier rules as pure functions: the rolling window of monthly figures, qualification (any/all),
upgrade at once, evaluation with grace, at most N levels down, assigned floors, review dates and
what the member is shown."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from loyalty.domain.tiers import (
    Figures,
    TierStatus,
    after_earn,
    assign,
    evaluate,
    may_redeem,
    next_review,
    progress,
    qualified_level,
    record,
    window_figures,
)
from loyalty.models.program import Program, TierRules

ENROLLED = date(2025, 3, 10)


def ladder(**rules: Any) -> Program:
    return Program.model_validate(
        {
            "tiers": [
                {"id": "regular", "name": "Regular", "names": {"zh-CN": "普通会员"}},
                {
                    "id": "silver",
                    "name": "Silver",
                    "earn_multiplier": "2",
                    "qualify": {"spend": "1000.00", "purchases": 5, "combine": "any"},
                },
                {
                    "id": "gold",
                    "name": "Gold",
                    "qualify": {"spend": "5000.00", "purchases": 10, "combine": "all"},
                },
                {"id": "platinum", "name": "Platinum", "qualify": {"points": 20000}},
                {"id": "vip", "name": "VIP (invitation only)"},
            ],
            "tier_rules": rules,
        }
    )


def spent(amount: str, purchases: int = 1, points: int = 0) -> Figures:
    return Figures(Decimal(amount), purchases, points)


def status_with(buckets: dict[str, Figures], **fields: Any) -> TierStatus:
    return TierStatus(buckets=buckets, **fields)


# --- the window ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("window_months", "day", "expected_spend"),
    [
        pytest.param(12, date(2026, 11, 23), Decimal("300.00"), id="12-months-drops-nov-2025"),
        pytest.param(13, date(2026, 11, 23), Decimal("400.00"), id="13-months-keeps-nov-2025"),
        pytest.param(1, date(2026, 11, 1), Decimal("200.00"), id="this-month-only"),
        pytest.param(12, date(2026, 10, 31), Decimal("200.00"), id="a-month-earlier-keeps-nov-2025"),
    ],
)
def test_the_window_is_this_month_and_the_months_before(window_months, day, expected_spend):
    status = status_with(
        {
            "2025-10": spent("50.00"),
            "2025-11": spent("100.00"),
            "2026-01": spent("100.00"),
            "2026-11": spent("200.00"),
        }
    )
    assert window_figures(status, day, TierRules(window_months=window_months)).spend == expected_spend


def test_recording_adds_to_the_month_and_drops_months_no_window_can_reach():
    rules = TierRules(window_months=12)
    status = status_with({"2025-10": spent("50.00"), "2026-11": spent("10.00")})
    after = record(status, date(2026, 11, 2), spent("5.50", 1, 5), rules, today=date(2026, 11, 23))
    assert after.buckets == {"2026-11": Figures(Decimal("15.50"), 2, 5)}


def test_a_refund_never_takes_a_month_below_zero_and_a_month_out_of_the_window_is_ignored():
    rules = TierRules(window_months=12)
    status = status_with({"2026-10": spent("100.00", 1, 100)})
    refunded = record(
        status, date(2026, 10, 5), Figures(Decimal("-150.00"), -2, -200), rules, date(2026, 11, 1)
    )
    assert refunded.buckets == {"2026-10": Figures(Decimal("0.00"), 0, 0)}
    old = record(status, date(2024, 1, 1), Figures(Decimal("-1.00"), 0, 0), rules, date(2026, 11, 1))
    assert old.buckets == status.buckets


# --- qualification --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("figures", "level"),
    [
        pytest.param(spent("999.99", 4), 0, id="just-below-silver"),
        pytest.param(spent("1000.00", 1), 1, id="silver-exactly-at-spend"),
        pytest.param(spent("10.00", 5), 1, id="silver-by-purchases-any"),
        pytest.param(spent("5000.00", 9), 1, id="gold-needs-all-purchases-short"),
        pytest.param(spent("5000.00", 10), 2, id="gold-exactly-at-both"),
        pytest.param(Figures(Decimal(0), 0, 20000), 3, id="platinum-by-points-alone"),
        pytest.param(Figures(Decimal("99999"), 999, 19999), 2, id="vip-never-by-figures"),
    ],
)
def test_the_highest_tier_the_figures_reach(figures, level):
    assert qualified_level(ladder(), figures) == level


# --- up at once -----------------------------------------------------------------------------------
def test_an_earn_that_reaches_the_threshold_upgrades_at_once_with_the_reason():
    program = ladder()
    status = status_with({"2026-11": spent("1000.00", 1)})
    decision = after_earn(program, status, ENROLLED, date(2026, 11, 23))
    assert decision.change is not None
    assert (decision.change.from_tier, decision.change.to_tier, decision.change.reason) == (
        "regular",
        "silver",
        "qualified",
    )
    assert decision.status.tier_id == "silver"
    assert decision.status.since == date(2026, 11, 23)
    assert decision.status.review_on == date(2027, 3, 10)  # the membership anniversary
    assert decision.status.revision == 1


def test_an_earn_below_the_threshold_or_at_the_current_tier_changes_nothing():
    program = ladder()
    below = status_with({"2026-11": spent("999.99")})
    assert after_earn(program, below, ENROLLED, date(2026, 11, 23)).change is None
    silver = status_with({"2026-11": spent("1000.00")}, tier_id="gold", revision=4)
    decision = after_earn(program, silver, ENROLLED, date(2026, 11, 23))
    assert decision.change is None
    assert decision.status == silver


def test_an_earn_can_jump_several_tiers():
    decision = after_earn(
        ladder(), status_with({"2026-11": spent("5000.00", 10)}), ENROLLED, date(2026, 11, 23)
    )
    assert decision.change is not None
    assert decision.change.to_tier == "gold"


# --- evaluation -----------------------------------------------------------------------------------
def test_evaluation_keeps_a_tier_still_reached_and_moves_the_review_a_year():
    status = status_with(
        {"2027-02": spent("1000.00")}, tier_id="silver", review_on=date(2027, 3, 10), revision=2
    )
    decision = evaluate(ladder(), status, ENROLLED, date(2027, 3, 10))
    assert decision.change is None
    assert decision.status.review_on == date(2028, 3, 10)
    assert decision.status.revision == 3


def test_evaluation_downgrades_once_the_spend_has_left_the_window():
    status = status_with({"2026-02": spent("1000.00")}, tier_id="silver", review_on=date(2027, 3, 10))
    decision = evaluate(ladder(), status, ENROLLED, date(2027, 3, 10))
    assert decision.change is not None
    assert (decision.change.from_tier, decision.change.to_tier, decision.change.reason) == (
        "silver",
        "regular",
        "evaluation",
    )
    assert decision.status.tier_id is None
    assert decision.status.review_on is None  # the base tier has nothing to evaluate: out of the index


def test_evaluation_goes_down_at_most_the_program_s_levels():
    status = status_with({}, tier_id="platinum", review_on=date(2027, 3, 10))
    one = evaluate(ladder(), status, ENROLLED, date(2027, 3, 10))
    two = evaluate(ladder(max_levels_down=2), status, ENROLLED, date(2027, 3, 10))
    assert one.status.tier_id == "gold"
    assert one.status.review_on == date(2028, 3, 10)
    assert two.status.tier_id == "silver"


def test_evaluation_lands_on_what_the_figures_still_reach_when_that_is_above_the_levels_limit():
    status = status_with({"2027-01": spent("5000.00", 10)}, tier_id="platinum", review_on=date(2027, 3, 10))
    assert evaluate(ladder(max_levels_down=3), status, ENROLLED, date(2027, 3, 10)).status.tier_id == "gold"


def test_grace_period_first_then_the_downgrade_unless_requalified():
    program = ladder(grace_days=30)
    status = status_with({}, tier_id="gold", review_on=date(2027, 3, 10))
    graced = evaluate(program, status, ENROLLED, date(2027, 3, 10))
    assert graced.change is None
    assert graced.status.tier_id == "gold"
    assert graced.status.grace_until == graced.status.review_on == date(2027, 4, 9)
    after_grace = evaluate(program, graced.status, ENROLLED, date(2027, 4, 9))
    assert after_grace.change is not None
    assert after_grace.status.tier_id == "silver"
    assert after_grace.status.grace_until is None
    requalified = record(
        graced.status, date(2027, 4, 1), spent("5000.00", 10), program.tier_rules, date(2027, 4, 1)
    )
    kept = evaluate(program, requalified, ENROLLED, date(2027, 4, 9))
    assert kept.change is None
    assert kept.status.tier_id == "gold"
    assert kept.status.grace_until is None


def test_an_assigned_tier_is_held_until_its_end_then_evaluated_the_day_after():
    program = ladder()
    assigned = assign(
        program, TierStatus(), ENROLLED, date(2026, 11, 23), "vip", date(2027, 6, 30), "invited", "key_a"
    )
    assert assigned.change is not None
    assert (assigned.change.to_tier, assigned.change.reason) == ("vip", "assigned")
    assert (assigned.change.note, assigned.change.actor) == ("invited", "key_a")
    assert (assigned.status.assigned_reason, assigned.status.assigned_by) == ("invited", "key_a")
    assert assigned.status.review_on == date(2027, 3, 10)
    held = evaluate(program, assigned.status, ENROLLED, date(2027, 3, 10))
    assert held.change is None
    assert held.status.tier_id == "vip"
    assert held.status.review_on == date(2027, 7, 1)  # the assignment ends before the next anniversary
    fallen = evaluate(program, held.status, ENROLLED, date(2027, 7, 1))
    assert fallen.status.tier_id == "platinum"  # one level down, the floor is gone


def test_an_assignment_below_the_current_tier_is_a_floor_not_a_downgrade():
    status = status_with({}, tier_id="gold", review_on=date(2027, 3, 10))
    decision = assign(
        ladder(max_levels_down=3), status, ENROLLED, date(2026, 11, 23), "silver", None, "goodwill", "key_a"
    )
    assert decision.change is not None  # kept in the history, though nothing moved
    change = decision.change
    assert (change.from_tier, change.to_tier, change.reason, change.note) == (
        "gold",
        "gold",
        "assigned",
        "goodwill",
    )
    assert decision.status.tier_id == "gold"
    down = evaluate(ladder(max_levels_down=3), decision.status, ENROLLED, date(2027, 3, 10))
    assert down.status.tier_id == "silver"  # not below the assigned floor


@pytest.mark.parametrize(
    ("rules", "enrolled", "after", "expected"),
    [
        pytest.param({}, date(2025, 3, 10), date(2026, 3, 9), date(2026, 3, 10), id="anniversary-ahead"),
        pytest.param(
            {}, date(2025, 3, 10), date(2026, 3, 10), date(2027, 3, 10), id="anniversary-today-next-year"
        ),
        pytest.param(
            {}, date(2024, 2, 29), date(2026, 11, 1), date(2027, 2, 28), id="29-feb-in-a-common-year"
        ),
        pytest.param({}, date(2024, 2, 29), date(2027, 3, 1), date(2028, 2, 29), id="29-feb-in-a-leap-year"),
        pytest.param(
            {"evaluate_on": "date", "evaluation_date": "01-01"},
            date(2025, 3, 10),
            date(2026, 11, 23),
            date(2027, 1, 1),
            id="program-date",
        ),
    ],
)
def test_review_dates(rules, enrolled, after, expected):
    assert next_review(TierRules.model_validate(rules), enrolled, after) == expected


# --- what the member sees --------------------------------------------------------------------------
def test_progress_says_what_is_missing_for_the_next_tier_and_to_keep_this_one():
    program = ladder()
    status = status_with(
        {"2026-11": spent("1200.00", 3, 1200)}, tier_id="silver", review_on=date(2027, 3, 10)
    )
    shown = progress(program, status, date(2026, 11, 23))
    assert shown.figures == Figures(Decimal("1200.00"), 3, 1200)
    assert shown.window_from == date(2025, 12, 1)
    assert shown.next_tier is not None
    assert shown.next_tier.id == "gold"
    assert shown.next_missing == {"spend": "3800.00", "purchases": 7}
    assert (shown.keep_until, shown.keep_missing) == (date(2027, 3, 10), {})


def test_a_program_needs_a_date_for_date_evaluation_and_no_thresholds_on_the_base_tier():
    with pytest.raises(ValueError, match="evaluation_date"):
        TierRules(evaluate_on="date")
    with pytest.raises(ValueError, match="base"):
        Program.model_validate({"tiers": [{"id": "b", "name": "B", "qualify": {"points": 1}}]})


def test_a_reward_a_tier_lists_is_for_that_tier_and_higher():
    program = Program.model_validate(
        {
            "tiers": [
                {"id": "regular", "name": "Regular"},
                {"id": "silver", "name": "Silver", "qualify": {"spend": "1000.00"}},
                {
                    "id": "gold",
                    "name": "Gold",
                    "qualify": {"spend": "5000.00"},
                    "benefits": {"rewards": ["lounge"]},
                },
            ]
        }
    )
    assert may_redeem(program, TierStatus(tier_id="gold"), "lounge")
    assert not may_redeem(program, TierStatus(tier_id="silver"), "lounge")
    assert may_redeem(program, TierStatus(), "mug")
