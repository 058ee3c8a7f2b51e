"""Coupons: unguessable codes, and whether (and how much) a coupon takes off an order."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal

from loyalty.models.rewards import CouponTemplate

# No 0/O, 1/I/L: read aloud and typed at a till. 16 of 31 symbols: about 79 bits, never guessed.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 16


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


@dataclass(frozen=True)
class CouponCheck:
    valid: bool
    reason: str | None = None
    discount: Decimal = Decimal("0.00")
    free_shipping: bool = False


def check_coupon(
    template: CouponTemplate,
    *,
    status: str,
    owner: str,
    valid_until: datetime,
    member_id: str,
    amount: Decimal,
    now: datetime,
) -> CouponCheck:
    """Whether the coupon applies to this member's order now, and the money it takes off (never
    more than the order, rounded down to the cent)."""
    if status != "issued":
        return CouponCheck(False, "the coupon was already used")
    if owner != member_id:
        return CouponCheck(False, "the coupon belongs to another member")
    if now >= valid_until:
        return CouponCheck(False, f"the coupon expired at {valid_until.isoformat()}")
    if template.min_spend is not None and amount < template.min_spend:
        return CouponCheck(False, f"the order must be at least {template.min_spend:.2f}")
    if template.kind == "amount_off" and template.amount_off is not None:
        return CouponCheck(True, discount=min(template.amount_off, amount))
    if template.kind == "percent_off" and template.percent_off is not None:
        off = (amount * template.percent_off / 100).quantize(Decimal("0.01"), rounding=ROUND_FLOOR)
        return CouponCheck(True, discount=off)
    return CouponCheck(True, free_shipping=True)
