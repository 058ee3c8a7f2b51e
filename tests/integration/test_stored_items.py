"""Items already in a table keep working after the write path moved to one funnel and typed
records: a purchase is still stored in the shape its refunds read, an item written by an older
version is refunded, and a replay answers the stored response byte for byte."""

from __future__ import annotations

import json
from decimal import Decimal

from loyalty.models.api import EnrollRequest, PurchaseRequest, RefundRequest
from loyalty.operations import members, purchases
from tests.support.ledger import assert_adds_up, member_state


def _purchase_item(aws, order_id):
    key = {"PK": {"S": f"T#shop#OP#purchase#{order_id}"}, "SK": {"S": "OP"}}
    return aws.dynamodb.get_item(TableName=aws.table_name, Key=key, ConsistentRead=True)["Item"]


def test_given_a_purchase_when_replayed_then_the_stored_response_comes_back_byte_for_byte(aws, context):
    # Given a committed purchase
    members.enroll(context, "shop", EnrollRequest(member_id="m1"))
    request = PurchaseRequest(order_id="o1", member_id="m1", amount=Decimal("129.90"), currency="CNY")
    first = purchases.record_purchase(context, "shop", request)
    item = _purchase_item(aws, "o1")

    # When it is sent again
    again = purchases.record_purchase(context, "shop", request)

    # Then the answer is the stored response, byte for byte, and the purchase is stored in the
    # shape refunds read (amounts as decimal strings, the running refund totals, its dates)
    assert (again.replayed, again.committed) == (True, False)
    assert json.dumps(again.body, separators=(",", ":")) == item["body"]["S"]
    assert again.body == first.body
    state = item["state"]["M"]
    assert {name: next(iter(value.values())) for name, value in state.items()} == {
        "member_id": "m1",
        "amount": "129.90",
        "currency": "CNY",
        "points_earned": "129",
        "refunded_amount": "0.00",
        "points_clawed_back": "0",
        "occurred_at": context.clock().isoformat(),
        "available_on": True,  # stored as NULL: no return window in the sample program
        "expires_on": state["expires_on"]["S"],
    }


def test_given_a_purchase_stored_by_an_older_version_when_refunded_then_it_is_read_and_updated(aws, context):
    # Given a member with points, and a purchase item written by an older version (no lot dates)
    members.enroll(context, "shop", EnrollRequest(member_id="m1"))
    purchases.record_purchase(
        context,
        "shop",
        PurchaseRequest(order_id="o1", member_id="m1", amount=Decimal("200.00"), currency="CNY"),
    )
    old = {
        "PK": {"S": "T#shop#OP#purchase#o-old"},
        "SK": {"S": "OP"},
        "kind": {"S": "purchase"},
        "natural_id": {"S": "o-old"},
        "request_hash": {"S": "an-older-fingerprint"},
        "status": {"N": "201"},
        "body": {"S": '{"order_id":"o-old","points_earned":100}'},
        "version": {"N": "1"},
        "created_at": {"S": "2026-11-01T08:00:00+00:00"},
        "state": {
            "M": {
                "member_id": {"S": "m1"},
                "amount": {"S": "100.00"},
                "currency": {"S": "CNY"},
                "points_earned": {"N": "100"},
                "refunded_amount": {"S": "0.00"},
                "points_clawed_back": {"N": "0"},
                "occurred_at": {"S": "2026-11-01T08:00:00+00:00"},
            }
        },
    }
    aws.dynamodb.put_item(TableName=aws.table_name, Item=old)

    # When half of it is refunded
    refund = purchases.refund_purchase(
        context, "shop", "o-old", RefundRequest(refund_id="r1", amount=Decimal("50.00"))
    )

    # Then half its points are clawed back, and the purchase keeps its shape with the new totals
    assert (refund.status, refund.body["points_clawed_back"], refund.body["refunded_total"]) == (
        201,
        50,
        "50.00",
    )
    state = _purchase_item(aws, "o-old")["state"]["M"]
    assert (state["refunded_amount"], state["points_clawed_back"]) == ({"S": "50.00"}, {"N": "50"})
    assert _purchase_item(aws, "o-old")["version"] == {"N": "2"}
    assert _purchase_item(aws, "o-old")["body"] == old["body"]
    assert_adds_up(member_state(aws.dynamodb, aws.table_name, "shop", "m1"))
