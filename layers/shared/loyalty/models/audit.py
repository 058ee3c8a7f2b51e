"""An audit log entry: who (the acting key), what (the action and its particulars), when, and the
API request that did it. Written with the action, never changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AuditEntry(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    at: datetime
    actor: str = Field(description="The key id that acted")
    action: str = Field(description="member.status, points.adjusted, tier.assigned, program.published, ...")
    request_id: str
    member_id: str | None = None
    detail: dict[str, Any] = Field(
        default_factory=dict, description="What the action was: reason, points, ..."
    )


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_cursor: str | None


@dataclass(frozen=True)
class AuditQuery:
    """Which entries of a tenant's audit log to list: of one member and/or one actor, within
    [start, end] (UTC), at most `limit`."""

    limit: int
    member_id: str | None = None
    actor: str | None = None
    start: datetime | None = None
    end: datetime | None = None
