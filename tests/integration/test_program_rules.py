"""The program's rules applied by the real operations on the real table, with a clock we move:
pending points, caps across days, activity limits, referral, back-dating, and preview = earn."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyalty.errors import InvalidRequestError
from loyalty.models.api import ActivityRequest, EnrollRequest, PurchaseRequest, RefundRequest
from loyalty.operations import activities, members, programs, purchases
from loyalty.operations.context import Principal
from tests.support.ledger import assert_adds_up, member_state

ADMIN = Principal(tenant_id="shop", scope="admin", key_id="key_test")


def publish(context, **changes):
    program = context.programs.get("shop", fresh=True)
    document = program.model_dump(mode="json")
    for path, value in changes.items():
        target = document
        *parents, leaf = path.split("__")
        for parent in parents:
            target = target[parent]
        target[leaf] = value
    return programs.publish_program(context, ADMIN, program.model_validate(document)).body


def enrol(context, member_id, **profile):
    return members.enroll(context, "shop", EnrollRequest(member_id=member_id, **profile)).body


def buy(context, order_id, member_id, amount, **extra):
    request = PurchaseRequest(
        order_id=order_id, member_id=member_id, amount=Decimal(amount), currency="CNY", **extra
    )
    return purchases.record_purchase(context, "shop", request).body


def view(context, member_id):
    return members.read_member(context, "shop", member_id).body


def test_pending_points_become_available_when_the_return_window_closes(aws, context, clock):
    publish(context, earn__pending_days=7)
    enrol(context, "m1")

    earned = buy(context, "o1", "m1", "129.90")

    assert earned["pending_until"] == (clock().date() + timedelta(days=7)).isoformat()
    assert view(context, "m1")["balance"] == {"available": 100, "pending": 129, "held": 0, "withheld": 0}
    clock.advance(days=7)
    assert view(context, "m1")["balance"] == {
        "available": 229,
        "pending": 0,
        "held": 0,
        "withheld": 0,
    }  # no job ran
    assert_adds_up(member_state(aws.dynamodb, aws.table_name, "shop", "m1"))
    # And the next credit answers the same split a read shows (found by the simulator, seed 1)
    again = buy(context, "o2", "m1", "10.00")
    assert again["balance"] == {"available": 229, "pending": 10, "held": 0, "withheld": 0}


def test_a_refund_inside_the_window_cancels_the_pending_points(aws, context, clock):
    publish(context, earn__pending_days=7)
    enrol(context, "m1")
    buy(context, "o1", "m1", "200.00")

    refund = purchases.refund_purchase(
        context, "shop", "o1", RefundRequest(refund_id="r1", amount=Decimal("200"))
    )

    assert (refund.body["points_clawed_back"], refund.body["debt_incurred"]) == (200, 0)
    assert view(context, "m1")["balance"] == {"available": 100, "pending": 0, "held": 0, "withheld": 0}
    assert_adds_up(member_state(aws.dynamodb, aws.table_name, "shop", "m1"))


def test_spending_after_the_window_writes_the_maturation(aws, context, clock):
    publish(context, earn__pending_days=3)
    enrol(context, "m1")
    buy(context, "o1", "m1", "50.00")
    clock.advance(days=3)
    from loyalty.models.api import AdjustmentRequest
    from loyalty.operations import adjustments

    adjustments.adjust(
        context, ADMIN, "m1", AdjustmentRequest(adjustment_id="a1", points=-120, reason="gift")
    )

    state = member_state(aws.dynamodb, aws.table_name, "shop", "m1")
    assert (state.available, state.pending) == (30, 0)
    assert_adds_up(state)


def test_the_daily_cap_cuts_an_award_in_the_middle_and_resets_the_next_day(context, clock):
    publish(context, caps__daily_points_per_member=150)
    enrol(context, "m1")

    first, second = buy(context, "o1", "m1", "100.00"), buy(context, "o2", "m1", "100.00")
    clock.advance(days=1)
    third = buy(context, "o3", "m1", "100.00")

    assert [first["points_earned"], second["points_earned"], third["points_earned"]] == [100, 50, 100]
    assert (second["capped"], "cap:daily" in second["rule_ids"]) == (True, True)
    assert any("cap" in line for line in second["explanation"])


def test_activity_limits_hold_and_a_limited_activity_is_recorded_with_its_reason(context, clock):
    enrol(context, "m1")

    def drive(activity_id):
        request = ActivityRequest(activity_id=activity_id, member_id="m1", type="test_drive")
        return activities.record_activity(context, "shop", request)

    first, second = drive("td1"), drive("td2")

    assert first.body["points_earned"] > 0
    assert (second.status, second.body["points_earned"], second.body["reason"]) == (201, 0, "limit_reached")
    assert drive("td1").body == first.body  # a replay, not a third drive
    with pytest.raises(InvalidRequestError):
        activities.record_activity(
            context, "shop", ActivityRequest(activity_id="x", member_id="m1", type="skydive")
        )


def test_the_referrer_earns_once_when_the_referee_first_buys(aws, context):
    enrol(context, "alice")
    enrol(context, "bob", referrer_id="alice")

    buy(context, "o1", "bob", "10.00")
    buy(context, "o1", "bob", "10.00")  # a replay
    buy(context, "o2", "bob", "10.00")

    assert view(context, "alice")["balance"]["available"] == 100 + 500
    state = member_state(aws.dynamodb, aws.table_name, "shop", "alice")
    referral = [entry for entry in state.entries if entry.get("source") == "referral"]
    assert [(entry["points"], entry["referee_id"], entry["order_id"]) for entry in referral] == [
        (500, "bob", "o1")
    ]
    assert_adds_up(state)


def refund(context, refund_id, order_id, amount):
    request = RefundRequest(refund_id=refund_id, amount=Decimal(amount))
    return purchases.refund_purchase(context, "shop", order_id, request)


def test_a_full_refund_of_the_first_purchase_takes_the_referral_bonus_back_once(aws, context):
    # Given bob, referred by alice, paid her 500 points with his first purchase
    enrol(context, "alice")
    enrol(context, "bob", referrer_id="alice")
    buy(context, "o1", "bob", "10.00")
    assert view(context, "alice")["balance"]["available"] == 100 + 500

    # When the purchase is refunded in part (the bonus stays: bob did buy), then the rest, and
    # the last refund is sent again
    refund(context, "r1", "o1", "4.00")
    assert view(context, "alice")["balance"]["available"] == 600
    last = refund(context, "r2", "o1", "6.00")
    again = refund(context, "r2", "o1", "6.00")

    # Then the refund that made it whole took the bonus back from alice, once, with its ids
    assert (again.replayed, again.body) == (True, last.body)
    assert view(context, "alice")["balance"]["available"] == 100
    alice = member_state(aws.dynamodb, aws.table_name, "shop", "alice")
    taken = [entry for entry in alice.entries if entry["type"] == "clawback"]
    assert [(e["points"], e["source"], e["order_id"], e["refund_id"], e["referee_id"]) for e in taken] == [
        (-500, "referral", "o1", "r2", "bob")
    ]
    assert_adds_up(alice)
    bob = member_state(aws.dynamodb, aws.table_name, "shop", "bob")
    assert bob.available == 100  # his own purchase points went back too, his signup bonus stays
    assert_adds_up(bob)


def test_a_referral_bonus_already_spent_is_taken_back_as_debt(aws, context):
    from loyalty.models.api import AdjustmentRequest
    from loyalty.operations import adjustments

    # Given alice spent all but 50 of her points, the referral bonus included
    enrol(context, "alice")
    enrol(context, "bob", referrer_id="alice")
    buy(context, "o1", "bob", "10.00")
    spend = AdjustmentRequest(adjustment_id="spent", points=-550, reason="redeemed in store")
    adjustments.adjust(context, ADMIN, "alice", spend)

    # When bob's first purchase is refunded in full
    refund(context, "r1", "o1", "10.00")

    # Then alice's balance stops at zero and the rest of the bonus is debt
    alice = view(context, "alice")
    assert (alice["balance"]["available"], alice["debt"]) == (0, 450)
    state = member_state(aws.dynamodb, aws.table_name, "shop", "alice")
    assert (state.entries[-1]["points"], state.entries[-1]["debt_incurred"]) == (-50, 450)
    assert_adds_up(state)


def test_back_dated_purchases_earn_nothing_with_the_reason(context, clock):
    enrol(context, "m1")
    earned = buy(context, "o1", "m1", "10.00", occurred_at=clock() - timedelta(days=91))
    assert (earned["points_earned"], earned["reason"]) == (0, "too_old")


def test_entries_name_the_program_version_and_rules_that_produced_them(aws, context):
    enrol(context, "m1")
    buy(context, "o1", "m1", "10.00", channel="app")
    state = member_state(aws.dynamodb, aws.table_name, "shop", "m1")
    entry = next(entry for entry in state.entries if entry.get("order_id") == "o1")
    assert (entry["program_version"], entry["rule_ids"][0]) == (1, "base")


purchases_strategy = st.builds(
    dict,
    amount=st.integers(1, 2_000_000).map(lambda cents: str(Decimal(cents) / 100)),
    channel=st.sampled_from([None, "app", "store", "online"]),
    items=st.one_of(
        st.none(),
        st.lists(
            st.builds(
                dict,
                sku=st.sampled_from(["s1", "s2", "s3"]),
                category=st.sampled_from(["shoes", "toys", "food"]),
                amount=st.integers(1, 100_000).map(lambda cents: str(Decimal(cents) / 100)),
                quantity=st.integers(1, 3),
            ),
            min_size=1,
            max_size=4,
        ),
    ),
    days=st.integers(0, 9),
)


@pytest.mark.parametrize("backend", ["dynamodb-local"], indirect=True)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(purchase=purchases_strategy, rounding=st.sampled_from(["down", "nearest", "up"]))
def test_preview_equals_the_actual_earn(context, clock, purchase, rounding):
    # Given a program variant and a member with some history
    number = next(_numbers)
    member = f"p{number}"
    publish(context, earn__rounding=rounding, caps__daily_points_per_member=5000)
    enrol(context, member)
    clock.advance(days=purchase["days"])
    body = {key: value for key, value in purchase.items() if key != "days" and value is not None}
    request = PurchaseRequest.model_validate(
        {**body, "order_id": f"o{number}", "member_id": member, "currency": "CNY"}
    )
    # When the shop previews, then records the purchase
    preview = purchases.preview_purchase(context, "shop", request).body
    earned = purchases.record_purchase(context, "shop", request).body
    # Then they agree, to the point and the explanation
    assert (preview["points_earned"], preview["explanation"], preview["rule_ids"]) == (
        earned["points_earned"],
        earned["explanation"],
        earned["rule_ids"],
    )


_numbers = iter(range(10**9))


def test_a_decimal_base_rate_earns_one_point_per_ten_units_exactly_and_says_so(api, shop, aws):
    # Given a program whose base rate is "0.1" (one point per 10 CNY), rounding down
    document = api.call("GET", "/v1/program", key=shop.server_key).json()
    document["earn"]["points_per_unit"] = "0.1"
    published = api.call("PUT", "/v1/program", document, key=shop.admin_key)
    assert published.status == 200, published.body
    assert api.call("GET", "/v1/program", key=shop.server_key).json()["earn"]["points_per_unit"] == "0.1"
    assert api.call("POST", "/v1/members", {"member_id": "m1"}, key=shop.server_key).status == 201

    # When the shop previews and records a purchase of 129.90
    purchase = {"order_id": "o1", "member_id": "m1", "amount": "129.90", "currency": "CNY"}
    preview = api.call("POST", "/v1/program/preview", purchase, key=shop.server_key)
    earned = api.call("POST", "/v1/purchases", purchase, key=shop.server_key)

    # Then 12.99 exact is rounded once to 12, and the explanation says the rate in words
    assert preview.status == 200, preview.body
    assert (preview.json()["points_earned"], earned.json()["points_earned"]) == (12, 12)
    assert preview.json()["explanation"][0] == "base: 1 point(s) per 10 CNY"
    assert "total 12.99 rounded down: 12" in preview.json()["explanation"]
    assert_adds_up(member_state(aws.dynamodb, aws.table_name, "acme", "m1"))
    # And a JSON number with a fraction, a malformed string or a negative rate is 422
    for bad in (0.1, "0.1.0", "-1", "1e-1", True):
        document = api.call("GET", "/v1/program", key=shop.server_key).json()
        document["earn"]["points_per_unit"] = bad
        assert api.call("PUT", "/v1/program", document, key=shop.admin_key).status == 422, bad
    # And an integer rate is still an integer
    document = api.call("GET", "/v1/program", key=shop.server_key).json()
    document["earn"]["points_per_unit"] = 2
    assert api.call("PUT", "/v1/program", document, key=shop.admin_key).json()["earn"]["points_per_unit"] == 2
