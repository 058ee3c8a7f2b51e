"""Coupons the program gives by itself (a template's `issue_on`): on enrolment, after a
purchase (a return coupon), on the birthday bonus and to a referrer, read from the table stream.

Issuing from the stream keeps the earn path at its two round trips (the templates are only read
here), and it is exactly once all the same: each coupon's issue id is derived from the event
that caused it, and a record that fails is retried alone through the partial batch response."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)

from loyalty.consumers.outbox import plain_image
from loyalty.models.rewards import Trigger
from loyalty.operations.context import Context, default_context
from loyalty.operations.coupons import issue_for_event


@dataclass(frozen=True)
class CouponTrigger:
    tenant_id: str
    member_id: str
    trigger: Trigger
    natural_id: str  # what happened once: the member, the order, the year, the referee


def trigger_for_item(item: dict[str, Any]) -> CouponTrigger | None:
    """The event a newly inserted item stands for, if coupons may be issued on it."""
    sk = str(item.get("SK", ""))
    tenant_id, member_id = item.get("tenant_id"), item.get("member_id")
    if not tenant_id or not member_id:
        return None
    if sk == "MEMBER":
        return CouponTrigger(tenant_id, member_id, "signup", member_id)
    if not sk.startswith("LEDGER#") or item.get("type") != "earn":
        return None
    source = item.get("source")
    if source == "purchase" and item.get("order_id") and earned_points(item) > 0:
        # A return coupon rewards an order that earned points: one that earned none (too old,
        # below the minimum, after the program's last earning day) gives no coupon either.
        return CouponTrigger(tenant_id, member_id, "purchase", str(item["order_id"]))
    if source == "birthday" and item.get("birthday_year"):
        return CouponTrigger(tenant_id, member_id, "birthday", str(item["birthday_year"]))
    if source == "referral" and item.get("referee_id"):
        return CouponTrigger(tenant_id, member_id, "referral", str(item["referee_id"]))
    return None


def earned_points(item: dict[str, Any]) -> int:
    """What an earn entry earned: the points credited plus those that settled the member's debt
    (an order that paid back debt earned its points all the same)."""
    return int(item.get("points") or 0) + int(item.get("debt_settled") or 0)


def issue_for_record(record: DynamoDBRecord, context: Context | None = None) -> None:
    if record.event_name != DynamoDBRecordEventName.INSERT or record.dynamodb is None:
        return
    image = record.dynamodb.new_image
    found = trigger_for_item(plain_image(image)) if image else None
    if found is not None:
        issue_for_event(
            context or default_context(), found.tenant_id, found.member_id, found.trigger, found.natural_id
        )
