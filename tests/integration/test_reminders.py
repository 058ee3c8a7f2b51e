"""Expiry reminders: once per member, expiry date and window, in the member's language."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from loyalty.events import event_for_item
from loyalty.models.api import EnrollRequest, PurchaseRequest
from loyalty.operations import members, purchases
from loyalty.operations.reminders import run_reminders
from loyalty.store import keys
from loyalty.store.table import from_item

LAST_DAY = date(2028, 11, 30)  # the sample program's expiry of points earned on 2026-11-23


def at(days_before: int) -> datetime:
    return datetime.combine(LAST_DAY - timedelta(days=days_before), datetime.min.time(), UTC) + timedelta(
        hours=2
    )


def reminders(aws, member_id):
    items = aws.dynamodb.query(
        TableName=aws.table_name,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :r)",
        ExpressionAttributeValues={":pk": {"S": keys.member_pk("shop", member_id)}, ":r": {"S": "REMINDER#"}},
    )["Items"]
    return [from_item(item) for item in items]


def test_one_reminder_per_window_never_twice_in_the_members_language(aws, context):
    members.enroll(context, "shop", EnrollRequest(member_id="m1", locale="en"))
    purchases.record_purchase(
        context,
        "shop",
        PurchaseRequest(order_id="o1", member_id="m1", amount=Decimal("20.00"), currency="CNY"),
    )

    runs = [run_reminders(context, at(days)).reminders_sent for days in (40, 29, 29, 20, 6, 6, 1)]

    assert runs == [0, 1, 0, 0, 1, 0, 0]
    sent = reminders(aws, "m1")
    assert [(item["window_days"], item["points"]) for item in sent] == [(7, 120), (30, 120)]
    event = event_for_item(sent[1])
    assert event is not None
    assert (event["detail-type"], event["detail"]["message"]) == (
        "points.expiring",
        "120 of your points expire on 2028-11-30. Use them before then.",
    )


def test_a_late_run_sends_only_the_tightest_window_and_chinese_by_default(aws, context):
    members.enroll(context, "shop", EnrollRequest(member_id="m2"))

    assert run_reminders(context, at(5)).reminders_sent == 1

    (sent,) = reminders(aws, "m2")
    assert (sent["window_days"], sent["locale"]) == (7, "zh-CN")
    assert "100" in sent["message"]
    assert "2028-11-30" in sent["message"]
