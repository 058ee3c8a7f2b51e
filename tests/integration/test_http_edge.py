"""The HTTP edge every route shares (the resolver, the models, the problem mapping): media types,
unknown routes and methods, the key scope checked before the body, strict points, and no
purchase or activity from the future."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from loyalty.http.openapi import openapi_json
from tests.support.api import OPERATOR_KEY

DOCUMENT = json.loads(openapi_json())
OPERATIONS = [
    (method.upper(), path, operation)
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
]
WITH_BODY = [(method, path) for method, path, operation in OPERATIONS if "requestBody" in operation]
NOT_FOR_SERVER_KEYS = [
    (method, path)
    for method, path, operation in OPERATIONS
    if operation["x-key-scope"] in {"admin", "operator"}
]
PURCHASE = {"order_id": "o1", "member_id": "m1", "amount": "10.00", "currency": "CNY"}


def concrete(path: str) -> str:
    """The documented path with every parameter filled in ("{member_id}" -> "m1")."""
    parts = [
        ("1" if part == "{version}" else "m1") if part.startswith("{") else part for part in path.split("/")
    ]
    return "/".join(parts)


def key_for(shop: Any, operation_path: str, method: str, api: Any = None) -> str:
    scope = next(op for m, p, op in OPERATIONS if (m, p) == (method, operation_path))["x-key-scope"]
    if scope == "member":  # the /v1/me routes take a member token of an enrolled member
        api.call("POST", "/v1/members", {"member_id": "m-token"}, key=shop.server_key)
        minted = api.call("POST", "/v1/members/m-token/tokens", {}, key=shop.server_key)
        return str(minted.json()["token"])
    return {"operator": OPERATOR_KEY, "admin": shop.admin_key}.get(scope, shop.server_key)


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status == status, response.body
    assert response.headers["content-type"] == "application/problem+json", response.headers
    body = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    return body


@pytest.fixture
def member(api, shop):
    assert api.call("POST", "/v1/members", {"member_id": "m1"}, key=shop.server_key).status == 201
    return "m1"


def available(api, shop) -> int:
    return int(api.call("GET", "/v1/members/m1", key=shop.server_key).json()["balance"]["available"])


# --- media types, unknown routes and methods ------------------------------------------------------
@pytest.mark.parametrize(("method", "path"), WITH_BODY)
def test_every_operation_with_a_body_answers_415_to_a_body_that_is_not_json(api, shop, method, path):
    # Given a key that may call the operation and a JSON body sent as text/plain
    key = key_for(shop, path, method, api)

    # When it is sent
    response = api.call(
        method, concrete(path), raw='{"member_id": "m1"}', key=key, headers={"Content-Type": "text/plain"}
    )

    # Then it is 415 problem+json, not a 500 nor a validation error
    body = assert_problem(response, 415)
    assert "application/json" in body["detail"]


def test_a_form_encoded_body_is_415_saying_to_send_json(api, shop, member):
    # Given what `curl -d` sends without a Content-Type header
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    # When a purchase is posted that way
    response = api.call(
        "POST", "/v1/purchases", raw="order_id=o1&member_id=m1", key=shop.server_key, headers=form
    )

    # Then it is 415 and the detail says to send JSON, and nothing was credited
    body = assert_problem(response, 415)
    assert "send the body as JSON" in body["detail"]
    assert "Content-Type: application/json" in body["detail"]
    assert available(api, shop) == 100


def test_json_with_a_charset_is_still_json(api, shop, member):
    response = api.call(
        "POST",
        "/v1/purchases",
        raw=json.dumps(PURCHASE),
        key=shop.server_key,
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status == 201, response.body


def test_an_unknown_route_is_a_404_problem(api, shop):
    body = assert_problem(api.call("GET", "/v1/nothing-here", key=shop.server_key), 404)
    assert "/v1/nothing-here" in body["detail"]
    assert_problem(api.call("GET", "/v2/members/m1"), 404)


def test_an_unknown_method_is_a_405_problem_naming_the_allowed_ones(api, shop):
    response = api.call("PUT", "/v1/members/m1", key=shop.server_key)
    assert_problem(response, 405)
    assert response.headers["allow"] == "DELETE, GET, PATCH"
    assert assert_problem(api.call("PATCH", "/v1/program", key=shop.admin_key), 405)
    assert api.call("PATCH", "/v1/program", key=shop.admin_key).headers["allow"] == "GET, PUT"


# --- scope before validation ----------------------------------------------------------------------
@pytest.mark.parametrize(("method", "path"), NOT_FOR_SERVER_KEYS)
@pytest.mark.parametrize("body", [None, {"nonsense": True}, []])
def test_a_server_key_hears_403_on_every_admin_and_operator_route_whatever_the_body(
    api, shop, method, path, body
):
    # Given a server key, and no body, a body of the wrong shape, or not even an object
    # When it calls an operation that needs an admin or operator key
    response = api.call(method, concrete(path), body, key=shop.server_key)

    # Then it is 403, never the schema's 422
    body = assert_problem(response, 403)
    assert "scope" in body["detail"]


def test_an_admin_key_hears_403_on_the_operator_route_whatever_the_body(api, shop):
    assert_problem(api.call("POST", "/v1/tenants", {"tenant_id": 7}, key=shop.admin_key), 403)


# --- points are JSON integers ---------------------------------------------------------------------
@pytest.mark.parametrize("points", [True, "100", 1.5, 100.0])
def test_an_adjustment_whose_points_are_not_a_json_integer_is_422_and_credits_nothing(
    api, shop, member, points
):
    # Given a member with the signup bonus (100)
    # When an admin adjusts by something that is not a JSON integer
    response = api.call(
        "POST",
        "/v1/members/m1/adjustments",
        {"adjustment_id": "a1", "points": points, "reason": "goodwill"},
        key=shop.admin_key,
    )

    # Then it is 422 on `points`, and the balance is unchanged
    body = assert_problem(response, 422)
    assert ["points"] in [error["loc"] for error in body["errors"]], body
    assert available(api, shop) == 100
    entries = api.call("GET", "/v1/members/m1/transactions", key=shop.server_key).json()["items"]
    assert [entry["source"] for entry in entries] == ["signup"]


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/v1/members/m1/holds", {"hold_id": "h1", "points": "50"}, "points"),
        (
            "POST",
            "/v1/members/m1/redemptions",
            {"redemption_id": "r1", "reward_id": "x", "quantity": True},
            "quantity",
        ),
        ("PUT", "/v1/rewards/mug", {"name": "Mug", "points_cost": "500"}, "points_cost"),
        ("PUT", "/v1/program", {"signup_bonus": "100"}, "signup_bonus"),
        ("PUT", "/v1/program", {"activities": {"review": {"points": 2.0}}}, "points"),
    ],
)
def test_points_and_counts_are_json_integers_in_every_request(api, shop, member, method, path, body, field):
    key = shop.admin_key  # may call every one of them
    errors = assert_problem(api.call(method, path, body, key=key), 422)["errors"]
    assert any(error["loc"][-1] == field for error in errors), errors
    assert available(api, shop) == 100


# --- occurred_at --------------------------------------------------------------------------------
def test_a_purchase_two_days_in_the_future_is_422_and_credits_nothing(api, shop, member):
    # Given a purchase dated two days from now
    ahead = (datetime.now(UTC) + timedelta(days=2)).isoformat()

    # When the shop posts it
    response = api.call("POST", "/v1/purchases", {**PURCHASE, "occurred_at": ahead}, key=shop.server_key)

    # Then it is 422 naming occurred_at, and nothing was credited
    body = assert_problem(response, 422)
    assert "occurred_at" in body["detail"]
    assert available(api, shop) == 100
    preview = api.call("POST", "/v1/program/preview", {**PURCHASE, "occurred_at": ahead}, key=shop.server_key)
    assert_problem(preview, 422)


def test_a_purchase_within_the_clock_skew_is_credited(api, shop, member):
    ahead = (datetime.now(UTC) + timedelta(minutes=3)).isoformat()
    response = api.call("POST", "/v1/purchases", {**PURCHASE, "occurred_at": ahead}, key=shop.server_key)
    assert response.status == 201, response.body
    assert available(api, shop) == 100 + response.json()["points_credited"] > 100


def test_an_activity_from_the_future_is_422_and_credits_nothing(api, shop, member):
    ahead = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    activity = {"activity_id": "a1", "member_id": "m1", "type": "review", "occurred_at": ahead}
    assert_problem(api.call("POST", "/v1/activities", activity, key=shop.server_key), 422)
    assert available(api, shop) == 100


def test_an_activity_older_than_the_back_dating_limit_earns_nothing_like_a_purchase(api, shop, member):
    # Given a program that earns nothing on what is over 30 days old
    program = api.call("GET", "/v1/program", key=shop.server_key).json()
    program["earn"]["max_age_days"] = 30
    assert api.call("PUT", "/v1/program", program, key=shop.admin_key).status == 200
    old = (datetime.now(UTC) - timedelta(days=31)).isoformat()

    # When a review of 31 days ago is recorded
    activity = {"activity_id": "a1", "member_id": "m1", "type": "review", "occurred_at": old}
    response = api.call("POST", "/v1/activities", activity, key=shop.server_key)

    # Then it is recorded, earns nothing and says why
    assert response.status == 201, response.body
    assert (response.json()["points_earned"], response.json()["reason"]) == (0, "too_old")
    assert available(api, shop) == 100
