"""Request and response models of the public HTTP API (and the purchase queue's message)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints, field_validator

from loyalty.models.common import (
    MAX_POINTS,
    Amount,
    CurrencyCode,
    NaturalId,
    ResponseModel,
    StrictModel,
    TenantId,
)

Text = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]{1,64}@[^@\s]{1,190}$")]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9 \-]{3,30}$")]


# --- members ----------------------------------------------------------------------------------
class EnrollRequest(StrictModel):
    member_id: NaturalId
    name: Text | None = None
    birthday: date | None = None
    email: Email | None = None
    phone: Phone | None = None
    channel: NaturalId | None = None
    referrer_id: NaturalId | None = None
    locale: Literal["zh-CN", "en"] | None = Field(default=None, description="For messages; zh-CN when unset")

    @field_validator("birthday")
    @classmethod
    def _plausible_birthday(cls, value: date | None) -> date | None:
        if value is not None and value.year < 1900:
            raise ValueError("birthday before 1900")
        return value


class Balance(ResponseModel):
    available: int
    pending: int
    held: int


class ExpiringPoints(ResponseModel):
    points: int
    expires_on: date


class MemberResponse(ResponseModel):
    member_id: str
    name: str | None = None
    birthday: date | None = None
    email: str | None = None
    phone: str | None = None
    channel: str | None = None
    referrer_id: str | None = None
    locale: str | None = None
    enrolled_at: datetime
    balance: Balance
    debt: int = Field(description="Points clawed back by refunds that the balance could not cover yet")
    tier: str | None = None
    tier_progress: dict[str, object] | None = None
    expiring: list[ExpiringPoints]


class LedgerEntryResponse(ResponseModel):
    entry_id: str
    type: str
    points: int = Field(description="Signed: positive credits the member")
    balance_after: int
    created_at: datetime
    source: str | None = None
    order_id: str | None = None
    refund_id: str | None = None
    adjustment_id: str | None = None
    reason: str | None = None
    debt_settled: int | None = None
    debt_incurred: int | None = None
    program_version: int | None = None
    rule_ids: list[str] | None = Field(default=None, description="The rules that produced this entry")
    capped: bool | None = None
    activity_id: str | None = None
    activity_type: str | None = None
    referee_id: str | None = None
    expires_on: date | None = None
    available_on: date | None = Field(default=None, description="Pending until this day (return window)")
    redemption_id: str | None = None
    reward_id: str | None = None
    hold_id: str | None = None
    held: int | None = Field(default=None, description="Points moved into (+) or out of (-) held")
    coupon_code: str | None = None
    draw_id: str | None = None


class TransactionsPage(ResponseModel):
    items: list[LedgerEntryResponse]
    next_cursor: str | None


# --- purchases and refunds ----------------------------------------------------------------------
class LineItem(StrictModel):
    sku: NaturalId
    category: NaturalId | None = None
    amount: Amount = Field(description="Line total: unit price x quantity")
    quantity: int = Field(default=1, ge=1, le=1_000_000)


class PurchaseRequest(StrictModel):
    order_id: NaturalId
    member_id: NaturalId
    amount: Amount
    currency: CurrencyCode
    items: list[LineItem] | None = Field(default=None, max_length=500)
    channel: NaturalId | None = None
    occurred_at: AwareDatetime | None = None


class PurchaseMessage(PurchaseRequest):
    """A purchase dropped on the SQS queue: the HTTP body plus the tenant it belongs to."""

    tenant_id: TenantId


class PurchaseResponse(ResponseModel):
    order_id: str
    member_id: str
    points_earned: int = Field(description="Points the purchase earned under the program")
    points_credited: int = Field(description="Points added to the balance (earned minus debt settled)")
    debt_settled: int
    entry_id: str
    explanation: list[str]
    rule_ids: list[str]
    capped: bool
    reason: str | None = Field(default=None, description="Why nothing (or less) was earned, when so")
    pending_until: date | None = Field(default=None, description="The points are pending until this day")
    balance: Balance
    program_version: int


class PreviewResponse(ResponseModel):
    """What a purchase would earn now, written nowhere: what a shop shows at checkout."""

    points_earned: int
    explanation: list[str]
    rule_ids: list[str]
    capped: bool
    reason: str | None = None
    pending_until: date | None = None
    program_version: int


ActivityType = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,39}$")]


class ActivityRequest(StrictModel):
    activity_id: NaturalId
    member_id: NaturalId
    type: ActivityType
    occurred_at: AwareDatetime | None = None


class ActivityResponse(ResponseModel):
    activity_id: str
    member_id: str
    type: str
    points_earned: int
    explanation: list[str]
    rule_ids: list[str]
    capped: bool
    reason: str | None = None
    entry_id: str
    balance: Balance
    program_version: int


class RefundRequest(StrictModel):
    refund_id: NaturalId
    amount: Amount


class RefundResponse(ResponseModel):
    refund_id: str
    order_id: str
    member_id: str
    amount: str
    refunded_total: str
    points_clawed_back: int = Field(description="Points this refund takes back")
    points_debited: int = Field(description="Taken from the balance now")
    debt_incurred: int = Field(description="Not covered by the balance: settled by later earnings")
    entry_id: str
    balance: Balance


# --- admin ----------------------------------------------------------------------------------------
class AdjustmentRequest(StrictModel):
    adjustment_id: NaturalId
    points: int = Field(ge=-MAX_POINTS, le=MAX_POINTS, description="Signed; positive grants points")
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)]

    @field_validator("points")
    @classmethod
    def _not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("points must not be zero")
        return value


class AdjustmentResponse(ResponseModel):
    adjustment_id: str
    member_id: str
    points: int
    reason: str
    entry_id: str
    balance: Balance


class TenantCreateRequest(StrictModel):
    tenant_id: TenantId
    name: Text


class TenantCreatedResponse(ResponseModel):
    tenant_id: str
    name: str
    admin_key: str = Field(description="Shown once; only its hash is stored")
    server_key: str = Field(description="Shown once; only its hash is stored")


Scope = Literal["admin", "server"]


class KeyCreateRequest(StrictModel):
    scope: Scope
    name: Text | None = None


class KeyCreatedResponse(ResponseModel):
    key_id: str
    scope: str
    name: str | None = None
    key: str = Field(description="Shown once; only its hash is stored")
    created_at: datetime


class HealthResponse(ResponseModel):
    status: Literal["ok"]
