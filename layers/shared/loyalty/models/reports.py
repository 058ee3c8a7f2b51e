"""Report responses (admin): what the program owner reads. Definitions in docs/reports.md."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class ResponseModel(BaseModel):
    """A report body; `from` is a Python keyword, so the field is `from_` under the alias."""

    model_config = ConfigDict(defer_build=True, populate_by_name=True)


class Money(BaseModel):
    amount: str
    currency: str


class Liability(BaseModel):
    points: int = Field(description="available + pending + held of every member")
    available: int
    pending: int
    held: int
    value: Money = Field(description="points at the program's point_value")


class PointFlows(BaseModel):
    issued: int
    issued_by_source: dict[str, int]
    redeemed: int
    expired: int
    clawed_back: int
    adjusted: int


class Expiring(BaseModel):
    next_30_days: int
    next_90_days: int
    next_365_days: int


class MemberCounts(BaseModel):
    total: int
    new: int
    active: int | None = Field(description="members who purchased in the window (distinct)")
    by_tier: dict[str, int]


class Purchases(BaseModel):
    count: int
    revenue: Money
    refunds: int
    refunded: Money


class SummaryResponse(ResponseModel):
    as_of: str
    from_: date = Field(alias="from")
    to: date
    liability: Liability
    points: PointFlows
    breakage_rate: float | None = Field(description="expired / issued in the window")
    redemption_rate: float | None = Field(description="redeemed / issued in the window")
    expiring: Expiring
    members: MemberCounts
    purchases: Purchases


class FlowPeriod(BaseModel):
    period: date
    issued: int
    redeemed: int
    expired: int
    clawed_back: int
    adjusted: int
    members_new: int
    purchases: int
    revenue: str
    liability_change: int = Field(description="change of available + pending + held over the period")


class FlowsResponse(ResponseModel):
    from_: date = Field(alias="from")
    to: date
    interval: str
    currency: str
    items: list[FlowPeriod]


class Movement(ResponseModel):
    from_: str = Field(alias="from")
    to: str
    members: int
    direction: str  # up | down | same


class TiersResponse(ResponseModel):
    as_of: str
    from_: date = Field(alias="from")
    to: date
    members_by_tier: dict[str, int]
    movements: list[Movement]
    ups: int
    downs: int


class CampaignFigures(BaseModel):
    rule_id: str
    points: int
    credits: int
    purchases: int
    revenue: str


class CampaignsResponse(ResponseModel):
    from_: date = Field(alias="from")
    to: date
    currency: str
    items: list[CampaignFigures]


class Response(BaseModel):
    members: int = Field(description="members cued (one per member and day)")
    responded: int = Field(description="of them, those who bought or spent within `within_days`")
    response_rate: float | None


class RemindersResponse(ResponseModel):
    from_: date = Field(alias="from")
    to: date
    within_days: int
    reminders: Response
    birthdays: Response


class Window(ResponseModel):
    from_: date = Field(alias="from")
    to: date
    months: int


class CurvePoint(BaseModel):
    members_share: float
    members: int
    revenue_share: float | None


class Pareto(BaseModel):
    top_20_percent_share: float | None = Field(description="revenue share of the top 20% of purchasers")
    top_members: int
    purchasers: int
    curve: list[CurvePoint]


class Segment(BaseModel):
    segment: str
    members: int
    revenue: Money
    revenue_share: float | None


class Rfm(BaseModel):
    segments: list[Segment]
    scores: dict[str, dict[str, int]]


class CustomersResponse(ResponseModel):
    as_of: date | None = Field(description="the snapshot's program-local day (null before the first)")
    window: Window | None
    purchasers: int
    revenue: Money
    pareto: Pareto | None
    rfm: Rfm | None
    repeat_purchase_rate: float | None
    repeat_purchasers: int = 0
