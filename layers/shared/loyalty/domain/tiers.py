"""Membership tiers: the member's qualifying figures, where they stand on the program's ladder, and
how they move: up at once when an earn crosses a threshold, down only when evaluated.

The qualifying figures (spend, purchases, points earned) are kept as monthly buckets on the member
item and updated by the earn and refund operations themselves, so no decision ever reads the
member's history. The window is the program-local calendar month of the day plus the
`window_months - 1` months before it.

Evaluation, on the member's review date (membership anniversary, or the program's date):
- qualified for the tier or higher: keep it (or rise), next review in a year;
- short of it: a grace period first (if the program has one), then down to what the figures
  reach, at most `max_levels_down` levels, never below an admin-assigned tier still in force.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from loyalty.models.program import Program, Tier, TierQualification, TierRules

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Figures:
    spend: Decimal = ZERO
    purchases: int = 0
    points: int = 0

    def __add__(self, other: Figures) -> Figures:
        return Figures(self.spend + other.spend, self.purchases + other.purchases, self.points + other.points)


@dataclass(frozen=True)
class MembershipPeriod:
    """A paid membership in force or bought ahead: its tier from `starts_on` up to, not including,
    `ends_on` (program-local days). It stays on the status until the tiers run lapses it."""

    membership_id: str
    plan_id: str
    tier_id: str
    starts_on: date
    ends_on: date


@dataclass(frozen=True)
class MembershipEvent:
    kind: str  # started | extended | cancelled | lapsed
    period: MembershipPeriod


@dataclass(frozen=True)
class TierStatus:
    """The member's tier as stored on the member item. `tier_id` None is the base tier.

    `revision` counts changes to this status; every write of the member item checks it, so a
    tier decision is never made on a status someone else has changed meanwhile."""

    tier_id: str | None = None
    since: date | None = None
    review_on: date | None = None  # the next evaluation; None: nothing to evaluate (base tier)
    grace_until: date | None = None
    assigned_id: str | None = None
    assigned_until: date | None = None  # inclusive; None with assigned_id: no end
    assigned_reason: str | None = None  # why the admin assigned it, as they said
    assigned_by: str | None = None  # the acting API key's id
    revision: int = 0
    buckets: dict[str, Figures] = field(default_factory=dict)  # "YYYY-MM" -> figures of that month
    memberships: tuple[MembershipPeriod, ...] = ()  # paid, in force or bought ahead


@dataclass(frozen=True)
class TierChange:
    """An item of the member's tier history: a move on the ladder (as the tier.changed event
    tells it), or an admin's assignment or withdrawal that moved nothing (from_tier == to_tier)."""

    from_tier: str
    to_tier: str
    reason: str  # qualified | evaluation | assigned | assignment_withdrawn
    detail: str
    note: str | None = None  # an assignment's reason, as the admin gave it
    actor: str | None = None  # the id of the API key that made the assignment


@dataclass(frozen=True)
class TierDecision:
    status: TierStatus
    change: TierChange | None = None
    membership_events: tuple[MembershipEvent, ...] = ()


# --- figures ----------------------------------------------------------------------------------
def month_key(day: date) -> str:
    return f"{day:%Y-%m}"


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def window_start(day: date, rules: TierRules) -> date:
    """The first day of the rolling window that ends on `day`."""
    return _months_back(day, rules.window_months - 1)


def window_figures(status: TierStatus, day: date, rules: TierRules) -> Figures:
    first, last = month_key(window_start(day, rules)), month_key(day)
    total = Figures()
    for month, figures in status.buckets.items():
        if first <= month <= last:
            total += figures
    return total


def record(status: TierStatus, day: date, change: Figures, rules: TierRules, today: date) -> TierStatus:
    """Add `change` (negative for a refund) to the month of `day`, and drop months no window that
    ends today or later can reach. A change to a month already out of the window is dropped."""
    oldest = month_key(window_start(today, rules))
    buckets = {month: figures for month, figures in status.buckets.items() if month >= oldest}
    month = month_key(day)
    if month >= oldest:
        total = buckets.get(month, Figures()) + change
        # A refund of a purchase counted in the month never takes the month below zero.
        buckets[month] = Figures(max(total.spend, ZERO), max(total.purchases, 0), max(total.points, 0))
    return replace(status, buckets=buckets)


# --- the ladder -------------------------------------------------------------------------------
def meets(qualification: TierQualification, figures: Figures) -> bool:
    checks = [
        reached
        for threshold, reached in (
            (qualification.spend, qualification.spend is not None and figures.spend >= qualification.spend),
            (qualification.purchases, figures.purchases >= (qualification.purchases or 0)),
            (qualification.points, figures.points >= (qualification.points or 0)),
        )
        if threshold is not None
    ]
    return all(checks) if qualification.combine == "all" else any(checks)


def qualified_level(program: Program, figures: Figures) -> int:
    """The highest tier the figures reach (tiers are checked on their own, so a ladder whose
    thresholds do not rise still gives the highest tier met). A tier without thresholds is reached
    only by an assignment."""
    reached = [
        level for level, tier in enumerate(program.tiers) if tier.qualify and meets(tier.qualify, figures)
    ]
    return max(reached, default=0)


def admin_floor(program: Program, status: TierStatus, day: date) -> int:
    if status.assigned_id is None or (status.assigned_until is not None and status.assigned_until < day):
        return 0
    return program.tier_level(status.assigned_id)


def assigned_floor(program: Program, status: TierStatus, day: date) -> int:
    """The tier the member holds whatever their figures: an admin's assignment or a paid
    membership in force on `day`."""
    paid = (
        program.tier_level(period.tier_id)
        for period in status.memberships
        if period.starts_on <= day < period.ends_on
    )
    return max([admin_floor(program, status, day), *paid])


def current_tier(program: Program, status: TierStatus) -> Tier:
    return program.tiers[program.tier_level(status.tier_id)]


def may_redeem(program: Program, status: TierStatus, reward_id: str) -> bool:
    """Tier-only rewards: a reward a tier's benefits list is for that tier and the ones above."""
    lowest = next(
        (level for level, tier in enumerate(program.tiers) if reward_id in tier.benefits.rewards), 0
    )
    return program.tier_level(status.tier_id) >= lowest


def missing(qualification: TierQualification | None, figures: Figures) -> dict[str, object]:
    """What the figures lack for a qualification; with "any", each part alone would be enough."""
    if qualification is None:
        return {}
    lacking: dict[str, object] = {}
    if qualification.spend is not None and figures.spend < qualification.spend:
        lacking["spend"] = f"{qualification.spend - figures.spend:.2f}"
    if qualification.purchases is not None and figures.purchases < qualification.purchases:
        lacking["purchases"] = qualification.purchases - figures.purchases
    if qualification.points is not None and figures.points < qualification.points:
        lacking["points"] = qualification.points - figures.points
    return lacking


def _describe(figures: Figures) -> str:
    return f"spend {figures.spend:.2f}, {figures.purchases} purchases, {figures.points} points"


# --- review dates -----------------------------------------------------------------------------
def _on_or_clamped(year: int, month: int, day: int) -> date:
    # 29 February (or a 31st the program picked) falls on the month's last day in shorter years.
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def next_review(rules: TierRules, enrolled_on: date, after: date) -> date:
    """The first evaluation day after `after`: the membership anniversary or the program's date."""
    if rules.evaluate_on == "date" and rules.evaluation_date:
        month, day = (int(part) for part in rules.evaluation_date.split("-"))
    else:
        month, day = enrolled_on.month, enrolled_on.day
    candidate = _on_or_clamped(after.year, month, day)
    return candidate if candidate > after else _on_or_clamped(after.year + 1, month, day)


def review_after(
    program: Program, status: TierStatus, enrolled_on: date, day: date, level: int
) -> date | None:
    """The next review of a member now at `level`; an assignment ending before it is reviewed the
    day after it ends. The base tier with no assignment has nothing to review (out of the index)."""
    assignment_ends = (
        status.assigned_until + timedelta(days=1) if status.assigned_id and status.assigned_until else None
    )
    assignment_over = status.assigned_id is None or (assignment_ends is not None and assignment_ends <= day)
    # A membership is looked at the day it starts (if ahead) and ends; once ended (not lapsed yet) on
    # the review the run has still to make (a day not after today), else tomorrow.
    periods = status.memberships
    if any(p.ends_on <= day for p in periods):
        return status.review_on if status.review_on and status.review_on <= day else day + timedelta(days=1)
    membership_days = [moment for p in periods for moment in (p.starts_on, p.ends_on) if moment > day]
    if level == 0 and assignment_over and not membership_days:
        return None
    review = next_review(program.tier_rules, enrolled_on, day)
    sooner = [moment for moment in (assignment_ends, *membership_days) if moment and day < moment < review]
    return min(sooner, default=review)


# --- decisions --------------------------------------------------------------------------------
def after_earn(program: Program, status: TierStatus, enrolled_on: date, today: date) -> TierDecision:
    """Up at once when the figures (already including this earn) reach a higher tier; never down."""
    level = program.tier_level(status.tier_id)
    figures = window_figures(status, today, program.tier_rules)
    reached = qualified_level(program, figures)
    if reached <= level:
        return TierDecision(status)
    return move(program, status, enrolled_on, today, reached, "qualified", _describe(figures))


def evaluate(program: Program, status: TierStatus, enrolled_on: date, day: date) -> TierDecision:
    """The scheduled evaluation on the member's review day."""
    rules = program.tier_rules
    level = program.tier_level(status.tier_id)
    figures = window_figures(status, day, rules)
    reached = max(qualified_level(program, figures), assigned_floor(program, status, day))
    if reached >= level:
        if reached > level:
            return move(program, status, enrolled_on, day, reached, "evaluation", _describe(figures))
        review = review_after(program, status, enrolled_on, day, level)
        return TierDecision(bump(status, review_on=review, grace_until=None))
    if rules.grace_days and status.grace_until is None:
        grace_until = day + timedelta(days=rules.grace_days)
        return TierDecision(bump(status, review_on=grace_until, grace_until=grace_until))
    lower = max(reached, level - rules.max_levels_down)
    return move(program, status, enrolled_on, day, lower, "evaluation", _describe(figures))


def assign(
    program: Program,
    status: TierStatus,
    enrolled_on: date,
    today: date,
    tier_id: str | None,
    until: date | None,
    reason: str,
    actor: str,
) -> TierDecision:
    """An admin's assignment (VIP invitation): a floor until `until`, and the tier at once if it is
    higher. Withdrawing it (tier_id None) lowers nothing now; the next evaluation decides. Either
    way the history records it, with the admin's reason and key, whether the tier moved or not."""
    assigned = replace(
        status,
        assigned_id=tier_id,
        assigned_until=until if tier_id else None,
        assigned_reason=reason if tier_id else None,
        assigned_by=actor if tier_id else None,
    )
    level = program.tier_level(status.tier_id)
    target = program.tier_level(tier_id) if tier_id else 0
    detail = f"assigned {tier_id} until {until or 'further notice'}" if tier_id else "assignment withdrawn"
    if target > level:
        moved = move(program, assigned, enrolled_on, today, target, "assigned", detail)
        assert moved.change is not None
        return replace(moved, change=replace(moved.change, note=reason, actor=actor))
    review = review_after(program, assigned, enrolled_on, today, level)
    tier = current_tier(program, status).id
    kind = "assigned" if tier_id else "assignment_withdrawn"
    return TierDecision(bump(assigned, review_on=review), TierChange(tier, tier, kind, detail, reason, actor))


def bump(status: TierStatus, **changes: object) -> TierStatus:
    return replace(status, revision=status.revision + 1, **changes)  # type: ignore[arg-type]


def move(
    program: Program, status: TierStatus, enrolled_on: date, day: date, level: int, reason: str, detail: str
) -> TierDecision:
    before = current_tier(program, status)
    after = program.tiers[level]
    moved = replace(status, tier_id=None if level == 0 else after.id, since=day, grace_until=None)
    moved = bump(moved, review_on=review_after(program, moved, enrolled_on, day, level))
    return TierDecision(moved, TierChange(before.id, after.id, reason, detail))


# --- what the member is shown -----------------------------------------------------------------
@dataclass(frozen=True)
class Progress:
    window_from: date
    window_to: date
    figures: Figures
    next_tier: Tier | None
    next_missing: dict[str, object]
    keep_until: date | None  # the next evaluation (or the grace end) that decides the tier
    keep_missing: dict[str, object]  # what the figures lack to keep the tier if evaluated today
    in_grace: bool


def progress(program: Program, status: TierStatus, today: date) -> Progress:
    rules = program.tier_rules
    figures = window_figures(status, today, rules)
    level = program.tier_level(status.tier_id)
    above = program.tiers[level + 1] if level + 1 < len(program.tiers) else None
    tier = program.tiers[level]
    held = (
        assigned_floor(program, status, today) >= level
        or tier.qualify is None
        or meets(tier.qualify, figures)
    )
    return Progress(
        window_from=window_start(today, rules),
        window_to=today,
        figures=figures,
        next_tier=above,
        next_missing=missing(above.qualify, figures) if above else {},
        keep_until=status.review_on if level else None,
        keep_missing={} if held else missing(tier.qualify, figures),
        in_grace=status.grace_until is not None,
    )
