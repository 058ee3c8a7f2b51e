"""A ledger entry has one field list: every field an entry is written with comes back on
`/transactions` and in its event, whichever operation wrote it."""

from __future__ import annotations

from decimal import Decimal

from loyalty.events import event_for_item
from loyalty.models.api import (
    ActivityRequest,
    AdjustmentRequest,
    EnrollRequest,
    PurchaseRequest,
    RefundRequest,
)
from loyalty.models.rewards import HoldRequest
from loyalty.operations import activities, adjustments, holds, members, programs, purchases
from loyalty.operations.context import Principal
from tests.support.ledger import member_state

ADMIN = Principal(tenant_id="shop", scope="admin", key_id="key_test")
STAMPED_BY_THE_STORE = {"PK", "SK", "tenant_id", "member_id", "seq"}


def _publish(context, **changes):
    program = context.programs.get("shop", fresh=True)
    document = program.model_dump(mode="json")
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        target = document
        for parent in parents:
            target = target[parent]
        target[leaf] = value
    programs.publish_program(context, ADMIN, program.model_validate(document))


def _buy(context, order_id, member_id, amount):
    request = PurchaseRequest(order_id=order_id, member_id=member_id, amount=Decimal(amount), currency="CNY")
    return purchases.record_purchase(context, "shop", request)


def _every_kind_of_entry(context):
    """Entries with every optional field some operation writes: rules, caps, pending dates, a
    referee, an activity, an actor, a refund, a hold and its release."""
    _publish(context, earn__pending_days=7, caps__daily_points_per_member=150)
    members.enroll(context, "shop", EnrollRequest(member_id="alice"))
    members.enroll(context, "shop", EnrollRequest(member_id="bob", referrer_id="alice"))
    _buy(context, "o1", "bob", "100.00")
    _buy(context, "o2", "bob", "100.00")  # over the daily cap: capped
    purchases.refund_purchase(context, "shop", "o1", RefundRequest(refund_id="r1", amount=Decimal("10")))
    activities.record_activity(
        context, "shop", ActivityRequest(activity_id="td1", member_id="bob", type="test_drive")
    )
    adjustments.adjust(
        context, ADMIN, "bob", AdjustmentRequest(adjustment_id="a1", points=5, reason="goodwill")
    )
    holds.reserve(context, "shop", "bob", HoldRequest(hold_id="h1", points=20, order_id="web-1"))
    holds.release_hold(context, "shop", "h1")


def test_given_entries_of_every_kind_when_listed_and_published_then_every_written_field_comes_back(
    aws, context
):
    # Given entries written by every operation that gives them optional fields
    _every_kind_of_entry(context)

    for member_id in ("alice", "bob"):
        stored = member_state(aws.dynamodb, aws.table_name, "shop", member_id).entries
        # When the API lists them and the stream publishes them
        listed = {
            entry["entry_id"]: entry
            for entry in members.list_transactions(context, "shop", member_id, 100, None).body["items"]
        }
        events = {str(item["entry_id"]): event_for_item(item) for item in stored}

        # Then every field each entry was written with is in both, with the same value
        assert len(listed) == len(stored)
        for item in stored:
            written = {name: value for name, value in item.items() if name not in STAMPED_BY_THE_STORE}
            entry, event = listed[item["entry_id"]], events[item["entry_id"]]
            assert event is not None
            assert {**entry, "created_at": item["created_at"]} == written
            assert {**event["detail"], "created_at": event["detail"]["occurred_at"]} == {
                **written,
                "member_id": member_id,
                "event_id": event["detail"]["event_id"],
                "tenant_id": "shop",
                "occurred_at": item["created_at"],
            }

    # And the fields that used to be dropped on the way out are among them
    written_fields = {
        name
        for member_id in ("alice", "bob")
        for item in member_state(aws.dynamodb, aws.table_name, "shop", member_id).entries
        for name in item
    }
    assert {
        "rule_ids",
        "capped",
        "activity_id",
        "activity_type",
        "referee_id",
        "available_on",
        "actor",
        "hold_id",
        "held",
        "refund_id",
    } <= written_fields
