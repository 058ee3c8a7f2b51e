"""Paid membership as a tier decision: buying (the plan's tier at once, or from the end of the ones
already bought), cancelling, and lapsing on the day one ends.

A membership is an assignment to the tier rules (`assigned_floor`): evaluations never take the
member below it while it is in force. When it is cancelled or lapses, a member whom it held falls
at once to what their figures reach, never below an admin's assignment or another membership in
force; a member whose own tier is above the membership's keeps it. Days are program-local dates:
a membership ends at the start of its `ends_on`, whatever the clocks did that night."""

from __future__ import annotations

import calendar
from dataclasses import replace
from datetime import date

from loyalty.domain.tiers import (
    MembershipEvent,
    MembershipPeriod,
    TierDecision,
    TierStatus,
    assigned_floor,
    bump,
    move,
    qualified_level,
    review_after,
    window_figures,
)
from loyalty.models.memberships import MembershipPlan
from loyalty.models.program import Program


def add_months(day: date, months: int) -> date:
    """`months` calendar months after `day`; a day the month lacks falls on its last day
    (31 January + 1 month = 28 or 29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def in_force(status: TierStatus, day: date) -> MembershipPeriod | None:
    return next((p for p in status.memberships if p.starts_on <= day < p.ends_on), None)


def paid_until(status: TierStatus, day: date) -> date | None:
    """The end of the last membership bought that has not ended by `day`."""
    return max((p.ends_on for p in status.memberships if p.ends_on > day), default=None)


def buy(
    program: Program,
    status: TierStatus,
    enrolled_on: date,
    today: date,
    membership_id: str,
    plan: MembershipPlan,
) -> tuple[TierDecision, MembershipPeriod]:
    """The plan's tier from today, or from the end of the memberships already bought; the member
    is raised at once if the tier is above theirs."""
    current_end = paid_until(status, today)
    starts_on = max(current_end or today, today)
    period = MembershipPeriod(
        membership_id, plan.plan_id, plan.tier_id, starts_on, add_months(starts_on, plan.months)
    )
    bought = replace(status, memberships=(*status.memberships, period))
    level = program.tier_level(status.tier_id)
    target = assigned_floor(program, bought, today)
    if target > level:
        detail = f"membership {membership_id}"
        decision = move(program, bought, enrolled_on, today, target, "membership", detail)
    else:
        review = review_after(program, bought, enrolled_on, today, level)
        decision = TierDecision(bump(bought, review_on=review))
    event = MembershipEvent("extended" if current_end else "started", period)
    return replace(decision, membership_events=(event,)), period


def cancel(
    program: Program, status: TierStatus, enrolled_on: date, today: date, membership_id: str
) -> TierDecision | None:
    """Withdraw a membership not yet ended (None: it is not on the status: ended or unknown)."""
    gone = [p for p in status.memberships if p.membership_id == membership_id and p.ends_on > today]
    if not gone:
        return None
    return _fall_back(program, status, enrolled_on, today, gone, "cancelled")


def lapse(program: Program, status: TierStatus, enrolled_on: date, day: date) -> TierDecision | None:
    """The tiers run on `day`: memberships that ended by then leave the status (None: none did)."""
    ended = [p for p in status.memberships if p.ends_on <= day]
    if not ended:
        return None
    return _fall_back(program, status, enrolled_on, day, ended, "lapsed")


def _fall_back(
    program: Program,
    status: TierStatus,
    enrolled_on: date,
    day: date,
    gone: list[MembershipPeriod],
    kind: str,
) -> TierDecision:
    ids = {p.membership_id for p in gone}
    left = replace(status, memberships=tuple(p for p in status.memberships if p.membership_id not in ids))
    level = program.tier_level(status.tier_id)
    target = fall_level(program, left, level, max(program.tier_level(p.tier_id) for p in gone), day)
    events = tuple(MembershipEvent(kind, p) for p in gone)
    if target != level:
        detail = f"membership {', '.join(sorted(ids))} {kind}"
        decision = move(program, left, enrolled_on, day, target, f"membership_{kind}", detail)
    else:
        decision = TierDecision(bump(left, review_on=review_after(program, left, enrolled_on, day, level)))
    return replace(decision, membership_events=events)


def fall_level(program: Program, left: TierStatus, level: int, held_by: int, day: date) -> int:
    """The level of a member at `level` once a floor at `held_by` is gone (`left`: the status
    without it): what their figures reach, never below another floor in force; a member whose own
    tier was above the floor keeps it."""
    floor = assigned_floor(program, left, day)
    if level > held_by:
        return max(level, floor)
    return max(qualified_level(program, window_figures(left, day, program.tier_rules)), floor)
