"""The programs the simulator publishes (rewards, coupons, lotteries, tier ladders, tenants), and
the codes and random sources it gives coupons and draws."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any, Literal

from tests.simulation.requests import CENT

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class RewardSpec:
    reward_id: str
    points_cost: int
    stock: int | None = None
    per_member_limit: int | None = None

    def document(self) -> dict[str, Any]:
        return {
            "name": self.reward_id.title(),
            "points_cost": self.points_cost,
            "stock": self.stock,
            "per_member_limit": self.per_member_limit,
        }


@dataclass(frozen=True)
class CouponSpec:
    template_id: str
    kind: Literal["amount_off", "percent_off", "free_shipping"]
    valid_days: int
    points_cost: int | None  # None: not for sale
    amount_off: str | None = None
    percent_off: int | None = None
    min_spend: str | None = None

    def document(self) -> dict[str, Any]:
        document = {
            "name": self.template_id.title(),
            "kind": self.kind,
            "valid_days": self.valid_days,
            "points_cost": self.points_cost,
            "amount_off": self.amount_off,
            "percent_off": self.percent_off,
            "min_spend": self.min_spend,
        }
        return {name: value for name, value in document.items() if value is not None}

    def discount(self, amount: Decimal) -> Decimal:
        if self.kind == "amount_off":
            return min(Decimal(self.amount_off or 0), amount)
        if self.kind == "percent_off":
            return (amount * (self.percent_off or 0) / 100).quantize(CENT, rounding=ROUND_FLOOR)
        return Decimal("0.00")


@dataclass(frozen=True)
class PrizeSpec:
    prize_id: str
    weight: int
    stock: int | None = None


@dataclass(frozen=True)
class LotterySpec:
    lottery_id: str
    points_cost: int
    prizes: tuple[PrizeSpec, ...]
    empty_weight: int
    fallback_prize_id: str | None
    daily_limit: int | None

    @property
    def total_weight(self) -> int:
        return sum(prize.weight for prize in self.prizes) + self.empty_weight

    def document(self) -> dict[str, Any]:
        return {
            "name": self.lottery_id.title(),
            "points_cost": self.points_cost,
            "prizes": [
                {"prize_id": p.prize_id, "name": p.prize_id.title(), "weight": p.weight, "stock": p.stock}
                for p in self.prizes
            ],
            "empty_weight": self.empty_weight,
            "fallback_prize_id": self.fallback_prize_id,
            "daily_limit": self.daily_limit,
        }


@dataclass(frozen=True)
class TierSpec:
    tier_id: str
    spend: str | None = None  # the qualifying spend in the window; None: the base tier
    rewards: tuple[str, ...] = ()  # rewards kept for this tier and the ones above


@dataclass(frozen=True)
class LadderSpec:
    tiers: tuple[TierSpec, ...]
    window_months: int
    evaluation_date: str  # "MM-DD": every member is reviewed on it
    grace_days: int
    max_levels_down: int

    def document(self) -> dict[str, Any]:
        tiers = []
        for tier in self.tiers:
            document: dict[str, Any] = {"id": tier.tier_id, "name": tier.tier_id.title()}
            if tier.spend is not None:
                document["qualify"] = {"spend": tier.spend}
            if tier.rewards:
                document["benefits"] = {"rewards": list(tier.rewards)}
            tiers.append(document)
        return {
            "tiers": tiers,
            "tier_rules": {
                "window_months": self.window_months,
                "evaluate_on": "date",
                "evaluation_date": self.evaluation_date,
                "grace_days": self.grace_days,
                "max_levels_down": self.max_levels_down,
            },
        }


@dataclass(frozen=True)
class VelocitySpec:
    """A velocity rule: more than `max_earns` purchases or `max_points` points earned within
    `window_minutes` withholds the earn's points; `freeze` also freezes the member."""

    window_minutes: int
    max_earns: int | None = None
    max_points: int | None = None
    action: Literal["review", "freeze"] = "review"

    def document(self) -> dict[str, Any]:
        document: dict[str, Any] = {"window_minutes": self.window_minutes, "action": self.action}
        return document | {
            name: value
            for name, value in (("max_earns", self.max_earns), ("max_points", self.max_points))
            if value is not None
        }


@dataclass(frozen=True)
class PlanSpec:
    """A paid membership plan: `tier_id` for `months` calendar months at `price`."""

    plan_id: str
    tier_id: str
    price: str
    months: int

    def document(self, currency: str) -> dict[str, Any]:
        price = {"amount": self.price, "currency": currency}
        return {"plan_id": self.plan_id, "tier_id": self.tier_id, "price": price, "months": self.months}


@dataclass(frozen=True)
class TenantSpec:
    """One simulated program: the few rules the model needs, and the document published for it."""

    tenant_id: str
    currency: str
    timezone: str
    points_per_unit: int
    signup_bonus: int
    expiry: dict[str, Any]
    pending_days: int = 0
    rewards: tuple[RewardSpec, ...] = ()
    coupons: tuple[CouponSpec, ...] = ()
    lottery: LotterySpec | None = None
    ladder: LadderSpec | None = None
    velocity: tuple[VelocitySpec, ...] = ()
    plans: tuple[PlanSpec, ...] = ()

    def program_document(self) -> dict[str, Any]:
        document = {
            "name": self.tenant_id.title(),
            "currency": self.currency,
            "timezone": self.timezone,
            "earn": {"points_per_unit": self.points_per_unit, "pending_days": self.pending_days},
            "signup_bonus": self.signup_bonus,
            "expiry": self.expiry,
        }
        if self.velocity:
            document["risk"] = {"velocity": [rule.document() for rule in self.velocity]}
        if self.plans:
            document["membership_plans"] = [plan.document(self.currency) for plan in self.plans]
        return document | (self.ladder.document() if self.ladder else {})

    def reward(self, reward_id: str) -> RewardSpec | None:
        return next((reward for reward in self.rewards if reward.reward_id == reward_id), None)

    def coupon(self, template_id: str) -> CouponSpec | None:
        return next((coupon for coupon in self.coupons if coupon.template_id == template_id), None)

    def plan(self, plan_id: str) -> PlanSpec | None:
        return next((plan for plan in self.plans if plan.plan_id == plan_id), None)


def coupon_code(tenant_id: str, issue_id: str) -> str:
    """The code the simulator's code factory gives the coupon of one issue id (so the model knows
    it without hearing the answer, and every attempt of one issue spells the same code)."""
    digest = hashlib.sha256(f"{tenant_id}/{issue_id}".encode()).digest()
    return "".join(CODE_ALPHABET[byte % len(CODE_ALPHABET)] for byte in digest[:16])


def draw_source(tenant_id: str, draw_id: str) -> random.Random:
    """The random source the simulator gives one draw: seeded by its id, so the roll is known."""
    return random.Random(f"{tenant_id}/{draw_id}")  # a reproducible roll, not a secret
