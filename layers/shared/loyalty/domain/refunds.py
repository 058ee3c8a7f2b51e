"""Proportional clawback of a purchase's points when it is refunded, in one or several parts, and
of the referral bonus the purchase paid when it is refunded in full."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from loyalty.errors import RefundExceedsPurchaseError


def clawback_points(
    *,
    points_earned: int,
    purchase_amount: Decimal,
    refunded_before: Decimal,
    refund_amount: Decimal,
    clawed_before: int,
) -> int:
    """Points to take back for this refund.

    Computed on the running total (not refund by refund) so that partial refunds adding up to
    the whole purchase take back exactly the points it earned, with no rounding drift.
    """
    refunded_after = refunded_before + refund_amount
    if refunded_after > purchase_amount:
        raise RefundExceedsPurchaseError(
            f"refunds would total {refunded_after}, the purchase was {purchase_amount}"
        )
    due = (Decimal(points_earned) * refunded_after / purchase_amount).to_integral_value(rounding=ROUND_FLOOR)
    return max(0, int(due) - clawed_before)


def referral_clawback(*, referral_points: int, already_taken: bool, fully_refunded: bool) -> int:
    """The referrer's bonus to take back with this refund of the purchase that paid it.

    All of it with the refund that makes the purchase fully refunded (the referee bought nothing
    in the end), once. A partial refund keeps the bonus: the referee did buy, and the bonus does
    not depend on how much."""
    return referral_points if fully_refunded and not already_taken else 0
