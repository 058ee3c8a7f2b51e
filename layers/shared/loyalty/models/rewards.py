"""Request and response models of the catalog, redemptions and checkout holds."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Self

from pydantic import AwareDatetime, Field, model_validator

from loyalty.models.api import Balance
from loyalty.models.common import (
    MAX_POINTS,
    Amount,
    Cost,
    CurrencyCode,
    ImageUrl,
    JsonInteger,
    LanguageTag,
    NaturalId,
    ResponseModel,
    StrictModel,
    Text,
)

RewardKind = Literal["gift", "coupon", "service", "experience"]


class CampaignPrice(StrictModel):
    """A limited-time price in points; the lowest running price applies."""

    points_cost: Cost
    starts_at: AwareDatetime
    ends_at: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class Reward(StrictModel):
    """A catalog entry as the admin PUTs it. `stock` is what is left to redeem (PUT sets it; no
    `stock` means unlimited)."""

    name: Text = Field(description="The default name")
    names: dict[LanguageTag, Text] = Field(default_factory=dict, max_length=20, description="Per language")
    kind: RewardKind = "gift"
    points_cost: Cost
    cash: Amount | None = Field(default=None, description="Cash co-payment per unit, program currency")
    stock: JsonInteger | None = Field(
        default=None, ge=0, le=MAX_POINTS, description="Left to redeem; none = unlimited"
    )
    per_member_limit: JsonInteger | None = Field(default=None, ge=1, le=1_000_000)
    active_from: AwareDatetime | None = None
    active_until: AwareDatetime | None = None
    tiers: list[NaturalId] = Field(default_factory=list, max_length=20, description="Empty: every tier")
    image_url: ImageUrl | None = None
    campaign_prices: list[CampaignPrice] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _window(self) -> Self:
        if self.active_from and self.active_until and self.active_until <= self.active_from:
            raise ValueError("active_until must be after active_from")
        return self


class RewardResponse(ResponseModel):
    reward_id: str
    name: str
    names: dict[str, str]
    kind: str
    points_cost: int = Field(description="List price per unit")
    current_points_cost: int = Field(description="Price per unit now (campaign prices applied)")
    cash: str | None = None
    currency: str
    stock: int | None = Field(description="Left to redeem; null = unlimited")
    per_member_limit: int | None = None
    active_from: datetime | None = None
    active_until: datetime | None = None
    tiers: list[str]
    image_url: str | None = None
    campaign_prices: list[CampaignPrice]
    revision: int


class RewardsPage(ResponseModel):
    items: list[RewardResponse]
    next_cursor: str | None


class RedemptionRequest(StrictModel):
    redemption_id: NaturalId
    reward_id: NaturalId
    quantity: JsonInteger = Field(default=1, ge=1, le=100)


class Money(ResponseModel):
    amount: str
    currency: CurrencyCode


class RedemptionResponse(ResponseModel):
    redemption_id: str
    member_id: str
    reward_id: str
    quantity: int
    points: int = Field(description="Points spent")
    cash_due: Money | None = Field(default=None, description="Co-payment the shop collects")
    status: Literal["requested", "fulfilled", "cancelled"]
    entry_id: str | None = None
    balance: Balance | None = None
    created_at: datetime
    updated_at: datetime | None = None


class OrderAmount(StrictModel):
    amount: Amount
    currency: CurrencyCode


class HoldRequest(StrictModel):
    hold_id: NaturalId
    points: Cost
    ttl_seconds: JsonInteger = Field(
        default=900, ge=10, le=7 * 86400, description="Released by itself after this"
    )
    order_id: NaturalId | None = None
    order_amount: OrderAmount | None = Field(
        default=None,
        description="The order's value: the hold may use no more points than the program's "
        "`max_share_of_order` of it (more is 409 `share-of-order-exceeded`)",
    )


class HoldResponse(ResponseModel):
    hold_id: str
    member_id: str
    points: int
    status: Literal["held", "captured", "released"]
    expires_at: datetime
    order_id: str | None = None
    captured: int | None = Field(default=None, description="Once captured: the points spent")
    refunded: int | None = Field(default=None, description="Of the captured points, those refunded")
    entry_id: str | None = None
    balance: Balance | None = None


class CaptureRequest(StrictModel):
    order_id: NaturalId | None = Field(
        default=None,
        description="The order the points pay for; a hold made for an order is captured for that "
        "one only (another is 409), and none given means it",
    )
    points: Cost | None = Field(
        default=None,
        description="Capture only this many of the held points and release the rest (none given: "
        "all of them); more than the hold holds is 409",
    )


class HoldRefundRequest(StrictModel):
    refund_id: NaturalId = Field(description="The refund's natural id: given back exactly once")
    points: Cost = Field(description="Points paid for the order to give back (at most what is left captured)")


class HoldRefundResponse(ResponseModel):
    refund_id: str
    hold_id: str
    member_id: str
    order_id: str | None = None
    points: int = Field(description="The points this refund gave back")
    captured: int = Field(description="The points the hold's capture spent")
    refunded: int = Field(description="Of those, given back by every refund so far")
    entry_id: str = Field(description="The ledger entry of this refund (type `redeem_refund`)")
    balance: Balance


class CheckoutPreviewRequest(OrderAmount):
    pass


class CheckoutTierBenefits(ResponseModel):
    """The member's tier benefits that change what the order costs: the shop applies them."""

    tier_id: str
    discount_rate: str = Field(description='Share off the order for this tier, e.g. "0.05" for 5%')
    free_shipping: bool


class CheckoutPreviewResponse(ResponseModel):
    max_points: int = Field(description="The most points this order may use now")
    worth: Money = Field(description="What those points take off the order")
    available: int
    point_value: dict[str, object]
    max_share_of_order: str
    tier: CheckoutTierBenefits = Field(description="The member's tier discount and free shipping, to apply")


# --- coupons ----------------------------------------------------------------------------------------
CouponKind = Literal["amount_off", "percent_off", "free_shipping"]
Trigger = Literal["signup", "purchase", "birthday", "referral"]


class CouponTemplate(StrictModel):
    name: Text
    kind: CouponKind
    amount_off: Amount | None = Field(default=None, description="amount_off: money off, program currency")
    percent_off: JsonInteger | None = Field(
        default=None, ge=1, le=100, description="percent_off: whole percent"
    )
    min_spend: Amount | None = Field(default=None, description="The order must be at least this")
    valid_days: JsonInteger = Field(default=30, ge=1, le=3660, description="Valid this many days after issue")
    points_cost: Cost | None = Field(default=None, description="Members may buy it for these points")
    issue_on: list[Trigger] = Field(default_factory=list, description="Issued by itself on these events")

    @model_validator(mode="after")
    def _kind_fields(self) -> Self:
        if (self.kind == "amount_off") != (self.amount_off is not None):
            raise ValueError("amount_off is required for, and only for, kind amount_off")
        if (self.kind == "percent_off") != (self.percent_off is not None):
            raise ValueError("percent_off is required for, and only for, kind percent_off")
        return self


class CouponTemplateResponse(CouponTemplate):
    """A coupon template as published, with its id (coupons issued from it keep their own copy)."""

    template_id: str
    model_config = {"extra": "ignore"}


class CouponIssueRequest(StrictModel):
    issue_id: NaturalId
    template_id: NaturalId
    pay_with_points: bool = Field(default=False, description="Bought by the member (else given by an admin)")


class CouponResponse(ResponseModel):
    code: str = Field(description="Unguessable; shown to the member, entered at checkout")
    member_id: str
    template_id: str
    name: str
    kind: str
    amount_off: str | None = None
    percent_off: int | None = None
    min_spend: str | None = None
    valid_until: datetime
    status: Literal["issued", "used"]
    order_id: str | None = None
    points_paid: int = 0
    balance: Balance | None = None


class CouponCheckRequest(StrictModel):
    member_id: NaturalId
    amount: Amount
    currency: CurrencyCode


class CouponUseRequest(CouponCheckRequest):
    order_id: NaturalId


class CouponCheckResponse(ResponseModel):
    code: str
    valid: bool
    reason: str | None = None
    discount: Money | None = None
    free_shipping: bool = False
    order_id: str | None = Field(default=None, description="The order that used it (after a use)")


# --- lotteries -------------------------------------------------------------------------------------
class Prize(StrictModel):
    prize_id: NaturalId
    name: Text
    weight: JsonInteger = Field(
        ge=1, le=1_000_000, description="Chance: weight / (all weights + empty_weight)"
    )
    stock: JsonInteger | None = Field(
        default=None, ge=0, le=MAX_POINTS, description="Left to win; none = unlimited"
    )
    reward_id: NaturalId | None = Field(default=None, description="The catalog reward the prize is, if any")


class Lottery(StrictModel):
    name: Text
    points_cost: Cost
    prizes: list[Prize] = Field(min_length=1, max_length=50)
    empty_weight: JsonInteger = Field(default=0, ge=0, le=1_000_000, description="Weight of drawing nothing")
    fallback_prize_id: NaturalId | None = Field(
        default=None, description="Won instead of a prize that ran out (unlimited); none: nothing is won"
    )
    daily_limit: JsonInteger | None = Field(
        default=None, ge=1, le=1000, description="Draws per member per day"
    )

    @model_validator(mode="after")
    def _prizes(self) -> Self:
        ids = [prize.prize_id for prize in self.prizes]
        if len(set(ids)) != len(ids):
            raise ValueError("prize ids must be unique")
        if self.fallback_prize_id is not None:
            fallback = next(
                (prize for prize in self.prizes if prize.prize_id == self.fallback_prize_id), None
            )
            if fallback is None or fallback.stock is not None:
                raise ValueError("fallback_prize_id must name a prize with unlimited stock")
        return self


class LotteryResponse(Lottery):
    lottery_id: str = Field(description="The lottery's id (a prize's `stock` is what is left to win)")
    model_config = {"extra": "ignore"}


class DrawRequest(StrictModel):
    draw_id: NaturalId
    lottery_id: NaturalId


class DrawResponse(ResponseModel):
    draw_id: str
    member_id: str
    lottery_id: str
    prize_id: str | None = Field(default=None, description="None: nothing won (the stored draw omits it)")
    prize_name: str | None = None
    drawn_prize_id: str | None = Field(default=None, description="What the roll hit, before any fallback")
    fell_back: bool = Field(description="The drawn prize had run out")
    roll: int = Field(description="The random number drawn, in [0, total_weight): for audits")
    total_weight: int
    points: int
    entry_id: str | None = None
    balance: Balance | None = None
    created_at: datetime


class DrawRecordResponse(DrawResponse):
    prize_table: Lottery = Field(description="The prize table the roll was mapped on, for audits")


class DrawsPage(ResponseModel):
    items: list[DrawResponse]
    next_cursor: str | None


class CouponTemplatesPage(ResponseModel):
    items: list[CouponTemplateResponse]
    next_cursor: str | None


class CouponsPage(ResponseModel):
    items: list[CouponResponse]
    next_cursor: str | None


UnavailableReason = Literal["not_started", "ended", "tier", "out_of_stock", "limit_reached", "points"]


class MemberRewardResponse(RewardResponse):
    """A catalog entry as one member sees it: whether they may redeem it now, and if not, why."""

    redeemable: bool = Field(description="One unit can be redeemed now")
    reasons: list[UnavailableReason] = Field(
        description="Why not: not_started/ended (window), tier (a higher tier's reward), out_of_stock, "
        "limit_reached (per-member limit), points (not enough available)"
    )
    redeemed: int = Field(description="How many the member holds against the per-member limit")
    limit_left: int | None = Field(description="How many more the member may redeem; null = no limit")


class MemberRewardsPage(ResponseModel):
    items: list[MemberRewardResponse]
    next_cursor: str | None
