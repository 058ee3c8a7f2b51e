"""Proportional clawback over one or several partial refunds."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.domain.refunds import clawback_points, referral_clawback
from loyalty.errors import RefundExceedsPurchaseError


def claw(earned, amount, before, refund, clawed):
    return clawback_points(
        points_earned=earned,
        purchase_amount=Decimal(amount),
        refunded_before=Decimal(before),
        refund_amount=Decimal(refund),
        clawed_before=clawed,
    )


def test_half_refund_takes_half_rounded_down():
    assert claw(129, "129.90", "0", "64.95", 0) == 64


def test_full_refund_takes_everything():
    assert claw(129, "129.90", "0", "129.90", 0) == 129


def test_refund_beyond_the_purchase_is_refused():
    with pytest.raises(RefundExceedsPurchaseError):
        claw(100, "100.00", "60.00", "40.01", 60)


@given(st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=8), st.integers(0, 100_000))
def test_partial_refunds_adding_up_to_the_purchase_take_back_exactly_what_it_earned(cents, earned):
    amount = Decimal(sum(cents)) / 100
    refunded, clawed = Decimal(0), 0
    for part in cents:
        step = claw(earned, amount, refunded, Decimal(part) / 100, clawed)
        assert step >= 0
        refunded += Decimal(part) / 100
        clawed += step
    assert clawed == earned


@pytest.mark.parametrize(
    ("fully_refunded", "already_taken", "expected"),
    [
        pytest.param(True, False, 500, id="the-refund-that-makes-it-whole-takes-it-all"),
        pytest.param(False, False, 0, id="a-partial-refund-keeps-the-bonus"),
        pytest.param(True, True, 0, id="never-twice"),
    ],
)
def test_the_referral_bonus_goes_back_with_a_full_refund_only(fully_refunded, already_taken, expected):
    assert (
        referral_clawback(referral_points=500, already_taken=already_taken, fully_refunded=fully_refunded)
        == expected
    )
