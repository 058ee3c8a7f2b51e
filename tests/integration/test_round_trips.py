"""What each operation costs in DynamoDB round trips, counted at the botocore layer (the figures
bench/ reports come from the same hook). An earn must stay at two: one read, one transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from loyalty.models.api import EnrollRequest, PurchaseRequest
from loyalty.operations import members, purchases
from loyalty.operations.context import ProgramCache


@contextmanager
def counting(client: Any) -> Iterator[list[str]]:
    calls: list[str] = []

    def count(model: Any, **_: Any) -> None:
        calls.append(model.name)

    client.meta.events.register("before-call.dynamodb.*", count)
    try:
        yield calls
    finally:
        client.meta.events.unregister("before-call.dynamodb.*", count)


def test_an_earn_is_one_read_and_one_transaction(context):
    members.enroll(context, "shop", EnrollRequest(member_id="m1"))
    context.programs = ProgramCache(context.tenants, 60)  # a warm Lambda has the program cached
    context.programs.get("shop")
    request = PurchaseRequest(order_id="o1", member_id="m1", amount=Decimal("129.90"), currency="CNY")

    with counting(context.ledger.client) as calls:
        purchases.record_purchase(context, "shop", request)
    with counting(context.ledger.client) as replay_calls:
        purchases.record_purchase(context, "shop", request)

    assert calls == ["BatchGetItem", "TransactWriteItems"]
    assert replay_calls == ["BatchGetItem"]
