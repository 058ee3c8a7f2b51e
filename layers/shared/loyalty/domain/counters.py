"""The member's rolling counters: what the rules need to know about the member (points earned
today, activities per period, purchases so far), kept on the member item and updated by the same
transaction as the credit, so caps and limits hold under retries and races.

Counters of past days and months are dropped as they are written: the map stays small."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from loyalty.domain.awards import MemberFacts
from loyalty.domain.calendar import local_date
from loyalty.models.program import Period, Program


def activity_period_key(activity_type: str, period: Period, day: date) -> str:
    """Counter key of an activity type in the period containing `day` (program-local)."""
    if period == "ever":
        return f"{activity_type}#ever"
    if period == "day":
        return f"{activity_type}#D#{day.isoformat()}"
    return f"{activity_type}#M#{day:%Y-%m}"


def activity_keys(program: Program, activity_type: str, now: datetime) -> list[str]:
    """The keys `evaluate_activity` reads for this type now; the store bumps each after crediting
    (count by 1 in `activity_counts`, the awarded points in `activity_points`)."""
    day = local_date(now, program.timezone)
    rule, cap = program.activities.get(activity_type), program.caps.per_activity.get(activity_type)
    periods = [part.period for part in (rule.limit if rule else None, cap) if part is not None]
    return sorted({activity_period_key(activity_type, period, day) for period in periods})


def _current(key: str, day: date) -> bool:
    return key.endswith("#ever") or key.endswith(f"#D#{day.isoformat()}") or key.endswith(f"#M#{day:%Y-%m}")


def _current_only(counts: Mapping[str, int], day: date) -> dict[str, int]:
    return {key: value for key, value in counts.items() if _current(key, day)}


def member_facts(
    counters: Mapping[str, Any], program: Program, now: datetime, tier: str | None
) -> MemberFacts:
    day = local_date(now, program.timezone)
    return MemberFacts(
        tier=tier,
        points_earned_today=int(counters.get("day_points", 0))
        if counters.get("day") == day.isoformat()
        else 0,
        activity_counts=_current_only(counters.get("activity_counts", {}), day),
        activity_points=_current_only(counters.get("activity_points", {}), day),
        first_purchase=int(counters.get("purchases", 0)) == 0,
    )


def after_award(
    counters: Mapping[str, Any],
    program: Program,
    now: datetime,
    points: int,
    *,
    purchase: bool = False,
    activity_type: str | None = None,
    velocity: list[list[int]] | None = None,
) -> dict[str, Any]:
    """The counters once `points` are credited for a purchase or an activity (all sources count
    toward the daily cap; signup bonuses and manual adjustments do not)."""
    day = local_date(now, program.timezone)
    facts = member_facts(counters, program, now, None)
    counts = dict(facts.activity_counts)
    earned = dict(facts.activity_points)
    if activity_type is not None:
        for key in activity_keys(program, activity_type, now):
            counts[key] = counts.get(key, 0) + 1
            earned[key] = earned.get(key, 0) + points
    return {
        "day": day.isoformat(),
        "day_points": facts.points_earned_today + points,
        "purchases": int(counters.get("purchases", 0)) + (1 if purchase else 0),
        "activity_counts": counts,
        "activity_points": earned,
    } | kept_counters(counters, velocity)


def kept_counters(counters: Mapping[str, Any], velocity: list[list[int]] | None = None) -> dict[str, Any]:
    """What the risk rules keep in the counters (domain/velocity.py): the recent earns (`velocity`,
    replaced when given) and the member's open review (`review`); absent when there is none."""
    kept = {
        "velocity": counters.get("velocity") if velocity is None else velocity,
        "review": counters.get("review"),
    }
    return {key: value for key, value in kept.items() if value}
