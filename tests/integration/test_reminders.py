"""Expiry reminders: once per member, expiry date and window, in the member's language."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from loyalty.events import event_for_item
from loyalty.models.api import EnrollRequest, PurchaseRequest
from loyalty.operations import members, purchases
from loyalty.operations.expiry import run_expiry
from loyalty.operations.reminders import run_reminders
from loyalty.store import keys
from loyalty.store.job_store import JobStore
from loyalty.store.table import from_item
from tests.support.reads import items_read

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


def test_a_second_expiry_date_is_reminded_on_time_while_the_first_still_has_points(aws, context):
    from loyalty.models.api import AdjustmentRequest
    from loyalty.operations import adjustments
    from loyalty.operations.context import Principal

    # Given m3 has 100 points expiring on 2028-11-30 (its next date: the one the index keys) and
    # 40 granted to expire ten days later
    second = LAST_DAY + timedelta(days=10)
    members.enroll(context, "shop", EnrollRequest(member_id="m3", locale="en"))
    grant = AdjustmentRequest(adjustment_id="g-1", points=40, reason="goodwill", expires_on=second)
    admin = Principal(tenant_id="shop", scope="admin", key_id="key_test")
    assert adjustments.adjust(context, admin, "m3", grant).status == 201

    # When the runs come 29, 20 (the second date's 30-day window, the first date's points still
    # there) and 6 days before the first date, each twice; and, once the daily expiry run has
    # taken the first date's points, 3 days before the second
    runs = [run_reminders(context, moment).reminders_sent for moment in (at(29), at(29))]
    with items_read(context.ledger.client, context.tenants.client) as read:
        runs.append(run_reminders(context, at(20)).reminders_sent)
    runs += [run_reminders(context, moment).reminders_sent for moment in (at(20), at(6), at(6))]
    run_expiry(context, JobStore(aws.table_name), at(-1))
    runs += [run_reminders(context, moment).reminders_sent for moment in (at(-7), at(-7))]

    # Then each date is reminded in each of its windows on time, once
    assert runs == [1, 0, 1, 0, 1, 0, 1, 0]
    # And the second date cost no read of its own: the member's item once, and its program
    assert sum(read) == 2, read
    sent = sorted((item["expires_on"], item["window_days"], item["points"]) for item in reminders(aws, "m3"))
    assert sent == [
        ("2028-11-30", 7, 100),
        ("2028-11-30", 30, 100),
        ("2028-12-10", 7, 40),
        ("2028-12-10", 30, 40),
    ]
    assert "40 of your points expire on 2028-12-10" in next(
        item["message"] for item in reminders(aws, "m3") if item["expires_on"] == "2028-12-10"
    )
