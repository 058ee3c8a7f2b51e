"""Coupons a template gives by itself: records read from DynamoDB Local's real stream go through
the CouponIssuer function; each event gives each matching template's coupon once, however often
the stream delivers it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from infra.events import dynamodb_stream_event
from infra.lambdas import invoke, load_handler
from infra.local.filters import record_passes
from infra.template_model import load_template
from tests.integration.test_outbox import stream_records

pytestmark = [pytest.mark.parametrize("backend", ["dynamodb-local"], indirect=True), pytest.mark.stream]


def put_template(api, shop, template_id, issue_on):
    body = {"name": "5 off", "kind": "amount_off", "amount_off": "5.00", "issue_on": issue_on}
    assert api.call("PUT", f"/v1/coupon-templates/{template_id}", body, key=shop.admin_key).status == 200


def coupons(api, shop, member_id):
    response = api.call("GET", f"/v1/members/{member_id}/coupons", key=shop.server_key)
    assert response.status == 200, response.body
    return sorted(coupon["template_id"] for coupon in response.json()["items"])


def test_signup_and_purchase_coupons_are_issued_once_from_the_stream(api, shop, rival, aws, dynamodb_local):
    # Given templates issued on signup and after each purchase (and one issued on nothing)
    put_template(api, shop, "welcome", ["signup"])
    put_template(api, shop, "come-back", ["purchase"])
    put_template(api, shop, "by-hand", [])
    # And a member who enrols and buys twice, and a member of another tenant
    assert api.call("POST", "/v1/members", {"member_id": "m1"}, key=shop.server_key).status == 201
    for order in ("o1", "o2"):
        body = {"order_id": order, "member_id": "m1", "amount": "30.00", "currency": "CNY"}
        assert api.call("POST", "/v1/purchases", body, key=shop.server_key).status == 201
    assert api.call("POST", "/v1/members", {"member_id": "m1"}, key=rival.server_key).status == 201

    # When the stream's records reach the CouponIssuer function, twice (at-least-once delivery)
    arn, records = stream_records(aws, dynamodb_local)
    spec = load_template().function("CouponIssuerFunction")
    handler = load_handler(spec)
    # (as Lambda does, only the records that pass the template's filter: 2 enrolments, 2 earns)
    [source] = spec.stream_sources
    records = [record for record in records if record_passes(source.filter_patterns, record)]
    assert len(records) == 4
    for _ in range(2):
        assert invoke(spec, handler, dynamodb_stream_event(records, arn)) == {"batchItemFailures": []}

    # Then the member has one welcome coupon and one per purchase; the other tenant's member none
    assert coupons(api, shop, "m1") == ["come-back", "come-back", "welcome"]
    assert coupons(api, rival, "m1") == []


def test_an_order_that_earned_no_points_gives_no_return_coupon(api, shop, aws, dynamodb_local):
    # Given a template issued after each purchase, and a member
    put_template(api, shop, "come-back", ["purchase"])
    assert api.call("POST", "/v1/members", {"member_id": "m1"}, key=shop.server_key).status == 201
    # And three orders: one that earns 30 points, one too small to earn a point (0.50 at one point
    # per yuan, rounded down) and one older than the program's 90 days
    orders = {
        "earns": {"amount": "30.00"},
        "too-small": {"amount": "0.50"},
        "too-old": {"amount": "30.00", "occurred_at": (datetime.now(UTC) - timedelta(days=100)).isoformat()},
    }
    earned = {}
    for order_id, extra in orders.items():
        body = {"order_id": order_id, "member_id": "m1", "currency": "CNY", **extra}
        response = api.call("POST", "/v1/purchases", body, key=shop.server_key)
        assert response.status == 201, response.body
        earned[order_id] = response.json()["points_earned"]
    assert earned == {"earns": 30, "too-small": 0, "too-old": 0}

    # When the stream's records reach the CouponIssuer function (those its filter lets through)
    arn, records = stream_records(aws, dynamodb_local)
    spec = load_template().function("CouponIssuerFunction")
    [source] = spec.stream_sources
    records = [record for record in records if record_passes(source.filter_patterns, record)]
    assert invoke(spec, load_handler(spec), dynamodb_stream_event(records, arn)) == {"batchItemFailures": []}

    # Then only the order that earned points gave a return coupon
    response = api.call("GET", "/v1/members/m1/coupons", key=shop.server_key)
    assert [coupon["template_id"] for coupon in response.json()["items"]] == ["come-back"]
