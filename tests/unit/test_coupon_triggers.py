"""Which committed items give coupons on which trigger."""

from __future__ import annotations

import pytest

from loyalty.consumers.coupon_triggers import CouponTrigger, trigger_for_item

BASE = {"tenant_id": "acme", "member_id": "m1", "created_at": "2027-03-15T00:05:00+08:00"}


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        pytest.param({"SK": "MEMBER"}, CouponTrigger("acme", "m1", "signup", "m1"), id="enrolment"),
        pytest.param(
            {
                "SK": "LEDGER#000000000002",
                "type": "earn",
                "source": "purchase",
                "order_id": "o1",
                "points": 30,
            },
            CouponTrigger("acme", "m1", "purchase", "o1"),
            id="purchase",
        ),
        pytest.param(
            # too old, below the minimum, after the sunset: the order earned nothing, no return coupon
            {
                "SK": "LEDGER#000000000002",
                "type": "earn",
                "source": "purchase",
                "order_id": "o1",
                "points": 0,
            },
            None,
            id="purchase-that-earned-nothing",
        ),
        pytest.param(
            # all 30 points paid back the member's debt: the order earned them all the same
            {
                "SK": "LEDGER#000000000002",
                "type": "earn",
                "source": "purchase",
                "order_id": "o1",
                "points": 0,
                "debt_settled": 30,
            },
            CouponTrigger("acme", "m1", "purchase", "o1"),
            id="purchase-that-settled-debt",
        ),
        pytest.param(
            # written 2026-12-31T16:05Z, 1 January 2027 in Shanghai: the program's year, not UTC's
            {
                "SK": "LEDGER#000000000003",
                "type": "earn",
                "source": "birthday",
                "birthday_year": 2027,
                "created_at": "2026-12-31T16:05:00+00:00",
            },
            CouponTrigger("acme", "m1", "birthday", "2027"),
            id="birthday-once-a-program-year",
        ),
        pytest.param(
            {"SK": "LEDGER#000000000004", "type": "earn", "source": "referral", "referee_id": "m2"},
            CouponTrigger("acme", "m1", "referral", "m2"),
            id="referrer",
        ),
        pytest.param(
            {"SK": "LEDGER#000000000005", "type": "clawback", "source": "refund"}, None, id="refund"
        ),
        pytest.param(
            {"SK": "LEDGER#000000000006", "type": "earn", "source": "activity"}, None, id="activity"
        ),
        pytest.param({"SK": "TIER#00000001"}, None, id="tier-change"),
    ],
)
def test_the_trigger_of_an_item(item, expected):
    assert trigger_for_item({**BASE, **item}) == expected
