"""Spending arithmetic: campaign prices, holds and releases keep the lots, the checkout cap."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from loyalty.domain.ledger import Account, Lot
from loyalty.domain.redemption import capture, hold, max_points_for_order, points_cost, release, restore
from loyalty.errors import InsufficientPointsError
from loyalty.models.program import Program
from loyalty.models.rewards import Reward

TODAY = date(2026, 11, 23)
OLD, NEW = Lot(date(2027, 1, 31), 30), Lot(date(2028, 1, 31), 70)


def wallet() -> tuple[Account, list[Lot]]:
    return Account(available=100, version=3), [OLD, NEW]


def test_the_lowest_running_campaign_price_applies():
    reward = Reward.model_validate(
        {
            "name": "Mug",
            "points_cost": 100,
            "campaign_prices": [
                {"points_cost": 90, "starts_at": "2026-11-01T00:00:00Z", "ends_at": "2026-12-01T00:00:00Z"},
                {"points_cost": 50, "starts_at": "2026-12-01T00:00:00Z", "ends_at": "2026-12-02T00:00:00Z"},
            ],
        }
    )
    assert points_cost(reward, datetime(2026, 11, 23, tzinfo=UTC)) == 90
    assert points_cost(reward, datetime(2026, 12, 1, 12, tzinfo=UTC)) == 50
    assert points_cost(reward, datetime(2026, 12, 2, tzinfo=UTC)) == 100


def test_a_hold_takes_oldest_lots_and_its_release_puts_the_same_lots_back():
    account, lots = wallet()
    held, taken = hold(account, lots, 40, today=TODAY)
    assert (held.after.available, held.after.held, held.points) == (60, 40, 0)
    assert taken == [Lot(date(2027, 1, 31), 30), Lot(date(2028, 1, 31), 10)]
    released = release(held.after, list(held.lots_after), taken, today=TODAY)
    assert (released.after.available, released.after.held, released.points) == (100, 0, 0)
    assert sorted(released.lots_after, key=lambda lot: lot.spend_order) == [OLD, NEW]
    with pytest.raises(InsufficientPointsError):
        hold(account, lots, 101, today=TODAY)


def test_a_capture_spends_held_points_and_a_restore_credits_the_lots_taken():
    account, lots = wallet()
    held, taken = hold(account, lots, 40, today=TODAY)
    spent = capture(held.after, list(held.lots_after), 40, today=TODAY)
    assert (spent.after.available, spent.after.held, spent.points) == (60, 0, -40)
    restored = restore(spent.after, list(spent.lots_after), taken, today=TODAY)
    assert (restored.after.available, restored.points) == (100, 40)


def test_checkout_cap_rounds_down_under_share_and_point_value():
    program = Program.model_validate(
        {"redemption": {"max_share_of_order": 0.5}, "point_value": {"points": 100, "amount": "1.00"}}
    )
    assert program.redemption.max_share_of_order == Decimal("0.5")
    assert max_points_for_order(program, Decimal("1.99"), 10_000) == (99, Decimal("0.99"))
    assert max_points_for_order(program, Decimal("1000.00"), 1234) == (1234, Decimal("12.34"))
    assert max_points_for_order(program, Decimal("0.01"), 10_000) == (0, Decimal("0.00"))
