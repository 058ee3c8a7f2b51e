"""Coupon codes are unguessable; a coupon's discount never exceeds the order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from loyalty.domain.coupons import CODE_ALPHABET, CODE_LENGTH, check_coupon, new_code
from loyalty.models.rewards import CouponTemplate

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def test_codes_are_long_random_and_distinct():
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET) for code in codes)
    assert len(CODE_ALPHABET) ** CODE_LENGTH > 2**78


def check(template: CouponTemplate, amount: str, **overrides: object):
    fields = {"status": "issued", "owner": "m1", "valid_until": NOW + timedelta(days=1), "member_id": "m1"}
    return check_coupon(template, **{**fields, **overrides}, amount=Decimal(amount), now=NOW)  # type: ignore[arg-type]


def test_discounts_and_refusals():
    ten_off = CouponTemplate(
        name="t", kind="amount_off", amount_off=Decimal("10.00"), min_spend=Decimal("5.00")
    )
    assert check(ten_off, "7.00").discount == Decimal("7.00")  # never more than the order
    assert check(ten_off, "4.99").valid is False
    assert check(CouponTemplate(name="p", kind="percent_off", percent_off=15), "0.99").discount == Decimal(
        "0.14"
    )
    assert check(CouponTemplate(name="s", kind="free_shipping"), "1.00").free_shipping is True
    assert check(ten_off, "20.00", status="used").reason == "the coupon was already used"
    assert check(ten_off, "20.00", member_id="m2").valid is False
    assert check(ten_off, "20.00", valid_until=NOW).valid is False
