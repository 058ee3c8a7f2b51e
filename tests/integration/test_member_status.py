"""Freezing a member: no spending (409 member-frozen from the one spending gate), earnings still
recorded exactly once but withheld, and released or forfeited when an admin unfreezes; every
change a ledger entry with its reason and the acting key."""

from __future__ import annotations

import json
import uuid

import pytest

from infra.events import QueueMessage, sqs_event
from infra.lambdas import invoke, load_handler
from infra.template_model import load_template
from loyalty.errors import MemberFrozenError
from loyalty.models.api import EnrollRequest, StatusRequest
from loyalty.models.rewards import HoldRequest
from loyalty.operations import holds, members, risk
from loyalty.operations.context import Principal
from tests.support.ledger import assert_adds_up, member_state

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:PurchaseQueue"


@pytest.fixture
def member(api, shop):
    assert api.call("POST", "/v1/members", {"member_id": "m1"}, key=shop.server_key).status == 201
    return "m1"  # 100 points


def set_status(api, shop, status, **fields):
    body = {"status": status, "reason": "chargeback fraud", **fields}
    return api.call("PUT", "/v1/members/m1/status", body, key=shop.admin_key)


def buy(api, shop, order_id, amount="50.00"):
    body = {"order_id": order_id, "member_id": "m1", "amount": amount, "currency": "CNY"}
    return api.call("POST", "/v1/purchases", body, key=shop.server_key)


def problem_type(response):
    return response.json()["type"].rsplit("/", 1)[1]


def test_a_frozen_member_cannot_spend_and_its_purchase_is_withheld_then_released(api, shop, aws, member):
    # Given a frozen member
    frozen = set_status(api, shop, "frozen")
    assert frozen.status == 200, frozen.body
    assert frozen.json()["status"] == "frozen"

    # When it tries to hold or redeem points, and buys something (twice: a retry)
    hold = api.call("POST", "/v1/members/m1/holds", {"hold_id": "h1", "points": 10}, key=shop.server_key)
    reward = {"name": "Mug", "points_cost": 10, "stock": 5}
    assert api.call("PUT", "/v1/rewards/mug", reward, key=shop.admin_key).status == 200
    redemption = api.call(
        "POST",
        "/v1/members/m1/redemptions",
        {"redemption_id": "r1", "reward_id": "mug", "quantity": 1},
        key=shop.server_key,
    )
    bought, again = buy(api, shop, "o1"), buy(api, shop, "o1")

    # Then spending is refused, the purchase is recorded once with its points withheld
    assert (hold.status, problem_type(hold)) == (409, "member-frozen")
    assert (redemption.status, problem_type(redemption)) == (409, "member-frozen")
    assert bought.status == 201, bought.body
    assert again.json() == bought.json()
    view = api.call("GET", "/v1/members/m1", key=shop.server_key).json()
    assert view["status"] == "frozen"
    assert view["balance"] == {"available": 100, "pending": 0, "held": 0, "withheld": 50}
    state = member_state(aws.dynamodb, aws.table_name, "acme", member)
    assert_adds_up(state)
    assert [(e["type"], e["points"], e.get("withheld")) for e in state.entries] == [
        ("earn", 100, None),
        ("status", 0, None),
        ("earn", 50, 50),
    ]

    # When an admin unfreezes it (releasing by default)
    active = set_status(api, shop, "active", reason="cleared")

    # Then the withheld points are available, with a status entry of 0 points moving them
    assert active.status == 200, active.body
    assert (active.json()["released"], active.json()["forfeited"]) == (50, 0)
    assert active.json()["balance"] == {"available": 150, "pending": 0, "held": 0, "withheld": 0}
    state = member_state(aws.dynamodb, aws.table_name, "acme", member)
    assert_adds_up(state)
    last = state.entries[-1]
    assert (last["type"], last["points"], last["withheld"], last["status"]) == ("status", 0, -50, "active")
    assert (last["reason"], last["actor"].startswith("key_")) == ("cleared", True)
    spent = api.call("POST", "/v1/members/m1/holds", {"hold_id": "h2", "points": 150}, key=shop.server_key)
    assert spent.status == 201, spent.body


def test_unfreezing_without_release_forfeits_the_withheld_points_with_an_entry(api, shop, aws, member):
    # Given a frozen member who earned 50 points meanwhile
    assert set_status(api, shop, "frozen").status == 200
    assert buy(api, shop, "o1").status == 201

    # When an admin unfreezes it, forfeiting what was withheld
    active = set_status(api, shop, "active", release_withheld=False)

    # Then the 50 points are gone by a -50 entry, the rest is spendable again
    assert (active.json()["released"], active.json()["forfeited"]) == (0, 50)
    assert active.json()["balance"] == {"available": 100, "pending": 0, "held": 0, "withheld": 0}
    state = member_state(aws.dynamodb, aws.table_name, "acme", member)
    assert_adds_up(state)
    assert (state.entries[-1]["points"], state.entries[-1]["withheld"]) == (-50, -50)


def test_a_frozen_members_purchase_from_the_queue_is_recorded_once_and_withheld(api, shop, aws, member):
    # Given a frozen member
    assert set_status(api, shop, "frozen").status == 200
    spec = load_template().function("EarnFunction")
    handler = load_handler(spec)
    body = json.dumps(
        {"tenant_id": "acme", "order_id": "q1", "member_id": "m1", "amount": "30.00", "currency": "CNY"}
    )

    # When its purchase is delivered twice
    for _ in range(2):
        message = QueueMessage(message_id="id-1", receipt_handle=str(uuid.uuid4()), body=body)
        assert invoke(spec, handler, sqs_event([message], QUEUE_ARN)) == {"batchItemFailures": []}

    # Then it is recorded once, its points withheld
    state = member_state(aws.dynamodb, aws.table_name, "acme", member)
    assert_adds_up(state)
    assert [entry.get("order_id") for entry in state.entries].count("q1") == 1
    assert (state.available, state.withheld) == (100, 30)


def test_only_an_admin_of_the_members_tenant_changes_its_status(api, shop, rival, member):
    body = {"status": "frozen", "reason": "x"}
    as_server = api.call("PUT", "/v1/members/m1/status", body, key=shop.server_key)
    as_rival = api.call("PUT", "/v1/members/m1/status", body, key=rival.admin_key)
    bad = api.call("PUT", "/v1/members/m1/status", {"status": "closed", "reason": "x"}, key=shop.admin_key)

    assert (as_server.status, as_rival.status, bad.status) == (403, 404, 422)
    assert api.call("GET", "/v1/members/m1", key=shop.server_key).json()["status"] == "active"


def test_a_refund_while_frozen_takes_back_the_withheld_points_first(api, shop, aws, member):
    # Given a frozen member whose 50-point purchase was withheld
    assert set_status(api, shop, "frozen").status == 200
    assert buy(api, shop, "o1").status == 201

    # When the purchase is refunded in full
    refund = api.call(
        "POST", "/v1/purchases/o1/refunds", {"refund_id": "r1", "amount": "50.00"}, key=shop.server_key
    )

    # Then the withheld points go, the balance the member had before is untouched
    assert refund.status == 201, refund.body
    assert refund.json()["balance"] == {"available": 100, "pending": 0, "held": 0, "withheld": 0}
    state = member_state(aws.dynamodb, aws.table_name, "acme", member)
    assert_adds_up(state)
    assert (state.entries[-1]["points"], state.entries[-1]["withheld"]) == (-50, -50)
    # And unfreezing releases nothing more
    assert set_status(api, shop, "active", reason="cleared").json()["released"] == 0


def test_a_freeze_committed_between_a_spends_read_and_its_write_refuses_the_spend(aws, context, monkeypatch):
    # Given an active member, and a freeze committed right after a hold has read the member
    members.enroll(context, "shop", EnrollRequest(member_id="m1"))
    admin = Principal(tenant_id="shop", scope="admin", key_id="key_admin", request_id="req-1")
    original = context.ledger.read_member_and_operation
    raced: list[bool] = []

    def read_then_freeze(tenant_id, member_id, kind, natural_id):
        read = original(tenant_id, member_id, kind, natural_id)
        if kind == "hold" and not raced:
            raced.append(True)
            risk.set_status(context, admin, "m1", StatusRequest(status="frozen", reason="fraud"))
        return read

    monkeypatch.setattr(context.ledger, "read_member_and_operation", read_then_freeze)

    # When the hold commits on the member as it read it (active)
    with pytest.raises(MemberFrozenError):
        holds.reserve(context, "shop", "m1", HoldRequest(hold_id="h1", points=10))

    # Then its version condition failed, the retry read the member frozen, and nothing was held
    state = member_state(aws.dynamodb, aws.table_name, "shop", "m1")
    assert_adds_up(state)
    assert (raced, state.available, state.held) == ([True], 100, 0)
    assert [entry["type"] for entry in state.entries] == ["earn", "status"]


def test_every_spend_path_refuses_a_frozen_member_and_a_hold_opened_before_stays_open(api, shop, aws, member):
    # Given a member with a hold opened before a freeze, a coupon for points and a lottery
    opened = api.call("POST", "/v1/members/m1/holds", {"hold_id": "h1", "points": 30}, key=shop.server_key)
    assert opened.status == 201, opened.body
    coupon = {"name": "10 off", "kind": "amount_off", "amount_off": "10.00", "points_cost": 20}
    assert api.call("PUT", "/v1/coupon-templates/ten", coupon, key=shop.admin_key).status == 200
    lottery = {
        "name": "Draw",
        "points_cost": 10,
        "prizes": [{"prize_id": "p", "name": "Sticker", "weight": 1}],
    }
    assert api.call("PUT", "/v1/lotteries/spring", lottery, key=shop.admin_key).status == 200
    assert set_status(api, shop, "frozen").status == 200

    # When it captures the hold, buys a coupon with points and draws
    captured = api.call("POST", "/v1/holds/h1/capture", {"order_id": "o1"}, key=shop.server_key)
    bought = api.call(
        "POST",
        "/v1/members/m1/coupons",
        {"issue_id": "i1", "template_id": "ten", "pay_with_points": True},
        key=shop.server_key,
    )
    drawn = api.call(
        "POST", "/v1/members/m1/draws", {"draw_id": "d1", "lottery_id": "spring"}, key=shop.server_key
    )

    # Then each is 409 member-frozen, nothing is spent and the hold is still open
    refusals = [(r.status, problem_type(r)) for r in (captured, bought, drawn)]
    assert refusals == [(409, "member-frozen")] * 3
    hold = api.call("GET", "/v1/holds/h1", key=shop.server_key).json()
    assert (hold["status"], hold["captured"]) == ("held", None)
    state = member_state(aws.dynamodb, aws.table_name, "acme", member)
    assert_adds_up(state)
    assert (state.available, state.held) == (70, 30)
    assert [entry["type"] for entry in state.entries] == ["earn", "hold", "status"]

    # And once unfrozen the same capture goes through
    assert set_status(api, shop, "active", reason="cleared").status == 200
    again = api.call("POST", "/v1/holds/h1/capture", {"order_id": "o1"}, key=shop.server_key)
    assert (again.status, again.json()["status"], again.json()["balance"]["held"]) == (200, "captured", 0)
