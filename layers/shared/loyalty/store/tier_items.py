"""How a member's tier status is stored on the member item: a `tier` map (with the monthly
qualifying buckets) and a top-level `tier_revision` that writes of the map are conditioned on.

Spend is stored as a decimal string: the table's numbers come back as integers (points)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from loyalty.domain.tiers import Figures, MembershipPeriod, TierStatus


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def tier_status(item: dict[str, Any]) -> TierStatus:
    stored = item.get("tier") or {}
    return TierStatus(
        tier_id=stored.get("id"),
        since=_day(stored.get("since")),
        review_on=_day(stored.get("review_on")),
        grace_until=_day(stored.get("grace_until")),
        assigned_id=stored.get("assigned_id"),
        assigned_until=_day(stored.get("assigned_until")),
        assigned_reason=stored.get("assigned_reason"),
        assigned_by=stored.get("assigned_by"),
        revision=int(item.get("tier_revision", 0)),
        buckets={
            month: Figures(Decimal(figures["s"]), int(figures["n"]), int(figures["p"]))
            for month, figures in (stored.get("buckets") or {}).items()
        },
        memberships=tuple(
            MembershipPeriod(
                period["id"],
                period["plan"],
                period["tier"],
                date.fromisoformat(period["from"]),
                date.fromisoformat(period["to"]),
            )
            for period in stored.get("memberships") or ()
        ),
    )


def tier_map(status: TierStatus) -> dict[str, Any]:
    def day(value: date | None) -> str | None:
        return value.isoformat() if value else None

    stored = {
        "id": status.tier_id,
        "since": day(status.since),
        "review_on": day(status.review_on),
        "grace_until": day(status.grace_until),
        "assigned_id": status.assigned_id,
        "assigned_until": day(status.assigned_until),
        "assigned_reason": status.assigned_reason,
        "assigned_by": status.assigned_by,
        "buckets": {
            month: {"s": f"{figures.spend:.2f}", "n": figures.purchases, "p": figures.points}
            for month, figures in status.buckets.items()
        },
        "memberships": [
            {
                "id": period.membership_id,
                "plan": period.plan_id,
                "tier": period.tier_id,
                "from": period.starts_on.isoformat(),
                "to": period.ends_on.isoformat(),
            }
            for period in status.memberships
        ]
        or None,
    }
    # Nulls inside a map are stored as NULL by the serializer; leave them out instead.
    return {key: value for key, value in stored.items() if value is not None}
