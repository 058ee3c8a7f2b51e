"""Checkout holds: reserve, capture (order id on the entry), release; expiry releases them lazily
and by the sweep; capture after release or expiry is 409; the checkout preview's cap."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from loyalty.errors import (
    HoldClosedError,
    IdempotencyConflictError,
    InsufficientPointsError,
    RefundExceedsCaptureError,
)
from loyalty.models.api import AdjustmentRequest, EnrollRequest
from loyalty.models.rewards import CaptureRequest, HoldRefundRequest, HoldRequest
from loyalty.operations import adjustments, hold_refunds, holds, members
from loyalty.operations.context import Principal
from loyalty.operations.expiry import run_expiry
from loyalty.store import keys
from loyalty.store.job_store import JobStore
from tests.support.ledger import assert_adds_up, member_state

ADMIN = Principal(tenant_id="shop", scope="admin", key_id="key_test")


@pytest.fixture
def member(api, shop):
    assert api.call("POST", "/v1/members", {"member_id": "m1"}, key=shop.server_key).status == 201
    return "m1"  # 100 points


def call(api, shop, method, path, body=None):
    return api.call(method, path, body, key=shop.server_key)


def test_reserve_capture_and_release_over_http(api, shop, aws, member):
    # Given two holds of 30 and 20 points
    first = call(api, shop, "POST", "/v1/members/m1/holds", {"hold_id": "h1", "points": 30})
    second = call(api, shop, "POST", "/v1/members/m1/holds", {"hold_id": "h2", "points": 20})
    assert (first.status, second.status) == (201, 201), first.body
    assert second.json()["balance"] == {"available": 50, "pending": 0, "held": 50, "withheld": 0}
    assert_adds_up(member_state(aws.dynamodb, aws.table_name, "acme", member))

    # When the first is captured for an order and the second released
    captured = call(api, shop, "POST", "/v1/holds/h1/capture", {"order_id": "o-9"})
    released = call(api, shop, "POST", "/v1/holds/h2/release")

    # Then the captured points are spent with the order on the entry, the released ones are back
    assert (captured.status, captured.json()["status"]) == (200, "captured")
    assert released.json()["balance"] == {"available": 70, "pending": 0, "held": 0, "withheld": 0}
    entries = call(api, shop, "GET", "/v1/members/m1/transactions").json()["items"]
    assert [(e["type"], e["points"], e.get("held")) for e in entries[:4]] == [
        ("release", 0, -20),
        ("redeem", -30, None),
        ("hold", 0, 20),
        ("hold", 0, 30),
    ]
    assert entries[1]["order_id"] == "o-9"
    # And repeats answer the same; capture after release and release after capture are 409
    assert call(api, shop, "POST", "/v1/holds/h1/capture", {"order_id": "o-9"}).json() == captured.json()
    assert call(api, shop, "POST", "/v1/holds/h1/capture", {"order_id": "o-10"}).status == 409
    assert call(api, shop, "POST", "/v1/holds/h2/release").json() == released.json()
    after_release = call(api, shop, "POST", "/v1/holds/h2/capture", {"order_id": "o-9"})
    assert (after_release.status, after_release.json()["type"].rsplit("/", 1)[1]) == (409, "hold-closed")
    assert call(api, shop, "POST", "/v1/holds/h1/release").status == 409
    assert call(api, shop, "POST", "/v1/holds/nope/release").status == 404
    too_much = call(api, shop, "POST", "/v1/members/m1/holds", {"hold_id": "h3", "points": 71})
    assert (too_much.status, too_much.json()["type"].rsplit("/", 1)[1]) == (409, "insufficient-points")
    assert call(api, shop, "POST", "/v1/members/m1/holds", {"hold_id": "h4", "points": 0}).status == 422
    assert_adds_up(member_state(aws.dynamodb, aws.table_name, "acme", member))


def enrolled(context, points: int) -> str:
    members.enroll(context, "shop", EnrollRequest(member_id="m1"))  # 100 points
    adjustments.adjust(context, ADMIN, "m1", AdjustmentRequest(adjustment_id="a1", points=points, reason="t"))
    return "m1"


def test_an_expired_hold_is_released_by_the_sweep_and_cannot_be_captured(context, aws, clock):
    # Given a hold of all 100 points for 60 seconds
    member = enrolled(context, 1)
    holds.reserve(context, "shop", member, HoldRequest(hold_id="h1", points=101, ttl_seconds=60))
    with pytest.raises(InsufficientPointsError):
        holds.reserve(context, "shop", member, HoldRequest(hold_id="h2", points=1))

    # When its time passes and the sweep runs
    clock.advance(seconds=61)
    report = holds.sweep_expired_holds(context, clock())

    # Then the points are available again and a capture is 409
    assert (report.holds_released, report.points_released) == (1, 101)
    state = member_state(aws.dynamodb, aws.table_name, "shop", member)
    assert (state.available, state.held) == (101, 0)
    assert_adds_up(state)
    with pytest.raises(HoldClosedError):
        holds.capture_hold(context, "shop", "h1", CaptureRequest(order_id="o1"))
    assert holds.sweep_expired_holds(context, clock()).holds_released == 0


def test_an_expired_hold_is_released_lazily_by_the_next_hold_or_capture(context, aws, clock):
    member = enrolled(context, 1)
    holds.reserve(context, "shop", member, HoldRequest(hold_id="h1", points=60, ttl_seconds=60))
    holds.reserve(context, "shop", member, HoldRequest(hold_id="h2", points=41, ttl_seconds=600))
    clock.advance(seconds=61)

    # When a new hold needs the points of the expired one (no sweep ran)
    outcome = holds.reserve(context, "shop", member, HoldRequest(hold_id="h3", points=60))

    # Then h1 was released on the way and h3 holds its points; h1 cannot be captured
    assert outcome.body["balance"] == {"available": 0, "pending": 0, "held": 101, "withheld": 0}
    with pytest.raises(HoldClosedError):
        holds.capture_hold(context, "shop", "h1", CaptureRequest(order_id="o1"))
    # And a capture of a hold whose time passed releases it and is 409
    clock.advance(seconds=600)
    with pytest.raises(HoldClosedError):
        holds.capture_hold(context, "shop", "h2", CaptureRequest(order_id="o2"))
    state = member_state(aws.dynamodb, aws.table_name, "shop", member)
    assert (state.available, state.held) == (41, 60)
    assert_adds_up(state)


def test_checkout_preview_caps_points_by_the_programs_share_and_point_value(api, shop, member):
    # Given a program that lets points pay at most half an order, 100 points = 1.00
    program = api.call("GET", "/v1/program", key=shop.server_key).json()
    program["redemption"] = {"max_share_of_order": "0.5"}
    assert api.call("PUT", "/v1/program", program, key=shop.admin_key).status == 200
    body = {"order_id": "o1", "member_id": "m1", "amount": "5000.00", "currency": "CNY"}
    assert api.call("POST", "/v1/purchases", body, key=shop.server_key).status == 201  # 5100 points

    # When previewing a 1.99 order and a 999.99 order
    small = call(api, shop, "POST", "/v1/members/m1/checkout-preview", {"amount": "1.99", "currency": "CNY"})
    large = call(
        api, shop, "POST", "/v1/members/m1/checkout-preview", {"amount": "999.99", "currency": "CNY"}
    )

    # Then the small one is capped by the share (99 points = 0.99), the large one by the balance
    assert small.status == 200, small.body
    assert (small.json()["max_points"], small.json()["worth"]["amount"]) == (99, "0.99")
    assert (large.json()["max_points"], large.json()["worth"]["amount"]) == (5100, "51.00")
    wrong = call(api, shop, "POST", "/v1/members/m1/checkout-preview", {"amount": "1.00", "currency": "USD"})
    assert wrong.status == 422


def problem_type(response) -> str:
    return response.json()["type"].rsplit("/", 1)[1]


def test_a_hold_made_for_an_order_is_captured_for_that_order_only(api, shop, aws, member):
    # Given a hold of 30 points made for order web-80
    made = call(
        api, shop, "POST", "/v1/members/m1/holds", {"hold_id": "h1", "points": 30, "order_id": "web-80"}
    )
    assert made.status == 201, made.body

    # When a capture names another order
    other = call(api, shop, "POST", "/v1/holds/h1/capture", {"order_id": "web-99"})

    # Then it is 409, and the hold is still open for its own order, its points still held
    assert (other.status, problem_type(other)) == (409, "hold-order-mismatch")
    hold = call(api, shop, "GET", "/v1/holds/h1").json()
    assert (hold["status"], hold["order_id"]) == ("held", "web-80")
    assert call(api, shop, "GET", "/v1/members/m1").json()["balance"] == {
        "available": 70,
        "pending": 0,
        "held": 30,
        "withheld": 0,
    }

    # When it is captured with no body at all
    captured = api.call("POST", "/v1/holds/h1/capture", key=shop.server_key)

    # Then it is captured for its own order, on the hold and on the ledger entry
    assert (captured.status, captured.json()["status"], captured.json()["order_id"]) == (
        200,
        "captured",
        "web-80",
    )
    entry = call(api, shop, "GET", "/v1/members/m1/transactions").json()["items"][0]
    assert (entry["type"], entry["points"], entry["order_id"]) == ("redeem", -30, "web-80")
    # And every spelling of the same capture answers the same; another order is still 409
    assert call(api, shop, "POST", "/v1/holds/h1/capture", {}).json() == captured.json()
    assert call(api, shop, "POST", "/v1/holds/h1/capture", {"order_id": "web-80"}).json() == captured.json()
    assert api.call("POST", "/v1/holds/h1/capture", key=shop.server_key).json() == captured.json()
    assert call(api, shop, "POST", "/v1/holds/h1/capture", {"order_id": "web-99"}).status == 409
    assert call(api, shop, "GET", "/v1/holds/h1").json()["order_id"] == "web-80"
    state = member_state(aws.dynamodb, aws.table_name, "acme", member)
    assert (state.available, state.held) == (70, 0)
    assert_adds_up(state)


def test_a_hold_made_without_an_order_is_captured_for_the_order_the_capture_names_or_none(context, aws):
    # Given two holds made without an order
    member = enrolled(context, 20)  # 120 points
    holds.reserve(context, "shop", member, HoldRequest(hold_id="h1", points=10))
    holds.reserve(context, "shop", member, HoldRequest(hold_id="h2", points=20))

    # When the first is captured naming an order and the second naming none
    first = holds.capture_hold(context, "shop", "h1", CaptureRequest(order_id="o-1"))
    second = holds.capture_hold(context, "shop", "h2")

    # Then the first is the named order's and the second no order's, and both are spent
    assert (first.body["order_id"], second.body["order_id"]) == ("o-1", None)
    assert second.body["balance"] == {"available": 90, "pending": 0, "held": 0, "withheld": 0}
    # And a replay of the first with no order answers the same; with another order it is 409
    assert holds.capture_hold(context, "shop", "h1", CaptureRequest()).body == first.body
    with pytest.raises(IdempotencyConflictError):
        holds.capture_hold(context, "shop", "h2", CaptureRequest(order_id="o-2"))
    assert_adds_up(member_state(aws.dynamodb, aws.table_name, "shop", member))


def test_a_partial_capture_spends_that_much_and_gives_the_rest_back_to_its_own_lots(context, aws, clock):
    # Given 100 points earned today and 50 earned 10 days later (next month), in two lots of their own
    member = members.enroll(context, "shop", EnrollRequest(member_id="m1")).body["member_id"]
    clock.advance(days=10)
    adjustments.adjust(context, ADMIN, member, AdjustmentRequest(adjustment_id="a2", points=50, reason="t"))
    first_lot, second_lot = member_state(aws.dynamodb, aws.table_name, "shop", member).lots
    assert (first_lot["remaining"], second_lot["remaining"]) == (100, 50)
    # And a hold of 120 points for an order (100 from the older lot, 20 from the newer)
    holds.reserve(context, "shop", member, HoldRequest(hold_id="h1", points=120, order_id="o-1"))

    # When 110 of them are captured
    captured = holds.capture_hold(context, "shop", "h1", CaptureRequest(points=110))

    # Then 110 are spent and the other 10 are back in the newer lot, with its date
    assert captured.status == 200
    assert (captured.body["status"], captured.body["points"], captured.body["captured"]) == (
        "captured",
        120,
        110,
    )
    assert captured.body["balance"] == {"available": 40, "pending": 0, "held": 0, "withheld": 0}
    state = member_state(aws.dynamodb, aws.table_name, "shop", member)
    assert state.lots == [{**second_lot, "remaining": 40}]
    # And the ledger says so: a release of the rest, then the capture for the order
    entries = sorted(state.entries, key=lambda entry: entry["seq"])
    assert [(e["type"], e["points"], e.get("held"), e.get("order_id")) for e in entries[-2:]] == [
        ("release", 0, -10, None),
        ("redeem", -110, None, "o-1"),
    ]
    assert captured.body["entry_id"] == str(entries[-1]["seq"])
    assert_adds_up(state)
    # And a replay answers the same, naming the points or not (as for the order); another amount is 409
    assert holds.capture_hold(context, "shop", "h1", CaptureRequest(points=110)).body == captured.body
    assert holds.capture_hold(context, "shop", "h1", CaptureRequest(order_id="o-1", points=110)).body == (
        captured.body
    )
    with pytest.raises(IdempotencyConflictError):
        holds.capture_hold(context, "shop", "h1", CaptureRequest(points=100))
    assert holds.capture_hold(context, "shop", "h1").body == captured.body
    assert len(member_state(aws.dynamodb, aws.table_name, "shop", member).entries) == len(state.entries)


def test_capturing_more_than_the_hold_holds_is_409_and_leaves_it_open(api, shop, aws, member):
    # Given a hold of 30 points
    assert call(api, shop, "POST", "/v1/members/m1/holds", {"hold_id": "h1", "points": 30}).status == 201

    # When a capture asks for 31, then one for 0 and one for "5"
    over = call(api, shop, "POST", "/v1/holds/h1/capture", {"points": 31})

    # Then it is 409 naming the problem, bad amounts are 422, and the hold is still open
    assert (over.status, problem_type(over)) == (409, "capture-exceeds-hold")
    assert call(api, shop, "POST", "/v1/holds/h1/capture", {"points": 0}).status == 422
    assert call(api, shop, "POST", "/v1/holds/h1/capture", {"points": "5"}).status == 422
    assert call(api, shop, "GET", "/v1/holds/h1").json()["status"] == "held"
    # And capturing all 30 by number is the same capture as capturing with no body
    whole = call(api, shop, "POST", "/v1/holds/h1/capture", {"points": 30})
    assert (whole.status, whole.json()["captured"], whole.json()["refunded"]) == (200, 30, 0)
    assert api.call("POST", "/v1/holds/h1/capture", key=shop.server_key).json() == whole.json()
    entries = call(api, shop, "GET", "/v1/members/m1/transactions").json()["items"]
    assert [(e["type"], e["points"]) for e in entries[:2]] == [("redeem", -30), ("hold", 0)]
    assert_adds_up(member_state(aws.dynamodb, aws.table_name, "acme", member))


def test_a_hold_stating_its_orders_amount_may_use_no_more_than_the_programs_share(api, shop, aws, member):
    # Given a program that lets points pay at most half an order, 100 points = 1.00
    program = api.call("GET", "/v1/program", key=shop.server_key).json()
    program["redemption"] = {"max_share_of_order": "0.5"}
    assert api.call("PUT", "/v1/program", program, key=shop.admin_key).status == 200
    order = {"amount": "1.99", "currency": "CNY"}  # half of it is 99 points, as the preview says
    preview = call(api, shop, "POST", "/v1/members/m1/checkout-preview", order)
    assert preview.json()["max_points"] == 99

    # When a hold for that order asks for 100 points, and then for 99
    over = call(
        api, shop, "POST", "/v1/members/m1/holds", {"hold_id": "h1", "points": 100, "order_amount": order}
    )
    within = call(
        api, shop, "POST", "/v1/members/m1/holds", {"hold_id": "h2", "points": 99, "order_amount": order}
    )

    # Then the first is 409 naming the cap and holds nothing; the second holds its 99
    assert (over.status, problem_type(over)) == (409, "share-of-order-exceeded")
    assert call(api, shop, "GET", "/v1/holds/h1").status == 404
    assert (within.status, within.json()["balance"]["held"]) == (201, 99), within.body
    # And an order in another currency is 422; a hold stating no amount is not capped
    usd = {"amount": "100.00", "currency": "USD"}
    assert (
        call(
            api, shop, "POST", "/v1/members/m1/holds", {"hold_id": "h3", "points": 1, "order_amount": usd}
        ).status
        == 422
    )
    assert call(api, shop, "POST", "/v1/members/m1/holds", {"hold_id": "h4", "points": 1}).status == 201
    assert_adds_up(member_state(aws.dynamodb, aws.table_name, "acme", member))


def test_the_checkout_preview_gives_the_members_tier_discount_and_free_shipping_to_apply(api, shop, member):
    order = {"amount": "200.00", "currency": "CNY"}
    # Given a member of the base tier, which has no discount and no free shipping
    base = call(api, shop, "POST", "/v1/members/m1/checkout-preview", order)
    assert base.json()["tier"] == {"tier_id": "base", "discount_rate": "0", "free_shipping": False}

    # When she is put in the gold tier (5% off, free shipping)
    assignment = {"tier_id": "gold", "reason": "invited"}
    assert api.call("PUT", "/v1/members/m1/tier", assignment, key=shop.admin_key).status == 200

    # Then the checkout preview gives the shop her discount rate and free shipping to apply
    gold = call(api, shop, "POST", "/v1/members/m1/checkout-preview", order)
    assert gold.status == 200, gold.body
    assert gold.json()["tier"] == {"tier_id": "gold", "discount_rate": "0.05", "free_shipping": True}
    assert gold.json()["max_points"] == base.json()["max_points"]


def captured_in_two_lots(context, aws, clock):
    """100 points in an older lot and 50 in a newer one; a hold of 120 for order o-1 captured for
    110 (the whole older lot and 10 of the newer): 40 left, in the newer lot."""
    members.enroll(context, "shop", EnrollRequest(member_id="m1"))
    clock.advance(days=10)
    adjustments.adjust(context, ADMIN, "m1", AdjustmentRequest(adjustment_id="a2", points=50, reason="t"))
    older, newer = member_state(aws.dynamodb, aws.table_name, "shop", "m1").lots
    holds.reserve(context, "shop", "m1", HoldRequest(hold_id="h1", points=120, order_id="o-1"))
    holds.capture_hold(context, "shop", "h1", CaptureRequest(points=110))
    return older, newer


def test_refunded_points_come_back_to_their_lots_exactly_once_and_never_past_the_capture(context, aws, clock):
    # Given a capture of 110 points: 100 from an older lot, 10 from a newer one
    older, newer = captured_in_two_lots(context, aws, clock)

    # When the shop refunds 30 of them
    first = hold_refunds.refund_points(context, "shop", "h1", HoldRefundRequest(refund_id="r1", points=30))

    # Then the last spent come back first, each to its own lot with its date: 10 newer, 20 older
    assert first.status == 201
    assert (first.body["points"], first.body["captured"], first.body["refunded"]) == (30, 110, 30)
    assert first.body["balance"] == {"available": 70, "pending": 0, "held": 0, "withheld": 0}
    state = member_state(aws.dynamodb, aws.table_name, "shop", "m1")
    assert state.lots == [{**older, "remaining": 20}, {**newer, "remaining": 50}]
    entry = max(state.entries, key=lambda entry: entry["seq"])
    assert (entry["type"], entry["points"], entry["refund_id"], entry["order_id"]) == (
        "redeem_refund",
        30,
        "r1",
        "o-1",
    )
    assert_adds_up(state)
    # And the same refund again answers the same and gives nothing more; other points are 409
    assert hold_refunds.refund_points(
        context, "shop", "h1", HoldRefundRequest(refund_id="r1", points=30)
    ).body == (first.body)
    with pytest.raises(IdempotencyConflictError):
        hold_refunds.refund_points(context, "shop", "h1", HoldRefundRequest(refund_id="r1", points=31))
    assert len(member_state(aws.dynamodb, aws.table_name, "shop", "m1").entries) == len(state.entries)

    # When refunds would sum past the capture, then they are 409; up to it, the rest comes back
    with pytest.raises(RefundExceedsCaptureError):
        hold_refunds.refund_points(context, "shop", "h1", HoldRefundRequest(refund_id="r2", points=81))
    last = hold_refunds.refund_points(context, "shop", "h1", HoldRefundRequest(refund_id="r2", points=80))
    assert (last.body["refunded"], last.body["balance"]["available"]) == (110, 150)
    with pytest.raises(RefundExceedsCaptureError):
        hold_refunds.refund_points(context, "shop", "h1", HoldRefundRequest(refund_id="r3", points=1))
    state = member_state(aws.dynamodb, aws.table_name, "shop", "m1")
    assert state.lots == [{**older, "remaining": 100}, {**newer, "remaining": 50}]
    assert holds.read_hold(context, "shop", "h1").body["refunded"] == 110
    assert_adds_up(state)


def test_points_refunded_over_http_and_a_hold_not_captured_has_nothing_to_refund(api, shop, aws, member):
    # Given a hold of 30 points captured for order web-80, and a hold of 20 still open
    assert (
        call(
            api, shop, "POST", "/v1/members/m1/holds", {"hold_id": "h1", "points": 30, "order_id": "web-80"}
        ).status
        == 201
    )
    assert call(api, shop, "POST", "/v1/holds/h1/capture", {}).status == 200
    assert call(api, shop, "POST", "/v1/members/m1/holds", {"hold_id": "h2", "points": 20}).status == 201

    # When the shop refunds 10 points of the first, and tries the open one and an unknown one
    refund = call(api, shop, "POST", "/v1/holds/h1/refunds", {"refund_id": "r1", "points": 10})
    open_hold = call(api, shop, "POST", "/v1/holds/h2/refunds", {"refund_id": "r2", "points": 1})
    unknown = call(api, shop, "POST", "/v1/holds/nope/refunds", {"refund_id": "r3", "points": 1})

    # Then 10 come back; the open hold is 409, the unknown one 404, bad points 422
    assert refund.status == 201, refund.body
    assert refund.json()["balance"] == {"available": 60, "pending": 0, "held": 20, "withheld": 0}
    assert (open_hold.status, problem_type(open_hold)) == (409, "refund-exceeds-capture")
    assert unknown.status == 404
    for bad in (0, "5", 1.5, None):
        assert (
            call(api, shop, "POST", "/v1/holds/h1/refunds", {"refund_id": "r4", "points": bad}).status == 422
        )
    too_much = call(api, shop, "POST", "/v1/holds/h1/refunds", {"refund_id": "r5", "points": 21})
    assert (too_much.status, problem_type(too_much)) == (409, "refund-exceeds-capture")
    entries = call(api, shop, "GET", "/v1/members/m1/transactions").json()["items"]
    assert (entries[0]["type"], entries[0]["points"], entries[0]["refund_id"]) == ("redeem_refund", 10, "r1")
    assert_adds_up(member_state(aws.dynamodb, aws.table_name, "acme", member))


def test_refunded_points_whose_date_passed_come_back_due_and_expire_at_the_next_run(context, aws, clock):
    # Given a capture of 110 points, 100 of them from a lot whose last day is 2028-11-30
    older, newer = captured_in_two_lots(context, aws, clock)
    assert older["expires_on"] == date(2028, 11, 30)

    # When the order is refunded a week after that day
    clock.now = datetime(2028, 12, 7, 4, tzinfo=UTC)
    refund = hold_refunds.refund_points(context, "shop", "h1", HoldRefundRequest(refund_id="r1", points=110))

    # Then all 110 come back, the expired ones in their own dated lot, due
    assert refund.body["balance"]["available"] == 150
    state = member_state(aws.dynamodb, aws.table_name, "shop", "m1")
    assert state.lots == [older, newer]
    assert_adds_up(state)

    # And the next daily run expires them (the other lot is still good)
    clock.now = datetime(2028, 12, 8, 16, 30, tzinfo=UTC)  # the schedule's time, 00:30 in Shanghai
    report = run_expiry(context, JobStore(aws.table_name), clock())
    assert (report.members_expired, report.points_expired) == (1, 100)
    state = member_state(aws.dynamodb, aws.table_name, "shop", "m1")
    assert (state.available, state.lots) == (50, [newer])
    assert_adds_up(state)


def test_a_hold_captured_before_partial_captures_existed_can_be_refunded_in_full(context, aws):
    # Given a hold captured whole, stored as captures were before they could be partial
    member = enrolled(context, 20)  # 120 points
    holds.reserve(context, "shop", member, HoldRequest(hold_id="h1", points=50))
    holds.capture_hold(context, "shop", "h1")
    key = {"PK": {"S": keys.member_pk("shop", member)}, "SK": {"S": keys.hold_sk("h1")}}
    aws.dynamodb.update_item(TableName=aws.table_name, Key=key, UpdateExpression="REMOVE captured")

    # When its points are refunded, then all 50 come back and no more
    refund = hold_refunds.refund_points(context, "shop", "h1", HoldRefundRequest(refund_id="r1", points=50))
    assert (refund.body["captured"], refund.body["refunded"], refund.body["balance"]["available"]) == (
        50,
        50,
        120,
    )
    with pytest.raises(RefundExceedsCaptureError):
        hold_refunds.refund_points(context, "shop", "h1", HoldRefundRequest(refund_id="r2", points=1))
    assert_adds_up(member_state(aws.dynamodb, aws.table_name, "shop", member))
