"""Coupons over the API: templates, given by an admin or bought with points, checked and used
once at checkout by an unguessable code."""

from __future__ import annotations

import pytest

from loyalty.domain.coupons import CODE_ALPHABET, CODE_LENGTH
from tests.support.ledger import assert_adds_up, member_state


@pytest.fixture
def member(api, shop):
    assert api.call("POST", "/v1/members", {"member_id": "m1"}, key=shop.server_key).status == 201
    return "m1"  # 100 points


def template(api, shop, template_id="ten-off", **fields):
    body = {"name": "10 off", "kind": "amount_off", "amount_off": "10.00", "min_spend": "50.00", **fields}
    return api.call("PUT", f"/v1/coupon-templates/{template_id}", body, key=shop.admin_key)


def test_a_coupon_bought_with_points_is_used_once_at_checkout(api, shop, aws, member):
    assert template(api, shop, points_cost=40).status == 200

    # When the member buys one with points
    bought = api.call(
        "POST",
        "/v1/members/m1/coupons",
        {"issue_id": "i1", "template_id": "ten-off", "pay_with_points": True},
        key=shop.server_key,
    )

    # Then 40 points went, and the code is long and random
    assert bought.status == 201, bought.body
    coupon = bought.json()
    code = coupon["code"]
    assert len(code) == CODE_LENGTH
    assert set(code) <= set(CODE_ALPHABET)
    assert (coupon["points_paid"], coupon["balance"]["available"]) == (40, 60)
    assert_adds_up(member_state(aws.dynamodb, aws.table_name, "acme", member))
    listed = api.call("GET", "/v1/members/m1/coupons", key=shop.server_key).json()["items"]
    assert [item["code"] for item in listed] == [code]

    # And at checkout it is checked (too small an order does not qualify) and used once
    order = {"member_id": "m1", "amount": "80.00", "currency": "CNY"}
    small = api.call("POST", f"/v1/coupons/{code}/check", {**order, "amount": "49.99"}, key=shop.server_key)
    assert (small.status, small.json()["valid"]) == (200, False)
    checked = api.call("POST", f"/v1/coupons/{code}/check", order, key=shop.server_key)
    assert checked.json()["discount"] == {"amount": "10.00", "currency": "CNY"}
    used = api.call("POST", f"/v1/coupons/{code}/use", {**order, "order_id": "o1"}, key=shop.server_key)
    assert (used.status, used.json()["order_id"]) == (200, "o1")
    again = api.call("POST", f"/v1/coupons/{code}/use", {**order, "order_id": "o1"}, key=shop.server_key)
    assert again.json() == used.json()
    other = api.call("POST", f"/v1/coupons/{code}/use", {**order, "order_id": "o2"}, key=shop.server_key)
    assert (other.status, other.json()["type"].rsplit("/", 1)[1]) == (409, "coupon-unusable")
    assert (
        api.call("GET", "/v1/members/m1/coupons", key=shop.server_key).json()["items"][0]["status"] == "used"
    )


def test_coupons_given_by_hand_need_an_admin_and_bad_input_is_4xx(api, shop, rival, member):
    assert template(api, shop, "pct", kind="percent_off", percent_off=15, amount_off=None).status == 200
    body = {"issue_id": "g1", "template_id": "pct"}
    assert api.call("POST", "/v1/members/m1/coupons", body, key=shop.server_key).status == 403
    given = api.call("POST", "/v1/members/m1/coupons", body, key=shop.admin_key)
    assert given.status == 201, given.body
    code = given.json()["code"]
    order = {"member_id": "m1", "amount": "99.99", "currency": "CNY"}
    assert (
        api.call("POST", f"/v1/coupons/{code}/check", order, key=shop.server_key).json()["discount"]["amount"]
        == "14.99"
    )
    # Another member cannot use it; another tenant cannot see it
    stranger = api.call(
        "POST", f"/v1/coupons/{code}/use", {**order, "member_id": "m2", "order_id": "o"}, key=shop.server_key
    )
    assert stranger.status == 409
    assert api.call("POST", f"/v1/coupons/{code}/check", order, key=rival.server_key).status == 404
    not_for_sale = api.call(
        "POST",
        "/v1/members/m1/coupons",
        {"issue_id": "g2", "template_id": "pct", "pay_with_points": True},
        key=shop.server_key,
    )
    assert not_for_sale.status == 422
    assert template(api, shop, "bad", kind="percent_off").status == 422  # amount_off given, percent_off not
    assert (
        api.call("POST", "/v1/coupons/NOPE/use", {**order, "order_id": "o"}, key=shop.server_key).status
        == 404
    )


def test_the_coupons_of_a_member_not_enrolled_here_are_not_found(api, shop, rival, member):
    # Given a member of the shop with a coupon, and a member of the rival with none
    assert template(api, shop).status == 200
    given = api.call(
        "POST", "/v1/members/m1/coupons", {"issue_id": "g1", "template_id": "ten-off"}, key=shop.admin_key
    )
    assert given.status == 201, given.body
    assert api.call("POST", "/v1/members", {"member_id": "m2"}, key=rival.server_key).status == 201

    # When the rival lists the coupons of the shop's member, and of a member nobody enrolled
    theirs = api.call("GET", "/v1/members/m1/coupons", key=rival.server_key)
    nobodys = api.call("GET", "/v1/members/m3/coupons", key=rival.server_key)

    # Then both are 404, alike; its own member without coupons has an empty list
    assert (theirs.status, nobodys.status) == (404, 404)
    assert theirs.json()["type"] == nobodys.json()["type"]
    assert theirs.json()["detail"].replace("m1", "ID") == nobodys.json()["detail"].replace("m3", "ID")
    assert api.call("GET", "/v1/members/m2/coupons", key=rival.server_key).json()["items"] == []
