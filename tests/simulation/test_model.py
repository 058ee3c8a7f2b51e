"""The independent model's own arithmetic, on hand-computed cases (no table involved).

Owns confidence in the yardstick: if the model were wrong, the simulation would blame the ledger.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from tests.simulation.model import (
    ACCEPT,
    REPLAY,
    Adjust,
    Earn,
    Enroll,
    LedgerModel,
    Refund,
    TenantSpec,
    expiry_date,
    refuse,
)

RETURNS = TenantSpec("returns", "CNY", "UTC", 1, 0, {"policy": "never"}, pending_days=3)
SHOP = TenantSpec(
    "shop", "CNY", "Asia/Shanghai", 2, 100, {"policy": "rolling", "months": 24, "end_of_month": True}
)
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


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
