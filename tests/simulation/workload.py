"""The workload: the simulated tenants and their catalogs, and the requests a seeded shop sends.

Owns what is asked, never whether it worked: the tenants (time zones from UTC-8 to UTC+14, expiry
policies rolling, fixed, by days and never, a 3-day return window, one tier ladder), each tenant's
catalog (a reward with little stock, one with a per-member limit, one for the top tier only),
coupon templates (three for sale, one not) and lottery (prizes with little stock, a fallback, a
daily limit), and the builder of each kind of request. Every choice comes from the simulator's one
RNG; the model is consulted only to aim (a member's available points, an order not yet refunded,
a hold that exists), so a seed always builds the same requests.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from tests.simulation.oracle import LedgerModel
from tests.simulation.requests import (
    Adjust,
    BuyCoupon,
    CancelRedemption,
    Capture,
    Draw,
    Earn,
    Enroll,
    Fulfil,
    HoldRefund,
    Poison,
    Redeem,
    Refund,
    Release,
    Request,
    Reserve,
    UseCoupon,
)
from tests.simulation.specs import (
    CouponSpec,
    LadderSpec,
    LotterySpec,
    PlanSpec,
    PrizeSpec,
    RewardSpec,
    TenantSpec,
    TierSpec,
    VelocitySpec,
    coupon_code,
)

UNKNOWN_TENANT = "ghost-shop"
MAX_CENTS = 9_999_999_999  # 99,999,999.99: the largest amount the API accepts
MAX_POINTS = 1_000_000_000  # the largest adjustment the API accepts
NAMES = (None, "Ann", "Bo", "Chen Li", "Dara")

REWARDS = (
    RewardSpec("mug", 150, stock=12),  # runs out; cancellations give stock back
    RewardSpec("tote", 400, per_member_limit=2),
    RewardSpec("voucher", 40),
)
LOUNGE = RewardSpec("lounge", 250, stock=30, per_member_limit=1)  # gold members only (echo)
COUPONS = (
    CouponSpec(
        "five-off", "amount_off", valid_days=14, points_cost=100, amount_off="5.00", min_spend="20.00"
    ),
    CouponSpec("tenth-off", "percent_off", valid_days=45, points_cost=150, percent_off=10),
    CouponSpec("shipping", "free_shipping", valid_days=7, points_cost=60),
    CouponSpec("gift", "amount_off", valid_days=30, points_cost=None, amount_off="3.00"),  # not for sale
)
LOTTERY = LotterySpec(
    "spin",
    points_cost=30,
    prizes=(PrizeSpec("jackpot", 1, stock=2), PrizeSpec("plush", 10, stock=15), PrizeSpec("sticker", 30)),
    empty_weight=59,
    fallback_prize_id="sticker",
    daily_limit=3,
)
LADDER = LadderSpec(
    tiers=(
        TierSpec("base"),
        TierSpec("silver", spend="250.00"),
        TierSpec("gold", spend="800.00", rewards=("lounge",)),
    ),
    window_months=2,
    evaluation_date="03-01",  # 14 weeks into a run that starts on 23 November
    grace_days=10,
    max_levels_down=1,
)

# Paid memberships on echo's ladder (tests/simulation/memberships.py buys them): short enough that
# many end, and lapse, within a run.
PLANS = (
    PlanSpec("silver-month", "silver", "9.90", 1),
    PlanSpec("gold-two-months", "gold", "29.00", 2),
)

TENANTS = (
    TenantSpec(
        "acme",
        "CNY",
        "Asia/Shanghai",
        1,
        100,
        {"policy": "rolling", "months": 24, "end_of_month": True},
        rewards=REWARDS,
        coupons=COUPONS,
        lottery=LOTTERY,
    ),
    TenantSpec(
        "bolt",
        "USD",
        "America/Los_Angeles",
        2,
        0,
        {"policy": "never"},
        pending_days=3,
        rewards=REWARDS,
        coupons=COUPONS,
        lottery=LOTTERY,
        # a busy member's earns past the week's limit are withheld (a review)
        velocity=(VelocitySpec(window_minutes=10_080, max_earns=4),),
    ),
    TenantSpec(
        "cove",
        "EUR",
        "Pacific/Kiritimati",
        5,
        50,
        {"policy": "rolling", "months": 2, "end_of_month": False},  # expires within a run, at UTC+14
        rewards=REWARDS,
        coupons=COUPONS,
        lottery=LOTTERY,
    ),
    TenantSpec(
        "dune",
        "GBP",
        "Europe/London",
        3,
        20,
        {"policy": "fixed", "years_after": 2, "month": 12, "day": 31},
        rewards=REWARDS,
        coupons=COUPONS,
        lottery=LOTTERY,
        # a huge purchase (or a busy day) freezes the member: its spends are refused from then on
        velocity=(VelocitySpec(window_minutes=1_440, max_points=300_000, action="freeze"),),
    ),
    TenantSpec(
        "echo",
        "CAD",
        "America/St_Johns",  # UTC-3:30: a half-hour zone
        2,
        25,
        {"policy": "days", "days": 30},
        rewards=(*REWARDS, LOUNGE),
        coupons=COUPONS,
        lottery=LOTTERY,
        ladder=LADDER,
        plans=PLANS,
    ),
)

# Relative weights of the operations the workload generates.
WORKLOAD = {
    "enroll": 8,
    "enroll-again": 1,
    "earn-http": 18,
    "earn-queue": 20,
    "refund": 12,
    "adjust": 8,
    "replay": 6,
    "conflict": 3,
    "retry": 5,
    "redeem": 6,
    "cancel-redemption": 2,
    "fulfil": 1,
    "hold": 5,
    "capture": 2,
    "release": 1,
    "buy-coupon": 3,
    "use-coupon": 3,
    "draw": 4,
}


class Workload:
    """What the shops have sent so far, and the builder of each next request."""

    def __init__(self, rng: random.Random, model: LedgerModel, clock: Callable[[], datetime]) -> None:
        self.rng = rng
        self.model = model
        self.clock = clock
        tenants = [tenant.tenant_id for tenant in TENANTS]
        self.counters: Counter[tuple[str, str]] = Counter()
        self.enrolled: dict[str, list[str]] = {tenant: [] for tenant in tenants}
        self.orders: dict[str, list[Earn]] = {tenant: [] for tenant in tenants}
        self.redemptions: dict[str, list[Redeem]] = {tenant: [] for tenant in tenants}
        self.holds: dict[str, list[Reserve]] = {tenant: [] for tenant in tenants}
        self.coupons: dict[str, list[BuyCoupon]] = {tenant: [] for tenant in tenants}

    def next_id(self, tenant: str, prefix: str) -> str:
        self.counters[(tenant, prefix)] += 1
        return f"{prefix}{self.counters[(tenant, prefix)]}"

    def member(self, tenant: str) -> str:
        members_ = self.enrolled[tenant]
        if self.rng.random() < 0.25:
            return self.rng.choice(members_[:5])  # a few busy members with long ledgers
        return self.rng.choice(members_)

    def _member_or_ghost(self, tenant: str, ghosts: float = 0.03) -> str:
        return self.member(tenant) if self.rng.random() >= ghosts else self.next_id(tenant, "ghost")

    # --- earning -------------------------------------------------------------------------------------
    def enroll(self, tenant: str) -> Enroll:
        member = self.next_id(tenant, "m")
        self.enrolled[tenant].append(member)
        return Enroll(tenant, member, self.rng.choice(NAMES))

    def enroll_again(self, tenant: str) -> Enroll:
        member = self.rng.choice(self.enrolled[tenant])
        applied = self.model.applied.get((tenant, "enroll", member))
        name = applied.request.key[0] if applied and self.rng.random() < 0.5 else self.rng.choice(NAMES)
        return Enroll(tenant, member, name)

    def amount(self) -> Decimal:
        roll = self.rng.random()
        if roll < 0.1:
            cents = self.rng.randint(1, 99)  # less than one unit: may earn nothing
        elif roll < 0.98:
            cents = self.rng.randint(100, 40_000)
        else:
            cents = self.rng.randint(1_000_000, 9_999_999_999)  # up to 99,999,999.99
        return Decimal(cents) / 100

    def spell(self, amount: Decimal) -> str:
        text = f"{amount:.2f}"
        if self.rng.random() < 0.15 and text.endswith("0"):
            text = text.rstrip("0").rstrip(".")  # "12.30" as "12.3", "12.00" as "12": the same amount
        return text

    def purchase(self, tenant: str) -> Earn:
        spec = self.model.tenants[tenant]
        roll = self.rng.random()
        member = self.member(tenant)
        currency = spec.currency
        if roll < 0.03:
            member = self.next_id(tenant, "ghost")  # never enrolled
        elif roll < 0.05:
            currency = "XTS"  # not this program's currency
        elif roll < 0.13 and self.orders[tenant]:
            return self.respelled(self.rng.choice(self.orders[tenant]))  # the same purchase again
        earn = Earn(tenant, self.next_id(tenant, "o"), member, self.spell(self.amount()), currency)
        self.orders[tenant].append(earn)
        return earn

    def refund(self, tenant: str) -> Refund:
        refund_id = self.next_id(tenant, "r")
        if not self.orders[tenant] or self.rng.random() < 0.08:
            return Refund(tenant, f"o{self.rng.randint(1, 10**6)}x", refund_id, self.spell(self.amount()))
        earn = self.rng.choice(self.orders[tenant])
        order = self.model.orders.get((tenant, earn.order_id))
        total = order.amount if order else Decimal(earn.amount)
        left_cents = int((total - (order.refunded if order else 0)) * 100)
        roll = self.rng.random()
        if roll < 0.35 and left_cents > 1:
            cents = self.rng.randint(1, left_cents - 1)  # partial
        elif roll < 0.6 and left_cents > 0:
            cents = left_cents  # the rest: a full refund
        elif roll < 0.75:
            cents = min(left_cents + self.rng.randint(1, 5_000), MAX_CENTS)  # beyond the purchase
        elif roll < 0.9:
            cents = 1
        else:
            cents = max(1, left_cents // 2)
        return Refund(tenant, earn.order_id, refund_id, self.spell(Decimal(cents) / 100))

    def adjustment(self, tenant: str) -> Adjust:
        member = self._member_or_ghost(tenant)
        adjustment_id = self.next_id(tenant, "a")
        reason = self.rng.choice(("goodwill", "correction", "fraud review", "migration"))
        if self.rng.random() < 0.5:
            points = self.rng.randint(1, 2_000) if self.rng.random() > 0.01 else self.rng.randint(1, 10**7)
            return Adjust(tenant, member, adjustment_id, points, reason)
        available = self.model.available(tenant, member, self.clock())
        if available > 0 and self.rng.random() < 0.55:
            return Adjust(tenant, member, adjustment_id, -self.rng.randint(1, available), reason)
        points = min(available + self.rng.randint(1, 500), MAX_POINTS)  # beyond what is available
        return Adjust(tenant, member, adjustment_id, -points, reason)

    # --- spending ------------------------------------------------------------------------------------
    def redeem(self, tenant: str) -> Redeem:
        spec = self.model.tenants[tenant]
        reward = self.rng.choice(spec.rewards).reward_id if self.rng.random() > 0.03 else "ghost-reward"
        if tenant != "echo" and self.rng.random() < 0.05:
            reward = "lounge"  # only echo lists it
        quantity = 1 if self.rng.random() < 0.8 else self.rng.randint(2, 3)
        request = Redeem(tenant, self._member_or_ghost(tenant), self.next_id(tenant, "d"), reward, quantity)
        self.redemptions[tenant].append(request)
        return request

    def _sent(self, sent: list[Any], exists: Callable[[Any], bool]) -> Any | None:
        """One of the recent requests sent, most often one that took effect."""
        recent = sent[-60:]
        if not recent:
            return None
        landed = [request for request in recent if exists(request)]
        return self.rng.choice(landed if landed and self.rng.random() < 0.85 else recent)

    def redemption_change(self, tenant: str, fulfil: bool) -> CancelRedemption | Fulfil:
        redemptions = self.model.redemptions
        chosen = self._sent(self.redemptions[tenant], lambda r: (tenant, r.redemption_id) in redemptions)
        if chosen is None or self.rng.random() < 0.04:
            member, redemption_id = self.member(tenant), f"d{self.rng.randint(1, 10**6)}x"
        else:
            member, redemption_id = chosen.member_id, chosen.redemption_id
            if self.rng.random() < 0.04:
                member = self.member(tenant)  # another member's redemption: not found
        return (Fulfil if fulfil else CancelRedemption)(tenant, member, redemption_id)

    def reserve(self, tenant: str) -> Reserve:
        member = self._member_or_ghost(tenant)
        available = self.model.available(tenant, member, self.clock())
        roll = self.rng.random()
        if available > 0 and roll < 0.6:
            points = self.rng.randint(1, available)
        elif roll < 0.8:
            points = available + self.rng.randint(1, 300)  # beyond what is available
        else:
            points = self.rng.randint(1, 50)
        ttl = self.rng.choice((10, 600, 3600, 3 * 3600, 6 * 3600, 86400, 86400))
        order_id = self.next_id(tenant, "co") if self.rng.random() < 0.5 else None
        request = Reserve(tenant, member, self.next_id(tenant, "h"), min(points, MAX_POINTS), ttl, order_id)
        self.holds[tenant].append(request)
        return request

    def _hold(self, tenant: str) -> str:
        sent = self.holds[tenant]
        if sent and self.rng.random() < 0.6:
            return self.rng.choice(sent[-3:]).hold_id  # a checkout still in progress
        held = self._sent(sent, lambda r: (tenant, r.hold_id) in self.model.holds)
        return (
            held.hold_id
            if held is not None and self.rng.random() > 0.04
            else f"h{self.rng.randint(1, 10**6)}x"
        )

    def capture(self, tenant: str) -> Capture:
        hold_id = self._hold(tenant)
        hold = self.model.holds.get((tenant, hold_id))
        order_id = hold.order_id if hold and hold.order_id and self.rng.random() < 0.7 else None
        return Capture(tenant, hold_id, order_id or self.next_id(tenant, "co"), _part(tenant, hold_id, hold))

    def refunds(self, capture: Capture) -> list[HoldRefund]:
        """Refunds of a captured order's points for about a third of the captures: one of part of
        them, sometimes a second one that may sum past the capture (409). Chosen by the hold's id."""
        tenant, hold_id = capture.tenant_id, capture.hold_id
        hold = self.model.holds.get((tenant, hold_id))
        pick = random.Random(f"{tenant}/{hold_id}/refund")
        if hold is None or not hold.captured or pick.random() < 0.67:
            return []
        first = HoldRefund(tenant, hold_id, f"{hold_id}-r1", pick.randint(1, hold.captured))
        if pick.random() < 0.5:
            return [first]
        return [first, HoldRefund(tenant, hold_id, f"{hold_id}-r2", pick.randint(1, hold.captured))]

    def release(self, tenant: str) -> Release:
        return Release(tenant, self._hold(tenant))

    def buy_coupon(self, tenant: str) -> BuyCoupon:
        spec = self.model.tenants[tenant]
        template = self.rng.choice(spec.coupons).template_id if self.rng.random() > 0.03 else "ghost-template"
        request = BuyCoupon(tenant, self._member_or_ghost(tenant), self.next_id(tenant, "i"), template)
        self.coupons[tenant].append(request)
        return request

    def use_coupon(self, tenant: str) -> UseCoupon:
        spec = self.model.tenants[tenant]
        bought = self._sent(
            self.coupons[tenant], lambda b: (tenant, coupon_code(tenant, b.issue_id)) in self.model.coupons
        )
        if bought is None or self.rng.random() < 0.03:
            code, owner = "UNKNOWNCODE23456", self.member(tenant)
        else:
            code, owner = coupon_code(tenant, bought.issue_id), bought.member_id
        coupon = self.model.coupons.get((tenant, code))
        if coupon and coupon.order_id and self.rng.random() < 0.4:
            order_id = coupon.order_id  # the same order again: answered the same
        else:
            order_id = self.next_id(tenant, "co")
        member = owner if self.rng.random() > 0.05 else self.member(tenant)
        currency = spec.currency if self.rng.random() > 0.03 else "XTS"
        amount = self.spell(Decimal(self.rng.randint(100, 30_000)) / 100)
        return UseCoupon(tenant, code, member, order_id, amount, currency)

    def follow_up(self, request: Reserve | BuyCoupon) -> Capture | Release | UseCoupon:
        """What a checkout does next with its hold, or a member with the coupon it just bought."""
        tenant = request.tenant_id
        if isinstance(request, Reserve):
            if self.rng.random() < 0.75:
                hold = self.model.holds.get((tenant, request.hold_id))
                order_id = request.order_id or self.next_id(tenant, "co")
                if request.order_id and random.Random(f"{tenant}/{request.hold_id}/order").random() < 0.08:
                    order_id = self.next_id(tenant, "co")  # a checkout naming another order: refused
                return Capture(tenant, request.hold_id, order_id, _part(tenant, request.hold_id, hold))
            return Release(tenant, request.hold_id)
        template = self.model.tenants[tenant].coupon(request.template_id)
        least = Decimal(template.min_spend) if template and template.min_spend else Decimal(1)
        amount = least + Decimal(self.rng.randint(0, 20_000)) / 100
        code = coupon_code(tenant, request.issue_id)
        spec = self.model.tenants[tenant]
        return UseCoupon(
            tenant, code, request.member_id, self.next_id(tenant, "co"), self.spell(amount), spec.currency
        )

    def draw(self, tenant: str) -> Draw:
        lottery = "spin" if self.rng.random() > 0.03 else "ghost-lottery"
        return Draw(tenant, self._member_or_ghost(tenant), self.next_id(tenant, "w"), lottery)

    # --- the same request again ---------------------------------------------------------------------
    def respelled(self, request: Any) -> Any:
        """The same request, spelled as a shop might spell it again."""
        if isinstance(request, Earn | Refund):
            return replace(request, amount=self.spell(Decimal(request.amount)))
        if isinstance(request, UseCoupon):
            return replace(request, amount=self.spell(Decimal(request.amount)))
        return request

    def changed(self, request: Request) -> Request:
        """The same natural id with another body: a correct ledger refuses it (409)."""
        if isinstance(request, Earn | Refund):
            amount = Decimal(request.amount)
            amount += Decimal("0.01") if amount * 100 < MAX_CENTS else Decimal("-0.01")
            return replace(request, amount=f"{amount:.2f}")
        if isinstance(request, Adjust):
            return replace(request, reason=request.reason + " (edited)")
        if isinstance(request, Redeem):
            return replace(request, quantity=request.quantity % 3 + 1)
        if isinstance(request, CancelRedemption):
            return replace(request, member_id=request.member_id + "x")
        if isinstance(request, Reserve):
            return replace(request, points=request.points + 1)
        if isinstance(request, Capture | UseCoupon):
            return replace(request, order_id=request.order_id + "x")
        if isinstance(request, BuyCoupon):
            return replace(
                request, template_id="tenth-off" if request.template_id != "tenth-off" else "five-off"
            )
        if isinstance(request, Draw):
            return replace(request, lottery_id="ghost-lottery")
        if isinstance(request, Enroll):
            return replace(request, name=(request.name or "") + "x")
        return request  # a release or a fulfilment has nothing else to say


def describe(request: Request | Poison) -> str:
    if isinstance(request, Enroll):
        return f"enroll {request.tenant_id}/{request.member_id}" + (
            f" name={request.name}" if request.name else ""
        )
    if isinstance(request, Earn):
        return (
            f"purchase {request.tenant_id}/{request.order_id} member {request.member_id} "
            f"{request.amount} {request.currency}"
        )
    if isinstance(request, Refund):
        return f"refund {request.tenant_id}/{request.refund_id} of {request.order_id} {request.amount}"
    if isinstance(request, Adjust):
        return (
            f"adjust {request.tenant_id}/{request.adjustment_id} member {request.member_id} "
            f"{request.points:+d}"
        )
    if isinstance(request, Redeem):
        return (
            f"redeem {request.tenant_id}/{request.redemption_id} member {request.member_id} "
            f"{request.quantity} x {request.reward_id}"
        )
    if isinstance(request, CancelRedemption | Fulfil):
        verb = "cancel" if isinstance(request, CancelRedemption) else "fulfil"
        return f"{verb} redemption {request.tenant_id}/{request.redemption_id} member {request.member_id}"
    if isinstance(request, Reserve):
        return (
            f"hold {request.tenant_id}/{request.hold_id} member {request.member_id} {request.points} points "
            f"for {request.ttl_seconds} s" + (f" order {request.order_id}" if request.order_id else "")
        )
    if isinstance(request, Capture):
        return f"capture hold {request.tenant_id}/{request.hold_id} for order {request.order_id}"
    if isinstance(request, Release):
        return f"release hold {request.tenant_id}/{request.hold_id}"
    if isinstance(request, HoldRefund):
        where = f"{request.tenant_id}/{request.hold_id}"
        return f"refund {request.points} points of hold {where} ({request.refund_id})"
    if isinstance(request, BuyCoupon):
        return (
            f"buy coupon {request.tenant_id}/{request.issue_id} member {request.member_id} "
            f"template {request.template_id}"
        )
    if isinstance(request, UseCoupon):
        return (
            f"use coupon {request.tenant_id}/{request.code} member {request.member_id} order "
            f"{request.order_id} {request.amount} {request.currency}"
        )
    if isinstance(request, Draw):
        return (
            f"draw {request.tenant_id}/{request.draw_id} member {request.member_id} "
            f"lottery {request.lottery_id}"
        )
    return f"poison {request.problem} ({request.tenant_id})"


def _part(tenant: str, hold_id: str, hold: Any) -> int | None:
    """Fewer points than held, for about a third of the captures of a hold of 2 points or more;
    chosen by the hold's id, so the workload's own random choices stay the same sequence."""
    if hold is None or hold.points < 2:
        return None
    pick = random.Random(f"{tenant}/{hold_id}/part")
    return None if pick.random() < 0.67 else pick.randint(1, hold.points - 1)
