"""Refunds take back a proportional share (as debt when already spent); adjustments are audited."""

from __future__ import annotations

import pytest

from tests.support.ledger import assert_adds_up, member_state


@pytest.fixture
def member(api, shop):
    assert api.call("POST", "/v1/members", {"member_id": "m1"}, key=shop.server_key).status == 201
    body = {"order_id": "o1", "member_id": "m1", "amount": "300.00", "currency": "CNY"}
    assert api.call("POST", "/v1/purchases", body, key=shop.server_key).json()["points_earned"] == 300
    return "m1"


def refund(api, shop, refund_id, amount, order="o1"):
    return api.call(
        "POST",
        f"/v1/purchases/{order}/refunds",
        {"refund_id": refund_id, "amount": amount},
        key=shop.server_key,
    )


def adjust(api, shop, adjustment_id, points, reason="support ticket 42"):
    body = {"adjustment_id": adjustment_id, "points": points, "reason": reason}
    return api.call("POST", "/v1/members/m1/adjustments", body, key=shop.admin_key)


def test_partial_refunds_take_back_exactly_what_the_purchase_earned(api, shop, aws, member):
    parts = [refund(api, shop, f"r{index}", "100.00") for index in range(3)]
    assert [part.status for part in parts] == [201, 201, 201]
    assert [part.json()["points_clawed_back"] for part in parts] == [100, 100, 100]
    state = member_state(aws.dynamodb, aws.table_name, "acme", member)
    assert state.available == 100  # the signup bonus is all that is left
    assert_adds_up(state)


def test_refunds_beyond_the_purchase_are_409(api, shop, member):
    assert refund(api, shop, "r1", "250.00").status == 201
    too_much = refund(api, shop, "r2", "50.01")
    assert too_much.status == 409
    assert too_much.json()["type"].endswith("/refund-exceeds-purchase")


def test_refund_of_spent_points_leaves_debt_that_the_next_earn_settles(api, shop, aws, member):
    # Given the member spent almost everything
    assert adjust(api, shop, "spend", -390).status == 201

    # When the whole purchase is refunded
    refunded = refund(api, shop, "r1", "300.00").json()

    # Then the balance stops at zero and the rest is debt
    assert (refunded["points_debited"], refunded["debt_incurred"]) == (10, 290)
    assert refunded["balance"]["available"] == 0
    member_view = api.call("GET", "/v1/members/m1", key=shop.server_key).json()
    assert member_view["debt"] == 290

    # And the next purchase settles the debt before anything becomes spendable
    body = {"order_id": "o2", "member_id": "m1", "amount": "500.00", "currency": "CNY"}
    earned = api.call("POST", "/v1/purchases", body, key=shop.server_key).json()
    assert (earned["points_earned"], earned["debt_settled"], earned["points_credited"]) == (500, 290, 210)
    state = member_state(aws.dynamodb, aws.table_name, "acme", member)
    assert (state.available, state.debt) == (210, 0)
    assert_adds_up(state)


def test_unknown_order_is_404(api, shop, member):
    assert refund(api, shop, "r1", "1.00", order="nope").status == 404


def test_grant_and_deduction_are_audited_with_reason_and_key(api, shop, member):
    assert adjust(api, shop, "a1", 40, "birthday gift").status == 201
    assert adjust(api, shop, "a2", -15, "duplicate order").status == 201
    entries = api.call("GET", "/v1/members/m1/transactions", key=shop.server_key).json()["items"]
    assert [(entry["type"], entry["points"], entry["reason"]) for entry in entries[:2]] == [
        ("adjust", -15, "duplicate order"),
        ("adjust", 40, "birthday gift"),
    ]
    assert entries[0]["balance_after"] == 100 + 300 + 40 - 15


def test_deducting_more_than_available_is_409_and_changes_nothing(api, shop, aws, member):
    before = member_state(aws.dynamodb, aws.table_name, "acme", member)
    refused = adjust(api, shop, "a1", -401)
    assert refused.status == 409
    assert refused.json()["type"].endswith("/insufficient-points")
    assert member_state(aws.dynamodb, aws.table_name, "acme", member) == before


def test_transactions_page_newest_first_with_a_cursor(api, shop, member):
    for index in range(5):
        assert adjust(api, shop, f"g{index}", index + 1).status == 201
    seen, cursor = [], None
    while True:
        query = "limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = api.call("GET", "/v1/members/m1/transactions", key=shop.server_key, query=query).json()
        seen += [int(entry["entry_id"]) for entry in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [7, 6, 5, 4, 3, 2, 1]
