"""Bad input is a clear 4xx problem+json: never a 5xx, never a stack trace."""

from __future__ import annotations

import json

import pytest

GOOD = {"order_id": "o1", "member_id": "m1", "amount": "10.00", "currency": "CNY"}


@pytest.fixture
def member(api, shop):
    assert api.call("POST", "/v1/members", {"member_id": "m1"}, key=shop.server_key).status == 201


def assert_problem(response, status):
    assert response.status == status, response.body
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    assert "Traceback" not in response.body.decode()
    return body


@pytest.mark.parametrize("raw", ["{", "not json", "[1, 2", "\x00"])
def test_malformed_json_is_400(api, shop, raw):
    assert_problem(api.call("POST", "/v1/purchases", raw=raw, key=shop.server_key), 400)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", "-5.00"),
        ("amount", "0"),
        ("amount", "1.005"),
        ("amount", "100000000.00"),
        ("amount", 10.5),
        ("amount", "ten"),
        ("currency", "cny"),
        ("member_id", "a#b"),
        ("member_id", "../etc"),
        ("member_id", "名前"),
        ("order_id", "x" * 65),
        ("order_id", 12),
        ("items", [{"sku": "s1", "amount": "1.00", "quantity": 0}]),
        ("occurred_at", "yesterday"),
        ("balance", 1000),
    ],
)
def test_invalid_fields_are_422_with_the_field_path(api, shop, member, field, value):
    body = assert_problem(api.call("POST", "/v1/purchases", {**GOOD, field: value}, key=shop.server_key), 422)
    assert any(field in error["loc"] for error in body["errors"]), body


def test_missing_fields_are_422(api, shop):
    body = assert_problem(api.call("POST", "/v1/purchases", {"order_id": "o1"}, key=shop.server_key), 422)
    assert {tuple(error["loc"]) for error in body["errors"]} >= {("member_id",), ("amount",), ("currency",)}


def test_bodies_over_256_kb_are_413(api, shop):
    huge = json.dumps({**GOOD, "padding": "x" * (256 * 1024)})
    assert_problem(api.call("POST", "/v1/purchases", raw=huge, key=shop.server_key), 413)


def test_ids_in_the_path_are_checked(api, shop):
    assert_problem(api.call("GET", "/v1/members/a%23b", key=shop.server_key), 422)
    assert_problem(api.call("GET", "/v1/members/m1/transactions", key=shop.server_key, query="limit=0"), 422)
    assert_problem(
        api.call("GET", "/v1/members/m1/transactions", key=shop.server_key, query="cursor=zzz"), 422
    )


def test_purchase_in_a_currency_the_program_does_not_use_is_422(api, shop, member):
    assert_problem(api.call("POST", "/v1/purchases", {**GOOD, "currency": "USD"}, key=shop.server_key), 422)


def test_unknown_member_is_404(api, shop):
    assert_problem(
        api.call("POST", "/v1/purchases", {**GOOD, "member_id": "ghost"}, key=shop.server_key), 404
    )
    assert_problem(api.call("GET", "/v1/members/ghost", key=shop.server_key), 404)


def test_a_big_purchase_is_fine(api, shop, member):
    # A car is a purchase too: accepted, and earned up to the sample program's daily cap.
    cap = api.call("GET", "/v1/program", key=shop.server_key).json()["caps"]["daily_points_per_member"]
    car = api.call("POST", "/v1/purchases", {**GOOD, "amount": "99999999.99"}, key=shop.server_key)
    assert car.status == 201
    assert (car.json()["points_earned"], car.json()["capped"]) == (cap, True)


def test_a_body_that_is_not_utf8_is_400_not_500(api, shop):
    response = api.call("POST", "/v1/members", raw=b'{"member_id": "\xff\xfe"}', key=shop.server_key)
    assert_problem(response, 400)


def test_an_unknown_key_hears_401_before_its_body_is_validated(api):
    assert_problem(api.call("POST", "/v1/members", {}, key="lk_server_nobody"), 401)
    assert_problem(api.call("GET", "/v1/members/a%23b", key="lk_server_nobody"), 401)
