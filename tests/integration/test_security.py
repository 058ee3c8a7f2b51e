"""Keys, scopes and tenant isolation: 401 for no or unknown key, 403 without the scope, 404 across tenants."""

from __future__ import annotations

import pytest

from tests.support.api import OPERATOR_KEY

PURCHASE = {"order_id": "o1", "member_id": "m1", "amount": "10.00", "currency": "CNY"}
ADMIN_ROUTES = [
    ("POST", "/v1/keys", {"scope": "server"}),
    ("DELETE", "/v1/keys/key_0123456789abcdef", None),
    ("POST", "/v1/members/m1/adjustments", {"adjustment_id": "a1", "points": 5, "reason": "x"}),
]
SERVER_ROUTES = [
    ("POST", "/v1/members", {"member_id": "m9"}),
    ("GET", "/v1/members/m1", None),
    ("GET", "/v1/members/m1/transactions", None),
    ("POST", "/v1/purchases", {**PURCHASE, "order_id": "o9"}),
    ("POST", "/v1/purchases/o1/refunds", {"refund_id": "r1", "amount": "1.00"}),
    ("GET", "/v1/program", None),
]
TENANT_ROUTE = ("POST", "/v1/tenants", {"tenant_id": "newshop", "name": "New"})


@pytest.fixture
def member(api, shop):
    assert api.call("POST", "/v1/members", {"member_id": "m1"}, key=shop.server_key).status == 201
    assert api.call("POST", "/v1/purchases", PURCHASE, key=shop.server_key).status == 201


def is_problem(response, status):
    return response.status == status and response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(("method", "path", "body"), [*ADMIN_ROUTES, *SERVER_ROUTES, TENANT_ROUTE])
def test_missing_or_unknown_key_is_401(api, method, path, body):
    assert api.call(method, path, body).status == 401
    assert is_problem(api.call(method, path, body, key="not-a-key"), 401)
    assert is_problem(api.call(method, path, body, headers={"Authorization": "Basic dXNlcjpwYXNz"}), 401)


@pytest.mark.parametrize(("method", "path", "body"), [*ADMIN_ROUTES, TENANT_ROUTE])
def test_server_key_is_403_on_admin_and_operator_routes(api, shop, member, method, path, body):
    assert is_problem(api.call(method, path, body, key=shop.server_key), 403)


@pytest.mark.parametrize(("method", "path", "body"), [*ADMIN_ROUTES, *SERVER_ROUTES])
def test_operator_key_is_403_on_tenant_routes(api, method, path, body):
    assert is_problem(api.call(method, path, body, key=OPERATOR_KEY), 403)


def test_admin_key_is_403_on_operator_routes(api, shop):
    assert is_problem(api.call(*TENANT_ROUTE[:2], TENANT_ROUTE[2], key=shop.admin_key), 403)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/members/m1", None),
        ("GET", "/v1/members/m1/transactions", None),
        ("POST", "/v1/purchases/o1/refunds", {"refund_id": "r1", "amount": "1.00"}),
        ("POST", "/v1/members/m1/adjustments", {"adjustment_id": "a1", "points": -5, "reason": "x"}),
        ("POST", "/v1/purchases", {**PURCHASE, "order_id": "o2"}),
    ],
)
def test_another_tenants_key_sees_nothing_of_ours(api, shop, rival, member, method, path, body):
    assert is_problem(api.call(method, path, body, key=rival.admin_key), 404)


def test_reusing_an_order_id_in_another_tenant_is_independent(api, shop, rival, member):
    assert api.call("POST", "/v1/members", {"member_id": "m1"}, key=rival.server_key).status == 201
    assert api.call("POST", "/v1/purchases", PURCHASE, key=rival.server_key).status == 201
    ours = api.call("GET", "/v1/members/m1", key=shop.server_key).json()
    assert ours["balance"]["available"] == 110


def test_issued_key_works_and_revoked_key_is_401(api, shop):
    issued = api.call("POST", "/v1/keys", {"scope": "server", "name": "pos"}, key=shop.admin_key)
    assert issued.status == 201
    key, key_id = issued.json()["key"], issued.json()["key_id"]
    assert api.call("GET", "/v1/program", key=key).status == 200

    assert api.call("DELETE", f"/v1/keys/{key_id}", key=shop.admin_key).status == 204

    assert is_problem(api.call("GET", "/v1/program", key=key), 401)
    assert is_problem(api.call("DELETE", f"/v1/keys/{key_id}", key=shop.admin_key), 404)


def test_an_admin_cannot_revoke_another_tenants_key(api, shop, rival):
    issued = api.call("POST", "/v1/keys", {"scope": "server"}, key=rival.admin_key).json()
    assert is_problem(api.call("DELETE", f"/v1/keys/{issued['key_id']}", key=shop.admin_key), 404)
    assert api.call("GET", "/v1/program", key=issued["key"]).status == 200


def test_creating_an_existing_tenant_is_409(api, shop):
    again = api.call("POST", "/v1/tenants", {"tenant_id": "acme", "name": "Again"}, key=OPERATOR_KEY)
    assert is_problem(again, 409)
