"""Paid membership: the plans a program sells (a tier for a number of calendar months at a price),
the request that buys one and the views of a member's memberships.

A membership is in force from `starts_on` up to, not including, `ends_on`: it ends at the start
of that program-local day. Buying again while one is in force (or bought ahead) starts the new
one on the last one's `ends_on`."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from loyalty.models.common import Amount, CurrencyCode, JsonInteger, NaturalId, ResponseModel, StrictModel

PlanName = Annotated[str, StringConstraints(min_length=1, max_length=100)]
PlanLocale = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]


class Price(StrictModel):
    amount: Amount = Field(description='A decimal string, e.g. "299.00"')
    currency: CurrencyCode = Field(description="The program's currency")


class MembershipPlan(StrictModel):
    plan_id: NaturalId
    tier_id: NaturalId = Field(description="The tier the membership gives (not the base tier)")
    price: Price
    months: JsonInteger = Field(ge=1, le=120, description="Calendar months in the program's time zone")
    names: dict[PlanLocale, PlanName] = Field(
        default_factory=dict, max_length=20, description="The plan's name per locale, e.g. zh-CN, en"
    )


def plan_problems(
    plans: list[MembershipPlan], tier_ids: list[str], currency: str
) -> list[tuple[tuple[int | str, ...], str, object]]:
    """What is wrong with the program's plans, each at its own path: a duplicate id, an unknown
    tier or the base tier (which every member has anyway), a price in another currency."""
    problems: list[tuple[tuple[int | str, ...], str, object]] = []
    seen: set[str] = set()
    for index, plan in enumerate(plans):
        if plan.plan_id in seen:
            problems.append(
                (("membership_plans", index, "plan_id"), f"duplicate id {plan.plan_id!r}", plan.plan_id)
            )
        seen.add(plan.plan_id)
        if plan.tier_id not in tier_ids:
            problems.append(
                (("membership_plans", index, "tier_id"), f"unknown tier {plan.tier_id!r}", plan.tier_id)
            )
        elif plan.tier_id == tier_ids[0]:
            loc: tuple[int | str, ...] = ("membership_plans", index, "tier_id")
            problems.append((loc, "a plan gives a tier above the base tier", plan.tier_id))
        if plan.price.currency != currency:
            loc = ("membership_plans", index, "price", "currency")
            problems.append((loc, f"the price is in the program's currency {currency}", plan.price.currency))
    return problems


class MembershipRequest(StrictModel):
    membership_id: NaturalId = Field(description="The shop's id of this purchase: exactly once")
    plan_id: NaturalId
    order_id: NaturalId = Field(description="The shop's order that paid for it")
    amount: Amount = Field(description="The amount paid: the plan's price")
    currency: CurrencyCode


MembershipStatus = Literal["scheduled", "active", "ended", "cancelled"]


class MembershipResponse(ResponseModel):
    membership_id: str
    plan_id: str
    tier_id: str
    starts_on: date
    ends_on: date = Field(description="Exclusive: it ends at the start of this program-local day")
    order_id: str
    amount: str
    currency: str
    status: MembershipStatus = Field(description="As of the answer (scheduled: bought ahead)")


class MembershipsPage(ResponseModel):
    items: list[MembershipResponse] = Field(description="Newest first")


class MembershipInForce(ResponseModel):
    """The membership that holds the member's tier today (and until when, with those bought ahead)."""

    membership_id: str
    plan_id: str
    tier_id: str
    starts_on: date
    ends_on: date
    until: date = Field(description="The end of the last membership bought ahead (exclusive)")
