"""Replaying a call that changes points answers the same and changes nothing; a different body
under the same natural id is 409 and changes nothing."""

from __future__ import annotations

import pytest

from tests.support.ledger import assert_adds_up, member_state


@pytest.fixture
def member(api, shop):
    response = api.call("POST", "/v1/members", {"member_id": "m1"}, key=shop.server_key)
    assert response.status == 201
    purchase = {"order_id": "o-base", "member_id": "m1", "amount": "500.00", "currency": "CNY"}
    assert api.call("POST", "/v1/purchases", purchase, key=shop.server_key).status == 201
    return "m1"


CALLS = {
    "purchase": (
        "POST",
        "/v1/purchases",
        "server",
        {"order_id": "o1", "member_id": "m1", "amount": "88.00", "currency": "CNY"},
        {"order_id": "o1", "member_id": "m1", "amount": "89.00", "currency": "CNY"},
    ),
    "refund": (
        "POST",
        "/v1/purchases/o-base/refunds",
        "server",
        {"refund_id": "r1", "amount": "100.00"},
        {"refund_id": "r1", "amount": "100.01"},
    ),
    "grant": (
        "POST",
        "/v1/members/m1/adjustments",
        "admin",
        {"adjustment_id": "a1", "points": 50, "reason": "goodwill"},
        {"adjustment_id": "a1", "points": 51, "reason": "goodwill"},
    ),
    "deduction": (
        "POST",
        "/v1/members/m1/adjustments",
        "admin",
        {"adjustment_id": "a2", "points": -50, "reason": "correction"},
        {"adjustment_id": "a2", "points": -50, "reason": "another reason"},
    ),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_replay_answers_the_same_and_changes_nothing(api, shop, aws, member, name):
    method, path, scope, body, _ = CALLS[name]
    key = shop.admin_key if scope == "admin" else shop.server_key
    first = api.call(method, path, body, key=key)
    assert first.status == 201, first.body
    before = member_state(aws.dynamodb, aws.table_name, "acme", member)

    again = api.call(method, path, body, key=key)

    assert (again.status, again.json()) == (first.status, first.json())
    assert member_state(aws.dynamodb, aws.table_name, "acme", member) == before


@pytest.mark.parametrize("name", sorted(CALLS))
def test_same_id_with_another_body_is_409_and_changes_nothing(api, shop, aws, member, name):
    method, path, scope, body, other = CALLS[name]
    key = shop.admin_key if scope == "admin" else shop.server_key
    assert api.call(method, path, body, key=key).status == 201
    before = member_state(aws.dynamodb, aws.table_name, "acme", member)

    conflict = api.call(method, path, other, key=key)

    assert conflict.status == 409
    assert conflict.headers["content-type"] == "application/problem+json"
    assert conflict.json()["type"].endswith("/idempotency-conflict")
    assert member_state(aws.dynamodb, aws.table_name, "acme", member) == before
    assert_adds_up(before)


def test_enrolment_replay_is_200_with_the_original_body(api, shop, aws):
    body = {"member_id": "m2", "name": "Bo", "birthday": "1990-02-28"}
    first = api.call("POST", "/v1/members", body, key=shop.server_key)
    again = api.call("POST", "/v1/members", body, key=shop.server_key)
    other = api.call("POST", "/v1/members", {**body, "name": "Bob"}, key=shop.server_key)

    assert (first.status, again.status, other.status) == (201, 200, 409)
    assert again.json() == first.json()
    state = member_state(aws.dynamodb, aws.table_name, "acme", "m2")
    assert state.available == 100
    assert len(state.entries) == 1


def test_amount_spelling_does_not_make_a_different_request(api, shop, member):
    body = {"order_id": "o9", "member_id": "m1", "amount": "10.5", "currency": "CNY"}
    first = api.call("POST", "/v1/purchases", body, key=shop.server_key)
    again = api.call("POST", "/v1/purchases", {**body, "amount": "10.50"}, key=shop.server_key)
    assert (first.status, again.status) == (201, 201)
    assert again.json() == first.json()
