"""Shapes of what operations answer, built from store records (one place for each view)."""

from __future__ import annotations

from typing import Any

from loyalty.domain.ledger import Account, Lot
from loyalty.models.api import Balance, ExpiringPoints, MemberResponse
from loyalty.store.ledger_store import MemberRecord


def balance(account: Account) -> Balance:
    return Balance(available=account.available, pending=account.pending, held=account.held)


def member_view(member: MemberRecord, account: Account, lots: list[Lot]) -> dict[str, Any]:
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
        balance=balance(account),
        debt=account.debt,
        tier=None,
        tier_progress=None,
        expiring=expiring,
    ).model_dump(mode="json")
