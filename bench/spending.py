"""The member operations that landed after the first bench rows: spending points (catalog
redemptions and their cancellation, checkout holds, coupons bought with points, lottery draws),
coupons given and used, activities, and an admin's tier assignment. Each is metered on the bench
member like the first rows; what they need (a catalog reward, a coupon template, a lottery, points
to spend) is set up through the operations the admin API calls."""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal

from bench.items import WrittenItems, written_items
from bench.meter import Meter, OperationCost
from bench.table import TABLE, TENANT
from loyalty.models.api import ActivityRequest, AdjustmentRequest, TierAssignmentRequest
from loyalty.models.rewards import (
    CaptureRequest,
    CouponIssueRequest,
    CouponTemplate,
    CouponUseRequest,
    DrawRequest,
    HoldRequest,
    Lottery,
    RedemptionRequest,
    Reward,
)
from loyalty.operations import activities, adjustments, coupons, holds, lotteries, redemptions
from loyalty.operations.context import Context, Outcome, Principal
from loyalty.operations.tiers import assign_tier
from loyalty.store import keys

ADMIN = Principal(TENANT, "admin", "key_bench")
SERVER = Principal(TENANT, "server", "key_bench")
# The costliest shapes of each: stock and a per-member limit (two more conditional items in the
# transaction), a prize with stock (one more), a coupon with a minimum spend.
REWARD = Reward.model_validate({"name": "Mug", "points_cost": 100, "stock": 1000, "per_member_limit": 5})
TEMPLATE = CouponTemplate.model_validate(
    {"name": "10 off", "kind": "amount_off", "amount_off": "10.00", "min_spend": "50.00", "points_cost": 50}
)
LOTTERY = Lottery.model_validate(
    {
        "name": "Daily draw",
        "points_cost": 10,
        "prizes": [{"prize_id": "sticker", "name": "Sticker", "weight": 1, "stock": 1000}],
        "daily_limit": 5,
    }
)


def measure_spending(
    context: Context, meter: Meter, member_id: str
) -> tuple[list[OperationCost], WrittenItems]:
    """The rows, and the items a redemption writes (sized, for AWS's rules)."""
    redemptions.put_reward(context, ADMIN, "mug", REWARD)
    coupons.put_template(context, ADMIN, "ten-off", TEMPLATE)
    lotteries.put_lottery(context, ADMIN, "daily", LOTTERY)
    topup = AdjustmentRequest(adjustment_id="spending", points=2000, reason="bench")
    adjustments.adjust(context, ADMIN, member_id, topup)
    rows: list[OperationCost] = []

    def run(name: str, operation: Callable[[], Outcome]) -> Outcome:
        outcome, reading = meter.read(operation)
        rows.append(OperationCost.of(name, reading))
        return outcome

    redeem = RedemptionRequest(redemption_id="d1", reward_id="mug")
    redeemed = run(
        "redemption (reward with stock and a per-member limit)",
        lambda: redemptions.redeem(context, TENANT, member_id, redeem),
    )
    items = _redemption_items(context, member_id, redeemed)
    run("redemption cancel", lambda: redemptions.cancel(context, TENANT, member_id, "d1"))

    hold = HoldRequest(hold_id="h1", points=50, order_id="oh1")
    run("hold reserve", lambda: holds.reserve(context, TENANT, member_id, hold))
    capture = CaptureRequest(order_id="oh1")
    run("hold capture", lambda: holds.capture_hold(context, TENANT, "h1", capture))
    holds.reserve(context, TENANT, member_id, HoldRequest(hold_id="h2", points=50))
    run("hold release", lambda: holds.release_hold(context, TENANT, "h2"))

    buy = CouponIssueRequest(issue_id="i1", template_id="ten-off", pay_with_points=True)
    bought = run("coupon bought with points", lambda: coupons.issue(context, SERVER, member_id, buy))
    gift = CouponIssueRequest(issue_id="i2", template_id="ten-off")
    run("coupon given by an admin", lambda: coupons.issue(context, ADMIN, member_id, gift))
    use = CouponUseRequest(member_id=member_id, amount=Decimal("100.00"), currency="CNY", order_id="oc1")
    run("coupon use", lambda: coupons.use(context, TENANT, str(bought.body["code"]), use))

    draw = DrawRequest(draw_id="w1", lottery_id="daily")
    run(
        "lottery draw (prize with stock won, daily limit)",
        lambda: lotteries.draw(context, TENANT, member_id, draw, random.Random(7)),
    )
    review = ActivityRequest(activity_id="review-1", member_id=member_id, type="review")
    run("activity earn (review)", lambda: activities.record_activity(context, TENANT, review))
    silver = TierAssignmentRequest(tier_id="silver", reason="bench")
    run("tier assignment by an admin (upgrade)", lambda: assign_tier(context, ADMIN, member_id, silver))
    return rows, items


def _redemption_items(context: Context, member_id: str, redeemed: Outcome) -> WrittenItems:
    member_pk = keys.member_pk(TENANT, member_id)
    return written_items(
        context.ledger.client,
        TABLE,
        {
            "member": {"PK": member_pk, "SK": keys.MEMBER_SK},
            "ledger entry": {"PK": member_pk, "SK": keys.entry_sk(int(str(redeemed.body["entry_id"])))},
            "operation record": {
                "PK": keys.operation_pk(TENANT, redemptions.REDEMPTION, "d1"),
                "SK": keys.OPERATION_SK,
            },
            "reward (stock, updated)": {"PK": keys.tenant_pk(TENANT), "SK": keys.reward_sk("mug")},
            "member's count of the reward (updated)": {"PK": member_pk, "SK": keys.reward_count_sk("mug")},
            "redemption record": {"PK": member_pk, "SK": keys.redemption_sk("d1")},
        },
    )
