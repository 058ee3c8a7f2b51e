"""The tier an import gave the member it enrolled, taken back by the import's revert: only while
the member holds it from the import, down to what the rules give now."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from loyalty.domain.import_tiers import ImportedTier, take_back
from loyalty.domain.memberships import buy
from loyalty.domain.tiers import Figures, TierStatus, assign
from loyalty.models.program import Program
from tests.support.programs import tiered_program

ENROLLED = date(2026, 11, 23)
TODAY = date(2026, 12, 1)
GOLD = ImportedTier("gold", date(2027, 6, 30), "key_import")


def program() -> Program:
    return tiered_program(
        {"plan_id": "s", "tier_id": "silver", "price": {"amount": "9.90", "currency": "CNY"}, "months": 3}
    )


def imported(status: TierStatus | None = None, given: ImportedTier = GOLD) -> TierStatus:
    status = status or TierStatus()
    decision = assign(program(), status, ENROLLED, ENROLLED, given.tier_id, given.until, "import", given.by)
    return decision.status


def test_the_imported_tier_is_taken_back_to_what_the_figures_reach_without_grace():
    rules = program()
    spent = imported(TierStatus(buckets={"2026-11": Figures(spend=Decimal("1200.00"))}))
    taken = take_back(rules, spent, ENROLLED, TODAY, GOLD, "revert of legacy line 2")
    assert taken is not None
    assert taken.change is not None
    assert (taken.status.tier_id, taken.status.assigned_id, taken.status.grace_until) == (
        "silver",
        None,
        None,
    )
    assert (taken.change.from_tier, taken.change.to_tier, taken.change.reason) == (
        "gold",
        "silver",
        "import_reverted",
    )
    # With nothing earned: the base tier, out of the review index
    bare = take_back(rules, imported(), ENROLLED, TODAY, GOLD, "revert")
    assert bare is not None
    assert (bare.status.tier_id, bare.status.review_on) == (None, None)


def test_a_tier_no_longer_held_from_the_import_is_left_alone():
    rules = program()
    # An admin assigned another tier since (or the same tier, with their own reason)
    admin = assign(rules, imported(), ENROLLED, TODAY, "gold", None, "VIP guest", "key_admin").status
    assert take_back(rules, admin, ENROLLED, TODAY, GOLD, "revert") is None
    # The assignment is over (the rules decide since its end)
    assert take_back(rules, imported(), ENROLLED, date(2027, 7, 1), GOLD, "revert") is None
    # Another import's assignment (another key)
    assert (
        take_back(rules, imported(), ENROLLED, TODAY, ImportedTier("gold", date(2027, 6, 30), "k2"), "r")
        is None
    )


def test_a_membership_in_force_or_an_own_higher_tier_keeps_the_member_where_the_rules_hold_them():
    rules = program()
    # A silver membership in force: down from gold to silver, not below
    with_plan, _ = buy(rules, imported(), ENROLLED, TODAY, "m-1", rules.membership_plans[0])
    taken = take_back(rules, with_plan.status, ENROLLED, TODAY, GOLD, "revert")
    assert taken is not None
    assert (taken.status.tier_id, taken.status.assigned_id) == ("silver", None)
    # An imported silver under a gold the member holds of their own: gold stays; the history
    # still records the assignment going (no tier.changed: nothing moved)
    silver = ImportedTier("silver", None, "key_import")
    gold_own = imported(TierStatus(tier_id="gold", review_on=date(2027, 11, 23)), silver)
    kept = take_back(rules, gold_own, ENROLLED, TODAY, silver, "revert")
    assert kept is not None
    assert kept.change is not None
    assert (kept.status.tier_id, kept.status.assigned_id) == ("gold", None)
    assert (kept.change.from_tier, kept.change.to_tier) == ("gold", "gold")
