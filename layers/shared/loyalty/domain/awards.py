"""What the rules read and what they answer: the member's facts, a purchase, and the award."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class MemberFacts:
    """What the store knows about the member at evaluation time.

    `activity_counts` and `activity_points` are keyed by `activity_period_key` (program-local
    day/month): how many activities of a type, and how many points they earned, in that period.
    """

    tier: str | None = None
    points_earned_today: int = 0
    activity_counts: Mapping[str, int] = field(default_factory=dict)
    first_purchase: bool = False
    activity_points: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class PurchaseLine:
    sku: str
    category: str | None
    amount: Decimal  # the line total: unit price x quantity
    quantity: int = 1


@dataclass(frozen=True)
class Purchase:
    """What the rules read of a purchase: its amount, its lines, its channel and when it happened."""

    amount: Decimal
    items: tuple[PurchaseLine, ...] = ()
    channel: str | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class Award:
    points: int
    explanation: list[str]
    rule_ids: list[str] = field(default_factory=list)
    capped: bool = False
    pending_until: date | None = None
    reason: str | None = None
