"""The independent model's own arithmetic, on hand-computed cases (no table involved).

Owns confidence in the yardstick: if the model were wrong, the simulation would blame the ledger.
Earning (expiry dates, refunds, debt, the return window), spending (redemptions and their
cancellation, per-member limits and tier-only rewards, holds that lapse or are captured, draws
whose prize ran out), tier moves and the expiry run's arithmetic.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tests.simulation.oracle import ACCEPT, REPLAY, LedgerModel, expiry_date, refuse
from tests.simulation.requests import (
    Adjust,
    CancelRedemption,
    Capture,
    Draw,
    Earn,
    Enroll,
    Redeem,
    Refund,
    Release,
    Reserve,
)
from tests.simulation.specs import (
    LadderSpec,
    LotterySpec,
    PrizeSpec,
    RewardSpec,
    TenantSpec,
    TierSpec,
    draw_source,
)

RETURNS = TenantSpec("returns", "CNY", "UTC", 1, 0, {"policy": "never"}, pending_days=3)
SHOP = TenantSpec(
    "shop", "CNY", "Asia/Shanghai", 2, 100, {"policy": "rolling", "months": 24, "end_of_month": True}
)
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LOTTERY = LotterySpec(
    "spin",
    points_cost=5,
    prizes=(PrizeSpec("rare", 1, stock=1), PrizeSpec("common", 1)),
    empty_weight=0,
    fallback_prize_id="common",
    daily_limit=2,
)
STORE = TenantSpec(
    "store",
    "CNY",
    "UTC",
    1,
    0,
    {"policy": "days", "days": 10},
    rewards=(RewardSpec("mug", 50, stock=1), RewardSpec("tote", 10, per_member_limit=2)),
    lottery=LOTTERY,
    ladder=LadderSpec(
        tiers=(TierSpec("base"), TierSpec("silver", spend="100.00", rewards=("tote",))),
        window_months=2,
        evaluation_date="03-01",
        grace_days=10,
        max_levels_down=1,
    ),
)


def in_store(*grants: tuple[datetime, int]) -> LedgerModel:
    """ann (a silver member, so the tier's tote is hers to redeem) with points granted at times."""
    model = LedgerModel([STORE])
    model.apply(Enroll("store", "ann"), NOW)
    model.member("store", "ann").tier.level = 1
    for number, (when, points) in enumerate(grants):
        model.apply(Adjust("store", "ann", f"grant{number}", points, "grant"), when)
    return model


def enrolled() -> LedgerModel:
    model = LedgerModel([SHOP])
    model.apply(Enroll("shop", "ann"), NOW)
    return model


def test_given_a_rolling_policy_when_points_are_earned_late_in_utc_then_the_local_day_dates_the_lot():
    late = datetime(2026, 1, 31, 20, 0, tzinfo=UTC)  # already 1 February in Shanghai

    assert expiry_date(SHOP.expiry, late, SHOP.timezone) == date(2028, 2, 29)
    assert expiry_date({"policy": "rolling", "months": 1, "end_of_month": False}, late, "UTC") == date(
        2026, 2, 28
    )
    assert expiry_date({"policy": "fixed", "years_after": 2, "month": 12, "day": 31}, late, "UTC") == date(
        2028, 12, 31
    )
    assert expiry_date({"policy": "never"}, late, "UTC") is None


def test_given_spent_points_when_an_order_is_refunded_in_parts_then_the_next_earn_settles_the_debt():
    model = enrolled()
    model.apply(Earn("shop", "o1", "ann", "10.01", "CNY"), NOW)  # 20 points
    model.apply(Adjust("shop", "ann", "a1", -115, "spend"), NOW)  # 5 left

    first = model.apply(Refund("shop", "o1", "r1", "5.00"), NOW)  # floor(20 * 5.00 / 10.01) = 9
    second = model.apply(Refund("shop", "o1", "r2", "5.01"), NOW)  # the rest of the 20: 11
    settled = model.apply(Earn("shop", "o2", "ann", "15.00", "CNY"), NOW)

    assert (first.answer["points_clawed_back"], first.answer["debt_incurred"]) == (9, 4)
    assert (second.answer["points_clawed_back"], second.answer["debt_incurred"]) == (11, 11)
    assert (settled.answer["debt_settled"], settled.answer["points_credited"]) == (15, 15)
    member = model.member("shop", "ann")
    assert (member.points, member.debt, member.entries) == (15, 0, 6)


def test_given_lots_of_several_dates_when_points_are_deducted_then_the_oldest_expiry_goes_first():
    model = LedgerModel([SHOP])
    model.apply(Enroll("shop", "ann"), NOW)  # 100, expiring 2028-11-30
    model.apply(Earn("shop", "o1", "ann", "30.00", "CNY"), datetime(2027, 3, 1, tzinfo=UTC))  # 60, 2029-03-31

    model.apply(Adjust("shop", "ann", "a1", -120, "spend"), NOW)

    assert model.member("shop", "ann").by_expiry() == {date(2029, 3, 31): 40}


def test_given_applied_operations_when_they_come_again_then_same_body_replays_and_another_body_conflicts():
    model = enrolled()
    model.apply(Earn("shop", "o1", "ann", "12.30", "CNY"), NOW)

    assert model.decide(Earn("shop", "o1", "ann", "12.3", "CNY"), NOW) == REPLAY
    assert model.decide(Earn("shop", "o1", "ann", "12.31", "CNY"), NOW) == refuse("idempotency-conflict")
    assert model.decide(Refund("shop", "o1", "r1", "12.31"), NOW) == refuse("refund-exceeds-purchase")
    assert model.decide(Refund("shop", "o9", "r1", "1"), NOW) == refuse("purchase-not-found")
    assert model.decide(Adjust("shop", "ann", "a1", -125, "x"), NOW) == refuse("insufficient-points")
    assert model.decide(Adjust("shop", "ann", "a1", -124, "x"), NOW) == ACCEPT
    assert model.decide(Earn("shop", "o2", "bob", "1", "USD"), NOW) == refuse(
        "invalid-request", "member-not-found"
    )


def test_given_a_return_window_when_a_purchase_is_refunded_inside_it_then_its_pending_points_go_first():
    model = LedgerModel([RETURNS])
    model.apply(Enroll("returns", "ann"), NOW)
    model.apply(Adjust("returns", "ann", "a1", 10, "welcome"), NOW)
    model.apply(Earn("returns", "o1", "ann", "50.00", "CNY"), NOW)  # pending until 26 November
    member = model.member("returns", "ann")
    assert (member.available(NOW.date()), member.pending(NOW.date())) == (10, 50)
    assert model.decide(Adjust("returns", "ann", "a2", -11, "spend"), NOW) == refuse("insufficient-points")

    refund = model.apply(Refund("returns", "o1", "r1", "20.00"), NOW)

    assert refund.answer["points_debited"] == 20
    assert (member.available(NOW.date()), member.pending(NOW.date())) == (10, 30)
    later = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
    assert (member.available(later.date()), member.pending(later.date())) == (40, 0)
    assert model.decide(Adjust("returns", "ann", "a2", -40, "spend"), later) == ACCEPT


def test_given_a_days_policy_when_points_are_earned_then_they_last_that_many_local_days():
    assert expiry_date({"policy": "days", "days": 30}, NOW, "America/St_Johns") == date(2026, 12, 23)


def test_given_two_lots_when_a_redemption_is_cancelled_then_the_very_lots_stock_and_count_come_back():
    model = in_store((NOW, 30), (NOW + timedelta(days=1), 40))  # lots expiring 3 and 4 December
    member = model.member("store", "ann")

    redeemed = model.apply(Redeem("store", "ann", "d1", "mug"), NOW)
    assert member.by_expiry() == {date(2026, 12, 4): 20}  # the oldest lot first
    assert (model.stock[("store", "mug")], redeemed.entry_points) == (0, -50)
    model.apply(Adjust("store", "ann", "more", 100, "grant"), NOW)  # into the 3 December lot
    assert model.decide(Redeem("store", "ann", "d2", "mug"), NOW) == refuse("out-of-stock")

    cancelled = model.apply(CancelRedemption("store", "ann", "d1"), NOW)

    assert cancelled.answer["points_returned"] == 50
    assert member.by_expiry() == {date(2026, 12, 3): 100 + 30, date(2026, 12, 4): 20 + 20}
    assert (model.stock[("store", "mug")], model.redeemed[("store", "mug")], member.reward_counts) == (
        1,
        0,
        {"mug": 0},
    )
    assert model.decide(CancelRedemption("store", "ann", "d1"), NOW) == REPLAY
    assert model.decide(CancelRedemption("store", "bob", "d1"), NOW) == refuse("idempotency-conflict")


def test_given_a_per_member_limit_when_a_member_redeems_past_it_then_it_is_refused_before_or_after_spending():
    model = in_store((NOW, 100))
    model.apply(Redeem("store", "ann", "d1", "tote", 2), NOW)

    assert model.decide(Redeem("store", "ann", "d2", "tote"), NOW) == refuse("member-limit-reached")
    assert model.decide(Redeem("store", "ann", "d3", "tote", 3), NOW) == refuse("member-limit-reached")
    model.member("store", "ann").tier.level = 0
    assert model.decide(Redeem("store", "ann", "d4", "tote"), NOW) == refuse("reward-unavailable")


def test_given_a_hold_when_it_lapses_then_a_spend_counts_its_points_and_a_capture_finds_it_closed():
    model = in_store((NOW, 100))
    member = model.member("store", "ann")
    model.apply(Reserve("store", "ann", "h1", 60, 600, "co1"), NOW)
    assert (member.available(NOW.date()), member.held, member.points) == (40, 60, 40)
    assert model.decide(Redeem("store", "ann", "d1", "mug"), NOW) == refuse("insufficient-points")

    later = NOW + timedelta(seconds=600)

    assert model.releases_on_the_way(Redeem("store", "ann", "d1", "mug"), later) == ["h1"]
    assert model.decide(Redeem("store", "ann", "d1", "mug"), later) == ACCEPT
    assert model.decide(Capture("store", "h1", "co1"), later) == refuse("hold-closed")
    assert model.releases_on_the_way(Capture("store", "h1", "co1"), later) == ["h1"]
    model.release_lapsed("store", "h1", later)
    assert (member.held, member.by_expiry(), member.entries) == (0, {date(2026, 12, 3): 100}, 4)
    assert model.decide(Release("store", "h1"), later) == REPLAY


def test_given_a_hold_when_it_is_captured_in_time_then_its_points_are_spent_and_it_cannot_be_released():
    model = in_store((NOW, 100))
    model.apply(Reserve("store", "ann", "h1", 60, 600), NOW)

    captured = model.apply(Capture("store", "h1", "co1"), NOW + timedelta(seconds=599))

    member = model.member("store", "ann")
    assert (captured.entry_points, member.held, member.points) == (-60, 0, 40)
    assert model.decide(Release("store", "h1"), NOW) == refuse("hold-closed")
    assert model.decide(Capture("store", "h1", "co2"), NOW) == refuse("idempotency-conflict")


def test_given_a_prize_that_ran_out_when_the_roll_hits_it_then_the_fallback_is_won_up_to_the_daily_limit():
    model = in_store((NOW, 100))
    hitting = [f"w{n}" for n in range(100) if draw_source("store", f"w{n}").randrange(2) == 0][:3]

    first = model.apply(Draw("store", "ann", hitting[0], "spin"), NOW)
    second = model.apply(Draw("store", "ann", hitting[1], "spin"), NOW)

    assert (first.answer["prize_id"], first.answer["fell_back"]) == ("rare", False)
    assert (second.answer["prize_id"], second.answer["drawn_prize_id"], second.answer["fell_back"]) == (
        "common",
        "rare",
        True,
    )
    assert model.prizes[("store", "spin", "rare")] == 0
    assert model.decide(Draw("store", "ann", hitting[2], "spin"), NOW) == refuse("member-limit-reached")
    assert model.decide(Draw("store", "ann", hitting[2], "spin"), NOW + timedelta(days=1)) == ACCEPT


def test_given_a_ladder_when_figures_reach_and_then_leave_a_tier_then_up_at_once_grace_then_down():
    model = LedgerModel([STORE])
    model.apply(Enroll("store", "ann"), NOW)
    status = model.member("store", "ann").tier

    raised = model.apply(Earn("store", "o1", "ann", "120.00", "CNY"), datetime(2026, 12, 5, tzinfo=UTC))

    assert raised.answer["tier_change"] == {"from_tier": "base", "to_tier": "silver", "reason": "qualified"}
    assert (status.level, status.review_on) == (1, date(2027, 3, 1))
    assert not model.review_due("store", "ann", datetime(2027, 2, 28, 23, 59, tzinfo=UTC))
    assert model.review_due("store", "ann", datetime(2027, 3, 1, tzinfo=UTC))
    assert model.review("store", "ann") == (1, 1)  # the window (February, March) holds nothing: grace
    assert (status.review_on, status.grace_until) == (date(2027, 3, 11), date(2027, 3, 11))
    assert model.review("store", "ann") == (1, 0)
    assert (status.review_on, status.grace_until) == (None, None)


def test_given_lots_past_their_day_when_the_expiry_run_comes_then_they_go_pending_or_not():
    model = LedgerModel([STORE])
    model.apply(Enroll("store", "ann"), NOW)
    model.apply(Adjust("store", "ann", "a1", 30, "grant"), NOW)  # last day 3 December
    model.apply(Adjust("store", "ann", "a2", 5, "grant"), NOW + timedelta(days=5))
    on_the_day = datetime(2026, 12, 3, 23, 59, tzinfo=UTC)
    assert model.expiry_due("store", "ann", on_the_day) == 0

    expired = model.expire("store", "ann", on_the_day + timedelta(minutes=1))

    assert (expired.entry_points, model.member("store", "ann").by_expiry()) == (-30, {date(2026, 12, 8): 5})
    assert ("store", "expire", "ann@2026-12-04") in model.applied
