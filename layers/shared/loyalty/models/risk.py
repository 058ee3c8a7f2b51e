"""Reviews: a member whose earns breached a velocity rule, its withheld points, and how an admin
resolved it (released or forfeited)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from loyalty.models.api import Balance
from loyalty.models.common import ResponseModel, StrictModel

ReviewStatus = Literal["open", "released", "forfeited"]


class Review(BaseModel):
    """A review as stored and as the API shows it."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    review_id: str
    member_id: str
    status: ReviewStatus = "open"
    action: Literal["review", "freeze"] = Field(description="freeze: a rule froze the member too")
    rules: list[str] = Field(description="The rules breached, in words")
    points: int = Field(description="Points withheld by the earns under review")
    earns: int = Field(description="Earns under review (each breached a rule)")
    opened_at: datetime
    resolved_at: datetime | None = None
    resolved_by: str | None = Field(default=None, description="The admin key that resolved it")
    reason: str | None = None


class ReviewPage(ResponseModel):
    items: list[Review]
    next_cursor: str | None


class ResolveReviewRequest(StrictModel):
    release: bool = Field(
        description="Release the withheld points (true) or forfeit them with an entry (false)"
    )
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = None


class ResolveReviewResponse(ResponseModel):
    review: Review
    released: int = Field(description="Withheld points released by this resolution")
    forfeited: int = Field(description="Withheld points forfeited by this resolution")
    entry_id: str
    balance: Balance
