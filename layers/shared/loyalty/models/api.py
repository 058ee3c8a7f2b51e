"""Request and response models of the public HTTP API (and the purchase queue's message)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints, field_validator, model_validator

from loyalty.models.common import (
    MAX_POINTS,
    Amount,
    CurrencyCode,
    JsonInteger,
    NaturalId,
    ResponseModel,
    StrictModel,
    TenantId,
    Text,
)
from loyalty.models.ledger import LedgerEntry
from loyalty.models.memberships import MembershipInForce

Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]{1,64}@[^@\s]{1,190}$")]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9 \-]{3,30}$")]


def _plausible_birthday(value: date) -> date:
    if value.year < 1900:
        raise ValueError("birthday before 1900")
    return value


Birthday = Annotated[date, AfterValidator(_plausible_birthday)]


# --- members ----------------------------------------------------------------------------------
class EnrollRequest(StrictModel):
    member_id: NaturalId
    name: Text | None = None
    birthday: Birthday | None = None
    email: Email | None = None
    phone: Phone | None = None
    channel: NaturalId | None = None
    referrer_id: NaturalId | None = None
    locale: Literal["zh-CN", "en"] | None = Field(default=None, description="For messages; zh-CN when unset")


class ProfileRequest(StrictModel):
    """A profile correction: the fields sent are set (null clears one), the others kept."""

    name: Text | None = None
    email: Email | None = None
    phone: Phone | None = None
    birthday: Birthday | None = Field(
        default=None, description="A changed birthday pays no second birthday bonus in the same year"
    )
    locale: Literal["zh-CN", "en"] | None = None

    @model_validator(mode="after")
    def _something(self) -> ProfileRequest:
        if not self.model_fields_set:
            raise ValueError("send at least one of name, email, phone, birthday, locale")
        return self


class Balance(ResponseModel):
    available: int
    pending: int
    held: int
    withheld: int = Field(default=0, description="Earned while frozen: released or forfeited when unfrozen")


class ExpiringPoints(ResponseModel):
    points: int
    expires_on: date


class TierBenefitsView(ResponseModel):
    free_shipping: bool
    priority_service: bool
    discount_rate: str
    rewards: list[str]


class TierAssignmentView(ResponseModel):
    tier_id: str
    until: date | None = Field(default=None, description="Inclusive; null: until withdrawn")
    reason: str | None = Field(default=None, description="Why it was assigned, as the admin said")
    assigned_by: str | None = Field(default=None, description="The id of the API key that assigned it")


class TierView(ResponseModel):
    """The member's tier and what it grants, for the shop to apply."""

    id: str
    name: str
    names: dict[str, str]
    since: date | None = None
    review_on: date | None = Field(
        default=None, description="The next evaluation (downgrades happen only then)"
    )
    earn_multiplier: str
    birthday_bonus: int
    benefits: TierBenefitsView
    assigned: TierAssignmentView | None = None
    membership: MembershipInForce | None = Field(
        default=None, description="The paid membership that gives the tier today, if any"
    )


class TierFigures(ResponseModel):
    spend: str
    purchases: int
    points: int


class TierMissing(ResponseModel):
    spend: str | None = None
    purchases: int | None = None
    points: int | None = None


class NextTier(ResponseModel):
    id: str
    name: str
    names: dict[str, str]
    combine: Literal["any", "all"] = Field(description="any: reaching one of the missing figures is enough")
    missing: TierMissing


class KeepTier(ResponseModel):
    until: date | None = Field(description="The evaluation that decides whether the tier is kept")
    in_grace: bool
    missing: TierMissing = Field(
        description="What the window lacks to keep the tier, were it evaluated today"
    )


class TierProgress(ResponseModel):
    window_from: date
    window_to: date
    figures: TierFigures
    next_tier: NextTier | None = Field(description="null at the top of the ladder")
    keep: KeepTier | None = Field(description="null in the base tier")


class TierAssignmentRequest(StrictModel):
    """An admin's assignment (VIP invitation): the member holds at least this tier until `until`."""

    tier_id: NaturalId | None = Field(description="null withdraws the assignment")
    until: date | None = None
    reason: Text


class TierChangeView(ResponseModel):
    from_tier: str
    to_tier: str
    reason: str


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
    status: Literal["active", "frozen", "erased"] = "active"
    balance: Balance
    debt: int = Field(description="Points clawed back by refunds that the balance could not cover yet")
    tier: TierView
    tier_progress: TierProgress
    expiring: list[ExpiringPoints]


class MembersPage(ResponseModel):
    """Members found by id, email or phone (GET /v1/members)."""

    items: list[MemberResponse]
    next_cursor: str | None


class LedgerEntryResponse(LedgerEntry):
    """A ledger entry as `/transactions` answers it: every field it was written with."""


class TransactionsPage(ResponseModel):
    items: list[LedgerEntryResponse]
    next_cursor: str | None


# --- purchases and refunds ----------------------------------------------------------------------
class LineItem(StrictModel):
    sku: NaturalId
    category: NaturalId | None = None
    amount: Amount = Field(description="Line total: unit price x quantity")
    quantity: JsonInteger = Field(default=1, ge=1, le=1_000_000)


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
    tier_change: TierChangeView | None = Field(
        default=None, description="The purchase raised the member's tier"
    )


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
    tier_change: TierChangeView | None = None


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
class StatusRequest(StrictModel):
    status: Literal["active", "frozen"]
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    release_withheld: bool = Field(
        default=True,
        description="On unfreezing: release the withheld points (true) or forfeit them with an entry (false)",
    )


class StatusResponse(ResponseModel):
    member_id: str
    status: Literal["active", "frozen"]
    reason: str
    released: int = Field(description="Withheld points released by this unfreeze")
    forfeited: int = Field(description="Withheld points forfeited by this unfreeze")
    entry_id: str
    balance: Balance


class ErasureResponse(ResponseModel):
    member_id: str
    status: Literal["erased"]
    points_forfeited: int = Field(description="What was left (available, pending, held, withheld), forfeited")
    entry_id: str


class AdjustmentRequest(StrictModel):
    adjustment_id: NaturalId
    points: JsonInteger = Field(ge=-MAX_POINTS, le=MAX_POINTS, description="Signed; positive grants points")
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    # None (not "adjustment") by default: the request fingerprint leaves out what is not sent.
    source: Literal["adjustment", "import"] | None = Field(
        default=None, description="adjustment (the default) or import: points brought from another system"
    )
    expires_on: date | None = Field(
        default=None,
        description="A grant's own last day (imported points keep their original date); "
        "without it the program's rule for the source applies",
    )

    @field_validator("points")
    @classmethod
    def _not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("points must not be zero")
        return value

    @model_validator(mode="after")
    def _dated_grants_only(self) -> AdjustmentRequest:
        if self.expires_on is not None and self.points < 0:
            raise ValueError("expires_on is for grants only: a deduction spends the oldest points")
        return self


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


class TenantSummary(ResponseModel):
    tenant_id: str
    name: str
    created_at: datetime


class TenantsPage(ResponseModel):
    items: list[TenantSummary]


class KeySummary(ResponseModel):
    key_id: str
    scope: str
    name: str | None = None
    created_at: datetime


class KeysPage(ResponseModel):
    items: list[KeySummary] = Field(description="This tenant's keys (never the keys themselves)")


class HealthResponse(ResponseModel):
    status: Literal["ok"]


class MemberTokenRequest(StrictModel):
    ttl_seconds: int = Field(
        default=3600, ge=60, le=86400, strict=True, description="Lifetime of the token: 1 minute to 24 hours"
    )


class MemberTokenResponse(ResponseModel):
    token: str = Field(description="Send as 'Authorization: Bearer <token>' to the /v1/me routes")
    member_id: str
    expires_at: datetime


class SigningKeyRotatedResponse(ResponseModel):
    key_id: str = Field(description="The key new member tokens are signed with")
    retired_key_id: str | None = Field(
        description="The previous key: still verifies the tokens it signed until they expire"
    )


class RulesSectionView(ResponseModel):
    id: str = Field(description="earn, campaigns, tiers, expiry, value, sunset")
    title: str
    lines: list[str]


class ProgramRulesResponse(ResponseModel):
    locale: Literal["zh-CN", "en"]
    program_version: int
    name: str
    sections: list[RulesSectionView] = Field(description="The published program in plain words")
