"""Races on DynamoDB Local: many spenders on one balance, many deliveries of one purchase.

Each thread plays one Lambda execution environment with its own context and client (a process
runs one invocation at a time, so threads must not share a function's resolver). DynamoDB Local
serialises transactions and never raises TransactionConflict (that path is covered by injected
faults in test_purchase_queue.py); the version conditions are what keep the ledger right here."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from loyalty.errors import InsufficientPointsError, RefundExceedsCaptureError
from loyalty.models.api import AdjustmentRequest, PurchaseRequest
from loyalty.models.rewards import HoldRefundRequest
from loyalty.operations import adjustments, hold_refunds, purchases
from loyalty.operations.context import Principal
from tests.support.ledger import assert_adds_up, member_state
from tests.support.races import Race

pytestmark = pytest.mark.parametrize("backend", ["dynamodb-local"], indirect=True)
ADMIN = Principal(tenant_id="acme", scope="admin", key_id="key_test")


@pytest.fixture
def member(api, shop):
    assert api.call("POST", "/v1/members", {"member_id": "m1"}, key=shop.server_key).status == 201
    body = {"order_id": "o1", "member_id": "m1", "amount": "100.00", "currency": "CNY"}
    assert api.call("POST", "/v1/purchases", body, key=shop.server_key).status == 201  # 200 points in all
    return "m1"


def test_twenty_threads_spending_at_once_never_overdraw(aws, member):
    race = Race(aws.table_name, parties=20)

    def spend(number: int) -> str:
        request = AdjustmentRequest(adjustment_id=f"spend-{number}", points=-15, reason="race")
        try:
            adjustments.adjust(race.context(), ADMIN, member, request)
        except InsufficientPointsError:
            return "refused"
        return "spent"

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(spend, range(20)))

    assert race.refused >= 19  # all 20 read 200 points and wrote at once: one won that round
    assert sorted(outcomes) == ["refused"] * 7 + ["spent"] * 13  # 13 x 15 = 195 of 200 points
    state = member_state(aws.dynamodb, aws.table_name, "acme", member)
    assert state.available == 5
    assert_adds_up(state)


def test_ten_simultaneous_deliveries_of_one_purchase_credit_once(aws, member):
    request = PurchaseRequest(order_id="o2", member_id=member, amount=Decimal("50.00"), currency="CNY")

    race = Race(aws.table_name, parties=10)

    def deliver(_: int) -> object:
        return purchases.record_purchase(race.context(), "acme", request).body

    with ThreadPoolExecutor(max_workers=10) as pool:
        bodies = list(pool.map(deliver, range(10)))

    assert race.refused >= 9  # all 10 found no record of the order and wrote at once
    assert all(body == bodies[0] for body in bodies)
    state = member_state(aws.dynamodb, aws.table_name, "acme", member)
    assert state.available == 250
    assert_adds_up(state)


def test_refunds_of_one_capture_racing_never_give_back_more_than_it_spent(api, shop, aws, member):
    # Given a hold of 150 points captured whole
    body = {"hold_id": "h1", "points": 150, "order_id": "o2"}
    assert api.call("POST", "/v1/members/m1/holds", body, key=shop.server_key).status == 201
    assert api.call("POST", "/v1/holds/h1/capture", key=shop.server_key).status == 200
    race = Race(aws.table_name, parties=5)

    # When five refunds of 40 points each arrive at once
    def refund(number: int) -> str:
        request = HoldRefundRequest(refund_id=f"r-{number}", points=40)
        try:
            hold_refunds.refund_points(race.context(), "acme", "h1", request)
        except RefundExceedsCaptureError:
            return "refused"
        return "refunded"

    with ThreadPoolExecutor(max_workers=5) as pool:
        outcomes = list(pool.map(refund, range(5)))

    # Then they collided, three gave back 120 points and two were refused: never past the 150
    assert race.refused >= 4
    assert sorted(outcomes) == ["refunded"] * 3 + ["refused"] * 2
    state = member_state(aws.dynamodb, aws.table_name, "acme", member)
    assert state.available == 200 - 150 + 120
    assert [entry["type"] for entry in state.entries].count("redeem_refund") == 3
    assert_adds_up(state)
