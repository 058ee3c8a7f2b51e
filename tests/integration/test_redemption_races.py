"""Races on DynamoDB Local: many redemptions of little stock, many holds on one balance.

Each thread plays one Lambda execution environment with its own context and client (the HTTP
resolver keeps the current event on the instance, so threads must not share it)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from loyalty.errors import InsufficientPointsError, OutOfStockError
from loyalty.models.api import EnrollRequest
from loyalty.models.rewards import HoldRequest, RedemptionRequest, Reward
from loyalty.operations import holds, members, redemptions
from loyalty.store.reward_store import RewardStore
from tests.support.ledger import assert_adds_up, member_state
from tests.support.races import Race, fresh_context

pytestmark = pytest.mark.parametrize("backend", ["dynamodb-local"], indirect=True)


def test_fifty_redemptions_of_a_reward_with_stock_ten_exactly_ten_succeed(aws, shop, clock):
    # Given 50 members with 100 points each and a reward of 60 points with 10 in stock
    context = fresh_context(aws.table_name)
    for number in range(50):
        members.enroll(context, "acme", EnrollRequest(member_id=f"m{number}"))
    RewardStore(aws.table_name).put_reward(
        "acme", "phone", Reward(name="Phone", points_cost=60, stock=10), clock()
    )

    # When all of them redeem it at once
    def attempt(number: int) -> str:
        request = RedemptionRequest(redemption_id=f"r{number}", reward_id="phone")
        try:
            redemptions.redeem(fresh_context(aws.table_name), "acme", f"m{number}", request)
        except OutOfStockError:
            return "out of stock"
        return "redeemed"

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(attempt, range(50)))

    # Then exactly ten succeed, the stock is 0, and only the winners paid
    assert outcomes.count("redeemed") == 10
    assert outcomes.count("out of stock") == 40
    reward = RewardStore(aws.table_name).read_reward("acme", "phone")
    assert reward is not None
    assert reward.reward.stock == 0
    paid = 0
    for number in range(50):
        state = member_state(aws.dynamodb, aws.table_name, "acme", f"m{number}")
        assert_adds_up(state)
        paid += 100 - state.available
    assert paid == 10 * 60


def test_fifty_holds_on_one_balance_never_hold_more_than_it(aws, shop):
    # Given one member with 100 points
    context = fresh_context(aws.table_name)
    members.enroll(context, "acme", EnrollRequest(member_id="m1"))

    # When 50 checkouts each hold 7 points at once (the first 16 write at the same moment)
    race = Race(aws.table_name, parties=16)

    def attempt(number: int) -> str:
        request = HoldRequest(hold_id=f"h{number}", points=7)
        try:
            holds.reserve(race.context(), "acme", "m1", request)
        except InsufficientPointsError:
            return "refused"
        return "held"

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(attempt, range(50)))

    # Then 14 holds (98 points) succeed, never more than the balance, and the ledger adds up
    assert race.refused >= 15
    assert outcomes.count("held") == 14
    state = member_state(aws.dynamodb, aws.table_name, "acme", "m1")
    assert (state.available, state.held) == (2, 98)
    assert_adds_up(state)


def test_twenty_uses_of_one_coupon_at_once_exactly_one_succeeds(aws, shop):
    from decimal import Decimal

    from loyalty.errors import CouponUnusableError
    from loyalty.models.rewards import CouponIssueRequest, CouponTemplate, CouponUseRequest
    from loyalty.operations import coupons
    from loyalty.operations.context import Principal

    # Given a coupon of one member
    context = fresh_context(aws.table_name)
    members.enroll(context, "acme", EnrollRequest(member_id="m1"))
    admin = Principal(tenant_id="acme", scope="admin", key_id="k")
    template = CouponTemplate(name="Free shipping", kind="free_shipping")
    coupons.put_template(context, admin, "ship", template)
    code = coupons.issue(context, admin, "m1", CouponIssueRequest(issue_id="i1", template_id="ship")).body[
        "code"
    ]

    # When 20 checkouts use it at once, each for its own order
    race = Race(aws.table_name, parties=20)

    def attempt(number: int) -> str:
        request = CouponUseRequest(
            member_id="m1", amount=Decimal("10.00"), currency="CNY", order_id=f"o{number}"
        )
        try:
            coupons.use(race.context(), "acme", str(code), request)
        except CouponUnusableError:
            return "refused"
        return "used"

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(attempt, range(20)))

    # Then exactly one order got it
    assert race.refused >= 19
    assert outcomes.count("used") == 1
    assert outcomes.count("refused") == 19


def test_parallel_draws_never_win_more_prizes_than_the_stock(aws, shop):
    import random

    from loyalty.models.rewards import DrawRequest, Lottery
    from loyalty.operations import lotteries
    from loyalty.operations.context import Principal

    # Given 40 members and a lottery whose car (stock 3) comes up 9 times in 10
    context = fresh_context(aws.table_name)
    for number in range(40):
        members.enroll(context, "acme", EnrollRequest(member_id=f"m{number}"))
    table = {
        "name": "Draw",
        "points_cost": 10,
        "prizes": [
            {"prize_id": "car", "name": "Car", "weight": 9, "stock": 3},
            {"prize_id": "thanks", "name": "Sticker", "weight": 1},
        ],
        "fallback_prize_id": "thanks",
    }
    admin = Principal(tenant_id="acme", scope="admin", key_id="k")
    lotteries.put_lottery(context, admin, "spring", Lottery.model_validate(table))

    # When all draw at once (each with its own seeded source)
    def attempt(number: int) -> str:
        request = DrawRequest(draw_id=f"d{number}", lottery_id="spring")
        body = lotteries.draw(
            fresh_context(aws.table_name), "acme", f"m{number}", request, random.Random(number)
        )
        return str(body.body["prize_id"])

    with ThreadPoolExecutor(max_workers=16) as pool:
        won = list(pool.map(attempt, range(40)))

    # Then exactly the 3 cars were won, the rest fell back, and the stock is 0
    assert won.count("car") == 3
    assert won.count("thanks") == 37
    assert lotteries.read_lottery(context, "acme", "spring").body["prizes"][0]["stock"] == 0
