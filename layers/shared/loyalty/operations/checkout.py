"""Checkout preview: how many points an order may use now, and the member's tier benefits that
change its price. A read: it writes nothing but the release of expired holds it finds."""

from __future__ import annotations

from loyalty.domain.calendar import local_date
from loyalty.domain.ledger import mature
from loyalty.domain.redemption import check_order_currency, max_points_for_order
from loyalty.domain.tiers import current_tier
from loyalty.errors import MemberNotFoundError
from loyalty.models.common import amount_str
from loyalty.models.program import Program
from loyalty.models.rewards import CheckoutPreviewRequest, CheckoutPreviewResponse, CheckoutTierBenefits
from loyalty.operations.context import Context, Outcome
from loyalty.operations.holds import release_expired_holds
from loyalty.store.member_store import MemberRecord


def preview_checkout(
    context: Context, tenant_id: str, member_id: str, request: CheckoutPreviewRequest
) -> Outcome:
    """The most points an order may use now: under the program's share of the order value, at
    its point value, and no more than the member has available."""
    program = context.programs.get(tenant_id)
    check_order_currency(program, request.currency)
    member = context.members.read_member(tenant_id, member_id)
    if member is None:
        raise MemberNotFoundError(f"member {member_id!r} not found")
    now = context.clock()
    member = release_expired_holds(context, member, now)
    account, _ = mature(member.account, member.lots, local_date(now, program.timezone))
    points, worth = max_points_for_order(program, request.amount, account.available)
    return Outcome(
        200,
        CheckoutPreviewResponse(
            max_points=points,
            worth={"amount": amount_str(worth), "currency": program.currency},
            available=account.available,
            point_value=program.point_value.model_dump(mode="json"),
            max_share_of_order=str(program.redemption.max_share_of_order),
            tier=_tier_benefits(program, member),
        ).model_dump(mode="json"),
    )


def _tier_benefits(program: Program, member: MemberRecord) -> CheckoutTierBenefits:
    """The member's tier (as the member view shows it) and its benefits that change the price."""
    tier = current_tier(program, member.tier)
    return CheckoutTierBenefits(
        tier_id=tier.id,
        discount_rate=str(tier.benefits.discount_rate),
        free_shipping=tier.benefits.free_shipping,
    )
