"""Shapes of what operations answer, built from store records (one place for each view)."""

from __future__ import annotations

from datetime import date
from typing import Any

from loyalty.domain.ledger import Account, Lot, Posting
from loyalty.domain.memberships import in_force, paid_until
from loyalty.domain.tiers import Figures, TierChange, TierStatus, admin_floor, current_tier, progress
from loyalty.models.api import (
    Balance,
    ExpiringPoints,
    KeepTier,
    MemberResponse,
    NextTier,
    TierAssignmentView,
    TierBenefitsView,
    TierChangeView,
    TierFigures,
    TierMissing,
    TierProgress,
    TierView,
)
from loyalty.models.memberships import MembershipInForce
from loyalty.models.program import Program
from loyalty.store.member_store import MemberRecord


def balance(account: Account) -> Balance:
    return Balance(
        available=account.available, pending=account.pending, held=account.held, withheld=account.withheld
    )


def posted(posting: Posting) -> dict[str, Any]:
    """What an answer shows of its posting: the ledger entry's id and the balance after it."""
    return {"entry_id": str(posting.seq), "balance": balance(posting.after)}


def tier_change(change: TierChange | None) -> TierChangeView | None:
    return (
        TierChangeView(from_tier=change.from_tier, to_tier=change.to_tier, reason=change.reason)
        if change
        else None
    )


def _membership(status: TierStatus, today: date) -> MembershipInForce | None:
    period, until = in_force(status, today), paid_until(status, today)
    if period is None or until is None:
        return None
    return MembershipInForce(
        membership_id=period.membership_id,
        plan_id=period.plan_id,
        tier_id=period.tier_id,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        until=until,
    )


def _figures(figures: Figures) -> TierFigures:
    return TierFigures(spend=f"{figures.spend:.2f}", purchases=figures.purchases, points=figures.points)


def tier_view(member: MemberRecord, program: Program, today: date) -> tuple[TierView, TierProgress]:
    status = member.tier
    tier = current_tier(program, status)
    assigned = status.assigned_id is not None and admin_floor(program, status, today) > 0
    view = TierView(
        id=tier.id,
        name=tier.name,
        names=tier.names,
        since=status.since,
        review_on=status.review_on,
        earn_multiplier=str(tier.earn_multiplier),
        birthday_bonus=tier.birthday_bonus,
        benefits=TierBenefitsView(
            free_shipping=tier.benefits.free_shipping,
            priority_service=tier.benefits.priority_service,
            discount_rate=str(tier.benefits.discount_rate),
            rewards=tier.benefits.rewards,
        ),
        assigned=TierAssignmentView(
            tier_id=status.assigned_id or "",
            until=status.assigned_until,
            reason=status.assigned_reason,
            assigned_by=status.assigned_by,
        )
        if assigned
        else None,
        membership=_membership(status, today),
    )
    shown = progress(program, status, today)
    above = shown.next_tier
    return view, TierProgress(
        window_from=shown.window_from,
        window_to=shown.window_to,
        figures=_figures(shown.figures),
        next_tier=NextTier(
            id=above.id,
            name=above.name,
            names=above.names,
            combine=above.qualify.combine if above.qualify else "any",
            missing=TierMissing.model_validate(shown.next_missing),
        )
        if above
        else None,
        keep=KeepTier(
            until=shown.keep_until,
            in_grace=shown.in_grace,
            missing=TierMissing.model_validate(shown.keep_missing),
        )
        if program.tier_level(status.tier_id)
        else None,
    )


def member_view(
    member: MemberRecord, account: Account, lots: list[Lot], program: Program, today: date
) -> dict[str, Any]:
    tier, tier_progress = tier_view(member, program, today)
    expiring = sorted(
        (
            ExpiringPoints(points=lot.remaining, expires_on=lot.expires_on)
            for lot in lots
            if lot.expires_on and lot.available_on is None
        ),
        key=lambda item: item.expires_on,
    )
    return MemberResponse(
        member_id=member.member_id,
        **member.profile,
        enrolled_at=member.enrolled_at,
        status=account.status,
        balance=balance(account),
        debt=account.debt,
        tier=tier,
        tier_progress=tier_progress,
        expiring=expiring,
    ).model_dump(mode="json")
