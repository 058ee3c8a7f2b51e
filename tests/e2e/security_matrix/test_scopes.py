"""Every route x each kind of key, and malformed Authorization headers."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.security_matrix.routes import (
    ALLOWED_STATUS,
    KEYS,
    MALFORMED,
    MISSING,
    PROTECTED,
    RIGHT_SCOPE,
    ROUTES,
    WRONG_SCOPE,
)
from tests.e2e.security_matrix.support import assert_problem, bearer, send, state
from tests.e2e.test_security_member_tokens import ME_DOCUMENTED


def test_the_matrix_covers_every_route_of_the_document(stack):
    # Given the routes the served OpenAPI document lists (it leaves itself out)
    document = stack.call("GET", "/v1/openapi.json", key=None).json()
    documented = {f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item}

    # Then each one has a row in this matrix
    covered = {
        route.label.replace("{member}", "{member_id}").replace("{order}", "{order_id}") for route in ROUTES
    }
    covered = {
        label.replace("key_0000000000000000", "{key_id}").replace("versions/1", "versions/{version}")
        for label in covered
    }
    for placeholder, documented_as in MISSING.items():
        covered = {label.replace(placeholder, documented_as) for label in covered}
    # (the member's own routes take member tokens: their matrix is test_security_member_tokens.py)
    assert documented - covered - ME_DOCUMENTED == set(), "add these routes to ROUTES"


@pytest.mark.parametrize("route", PROTECTED, ids=lambda route: route.label)
def test_no_key_is_refused_by_the_gateway(stack, demo, route):
    # When a protected route is called without an Authorization header
    path, body = route.request(stack, demo)
    response = send(stack, route.method, path, body)

    # Then API Gateway answers 401 with its own body, before any function runs
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}


@pytest.mark.parametrize("route", PROTECTED, ids=lambda route: route.label)
def test_an_unknown_key_is_unauthorized(stack, demo, route):
    # When a protected route is called with a key nobody issued
    path, body = route.request(stack, demo)
    response = send(stack, route.method, path, body, headers=bearer(f"lk_admin_{uuid.uuid4().hex}"))

    # Then it is 401 problem+json
    assert_problem(response, 401)


@pytest.mark.parametrize(
    ("route", "kind"), WRONG_SCOPE, ids=[f"{kind} key: {route.label}" for route, kind in WRONG_SCOPE]
)
def test_a_key_without_the_scope_is_forbidden(stack, demo, route, kind):
    # Given the member's state before a call that could change it
    writes = route.method != "GET"
    before = state(stack, demo) if writes else None

    # When a route is called with a key whose scope does not allow it (with a valid body)
    path, body = route.request(stack, demo)
    response = send(stack, route.method, path, body, headers=bearer(KEYS[kind]))

    # Then it is 403 problem+json, and the member did not change
    assert_problem(response, 403)
    if writes:
        assert state(stack, demo) == before


@pytest.mark.parametrize(
    ("route", "kind"), RIGHT_SCOPE, ids=[f"{kind} key: {route.label}" for route, kind in RIGHT_SCOPE]
)
def test_a_key_with_the_scope_is_let_through(stack, demo, route, kind):
    # When a route is called with a key whose scope allows it
    path, body = route.request(stack, demo)
    response = send(stack, route.method, path, body, headers=bearer(KEYS[kind]))

    # Then it does what the route does
    expected = ALLOWED_STATUS.get(route.label, ALLOWED_STATUS[route.method])
    assert response.status_code == expected, f"{response.status_code} {response.text}"


def test_the_admin_key_may_republish_the_program_a_server_key_reads(stack, rival):
    # Given another tenant's program as a server key reads it (not the demo one: later tests rely on it)
    program = stack.call("GET", "/v1/program", key=rival.server_key).json()

    # When its admin key puts it back as is
    response = stack.call("PUT", "/v1/program", program, key=rival.admin_key)

    # Then it is published
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "route", [route for route in ROUTES if route.scope == "none"], ids=lambda route: route.label
)
def test_public_routes_need_no_key(stack, route):
    assert send(stack, route.method, route.path).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/members", {}),
        ("POST", "/v1/purchases", {"amount": 12}),
        ("POST", "/v1/keys", {"scope": "operator"}),
        ("GET", "/v1/members/a%23b", None),
        ("DELETE", "/v1/keys/%2E%2E", None),
    ],
    ids=["enrol", "purchase", "keys", "member id", "key id"],
)
def test_an_unknown_key_is_unauthorized_whatever_the_request(stack, method, path, body):
    # When a caller without a valid key sends a request that is also invalid
    response = send(stack, method, path, body, headers=bearer(f"lk_server_{uuid.uuid4().hex}"))

    # Then it is told to authenticate (401), not how the request is wrong (which would be 422)
    assert_problem(response, 401)


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_malformed_authorization_header_is_unauthorized(stack, demo, name):
    # When a member is read with a malformed Authorization header
    response = send(stack, "GET", f"/v1/members/{demo.member_id}", headers={"Authorization": MALFORMED[name]})

    # Then it is 401 problem+json and no member data leaves
    assert_problem(response, 401)
    assert demo.member_id not in response.text


def test_an_empty_authorization_header_is_like_none(stack, demo):
    response = send(stack, "GET", f"/v1/members/{demo.member_id}", headers={"Authorization": ""})
    assert response.status_code == 401
    assert demo.member_id not in response.text
