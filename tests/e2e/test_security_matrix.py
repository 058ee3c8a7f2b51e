"""Who may call what, and what no caller can reach, over real HTTP against the local stack.

- every route x another tenant's ids: a member, order, refund, adjustment or key of another
  tenant is indistinguishable from a missing one (404), and the other tenant's natural ids are
  free for this tenant to use (no 409 that would reveal them);
- every route x each kind of key: no key 401 (API Gateway's own body), unknown key 401
  problem+json, server key on admin routes 403, operator key on tenant routes 403, tenant keys on
  the operator route 403, and the keys that may call a route are let through;
- issued and revoked keys, with the authorizer's 60 s cache (README: "A revoked key keeps working
  until the authorizer's cache entry ends"): a revoked key that was never cached is refused at
  once; one that was cached keeps working through the same Authorization header, and any header
  the cache has not seen is refused;
- malformed Authorization headers, oversized and undecodable bodies;
- ids with ``#``, ``/``, ``%23``, unicode, control characters, ``..``, or spelling another item's
  DynamoDB key: refused (404 or 422), never another member's data.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from tests.e2e.helpers import ADMIN_KEY, OPERATOR_KEY, SERVER_KEY

PROBLEM_JSON = "application/problem+json"
BODY_LIMIT = 256 * 1024
GATEWAY_LIMIT = 1024 * 1024


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def assert_problem(response: requests.Response, status: int) -> dict[str, Any]:
    """The response is RFC 9457 problem+json with this status, and its body."""
    request = f"{response.request.method} {response.request.url}"
    assert response.status_code == status, f"{request}: {response.status_code} {response.text[:300]}"
    assert response.headers.get("content-type", "").startswith(PROBLEM_JSON), (
        f"{request}: {response.headers.get('content-type')} {response.text[:300]}"
    )
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "status", "detail"} <= set(body)
    return body


def send(
    stack: Any, method: str, path: str, body: Any = None, *, headers: dict[str, Any] | None = None
) -> requests.Response:
    """A request with exactly these headers (the helper's ``call`` always sends a well-formed one)."""
    data = json.dumps(body) if body is not None else None
    sent = dict(headers or {})
    if data is not None:
        sent["Content-Type"] = "application/json"
    return requests.request(method, stack.url + path, data=data, headers=sent, timeout=15)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    admin_key: str
    server_key: str
    member_id: str
    order_id: str
    refund_id: str
    adjustment_id: str
    activity_id: str


def populate(stack: Any, tenant_id: str, admin_key: str, server_key: str) -> Tenant:
    """A member with a purchase, a partial refund, an adjustment and an activity."""
    tenant = Tenant(
        tenant_id,
        admin_key,
        server_key,
        new_id("m"),
        new_id("o"),
        new_id("r"),
        new_id("a"),
        new_id("act"),
    )
    calls = [
        ("POST", "/v1/members", {"member_id": tenant.member_id, "name": "Victim"}, server_key),
        (
            "POST",
            "/v1/purchases",
            {
                "order_id": tenant.order_id,
                "member_id": tenant.member_id,
                "amount": "80.00",
                "currency": "CNY",
            },
            server_key,
        ),
        (
            "POST",
            f"/v1/purchases/{tenant.order_id}/refunds",
            {"refund_id": tenant.refund_id, "amount": "10.00"},
            server_key,
        ),
        (
            "POST",
            f"/v1/members/{tenant.member_id}/adjustments",
            {"adjustment_id": tenant.adjustment_id, "points": 7, "reason": "setup"},
            admin_key,
        ),
        (
            "POST",
            "/v1/activities",
            {"activity_id": tenant.activity_id, "member_id": tenant.member_id, "type": "survey"},
            server_key,
        ),
    ]
    for method, path, body, key in calls:
        response = stack.call(method, path, body, key=key)
        assert response.status_code == 201, f"{method} {path}: {response.status_code} {response.text}"
    return tenant


@pytest.fixture(scope="module")
def rival(stack) -> Tenant:
    """Another tenant, created by the platform operator, with a member and its history."""
    tenant_id = new_id("rival")
    created = stack.call("POST", "/v1/tenants", {"tenant_id": tenant_id, "name": "Rival"}, key=OPERATOR_KEY)
    assert created.status_code == 201, created.text
    keys = created.json()
    return populate(stack, tenant_id, keys["admin_key"], keys["server_key"])


@pytest.fixture(scope="module")
def demo(stack) -> Tenant:
    return populate(stack, "demo", ADMIN_KEY, SERVER_KEY)


def state(stack: Any, tenant: Tenant) -> Any:
    """The member as its tenant reads it: profile, balance, debt and expiring points."""
    member = stack.call("GET", f"/v1/members/{tenant.member_id}", key=tenant.server_key)
    assert member.status_code == 200
    return member.json()


def snapshot(stack: Any, tenant: Tenant) -> tuple[Any, Any]:
    """The member and its ledger."""
    member = stack.call("GET", f"/v1/members/{tenant.member_id}", key=tenant.server_key)
    ledger = stack.call("GET", f"/v1/members/{tenant.member_id}/transactions", key=tenant.server_key)
    assert member.status_code == 200
    assert ledger.status_code == 200
    return member.json(), ledger.json()


# --- another tenant's ids ---------------------------------------------------------------------

CrossCall = Callable[[Tenant, Tenant], tuple[str, str, Any, str]]
"""(attacker, victim) -> (method, path, body, attacker's key): a call that names the victim's id."""

CROSS_TENANT: dict[str, CrossCall] = {
    "read the member": lambda me, other: ("GET", f"/v1/members/{other.member_id}", None, me.server_key),
    "list the member's ledger": lambda me, other: (
        "GET",
        f"/v1/members/{other.member_id}/transactions",
        None,
        me.server_key,
    ),
    "buy for the member": lambda me, other: (
        "POST",
        "/v1/purchases",
        {"order_id": new_id("x"), "member_id": other.member_id, "amount": "10.00", "currency": "CNY"},
        me.server_key,
    ),
    "refund the order": lambda me, other: (
        "POST",
        f"/v1/purchases/{other.order_id}/refunds",
        {"refund_id": new_id("x"), "amount": "1.00"},
        me.server_key,
    ),
    "record an activity for the member": lambda me, other: (
        "POST",
        "/v1/activities",
        {"activity_id": new_id("x"), "member_id": other.member_id, "type": "survey"},
        me.server_key,
    ),
    "assign the member a tier": lambda me, other: (
        "PUT",
        f"/v1/members/{other.member_id}/tier",
        {"tier_id": "silver", "reason": "theft"},
        me.admin_key,
    ),
    "redeem for the member": lambda me, other: (
        "POST",
        f"/v1/members/{other.member_id}/redemptions",
        {"redemption_id": new_id("x"), "reward_id": "any"},
        me.server_key,
    ),
    "hold the member's points": lambda me, other: (
        "POST",
        f"/v1/members/{other.member_id}/holds",
        {"hold_id": new_id("x"), "points": 1},
        me.server_key,
    ),
    "draw for the member": lambda me, other: (
        "POST",
        f"/v1/members/{other.member_id}/draws",
        {"draw_id": new_id("x"), "lottery_id": "any"},
        me.server_key,
    ),
    "adjust the member": lambda me, other: (
        "POST",
        f"/v1/members/{other.member_id}/adjustments",
        {"adjustment_id": new_id("x"), "points": -5, "reason": "theft"},
        me.admin_key,
    ),
}


@pytest.mark.parametrize("attempt", sorted(CROSS_TENANT))
def test_another_tenants_ids_are_not_found(stack, demo, rival, attempt):
    # Given a member of another tenant with a purchase, a refund, an adjustment and an activity
    before = snapshot(stack, rival)

    # When the demo shop names that tenant's id in a call
    method, path, body, key = CROSS_TENANT[attempt](demo, rival)
    response = stack.call(method, path, body, key=key)

    # Then it is not found, exactly as a missing one, and the other tenant's member is untouched
    problem = assert_problem(response, 404)
    assert rival.tenant_id not in json.dumps(problem)
    assert snapshot(stack, rival) == before


def test_a_missing_member_and_another_tenants_member_answer_alike(stack, demo, rival):
    # When the demo shop reads another tenant's member and a member nobody enrolled
    theirs = stack.call("GET", f"/v1/members/{rival.member_id}", key=demo.server_key).json()
    missing = stack.call("GET", "/v1/members/nobody-here", key=demo.server_key).json()

    # Then the two problems differ only by the id named
    assert theirs["type"] == missing["type"]
    assert theirs["title"] == missing["title"]
    assert theirs["detail"].replace(rival.member_id, "ID") == missing["detail"].replace("nobody-here", "ID")


def test_another_tenants_key_cannot_be_revoked(stack, demo, rival):
    # Given a key the other tenant issued and never used (so no authorizer cache holds it)
    issued = stack.call("POST", "/v1/keys", {"scope": "server"}, key=rival.admin_key)
    assert issued.status_code == 201, issued.text

    # When the demo admin revokes it by its id
    response = stack.call("DELETE", f"/v1/keys/{issued.json()['key_id']}", key=demo.admin_key)

    # Then it is not found, and the key still works for its own tenant
    assert_problem(response, 404)
    assert stack.call("GET", f"/v1/members/{rival.member_id}", key=issued.json()["key"]).status_code == 200


def test_another_tenants_natural_ids_are_free_to_use(stack, demo, rival):
    # Given another tenant's member, order, refund and adjustment ids
    member_id, order_id = rival.member_id, rival.order_id
    before = snapshot(stack, rival)

    # When the demo shop uses the same ids for its own member, purchase, refund and adjustment
    enrolled = stack.call("POST", "/v1/members", {"member_id": member_id}, key=demo.server_key)
    bought = stack.call(
        "POST",
        "/v1/purchases",
        {"order_id": order_id, "member_id": member_id, "amount": "30.00", "currency": "CNY"},
        key=demo.server_key,
    )
    refunded = stack.call(
        "POST",
        f"/v1/purchases/{order_id}/refunds",
        {"refund_id": rival.refund_id, "amount": "30.00"},
        key=demo.server_key,
    )
    adjusted = stack.call(
        "POST",
        f"/v1/members/{member_id}/adjustments",
        {"adjustment_id": rival.adjustment_id, "points": 3, "reason": "welcome"},
        key=demo.admin_key,
    )

    # Then each is a new record of the demo shop (201), never a conflict that would reveal the other
    assert [enrolled.status_code, bought.status_code, refunded.status_code, adjusted.status_code] == [201] * 4
    assert bought.json()["points_earned"] == 30
    assert refunded.json()["points_clawed_back"] == 30
    assert adjusted.json()["balance"]["available"] == 103
    # And each member keeps its own ledger
    demo_ledger = stack.call("GET", f"/v1/members/{member_id}/transactions", key=demo.server_key).json()
    assert sum(entry["points"] for entry in demo_ledger["items"]) == 103
    assert snapshot(stack, rival) == before


def test_a_cursor_from_another_tenants_ledger_pages_only_through_the_callers_member(stack, demo, rival):
    # Given a cursor from a page of the other tenant's member's ledger
    page = stack.call(
        "GET", f"/v1/members/{rival.member_id}/transactions?limit=1", key=rival.server_key
    ).json()
    assert page["next_cursor"]

    # When the demo shop pages its own member's ledger with it
    response = stack.call(
        "GET",
        f"/v1/members/{demo.member_id}/transactions?cursor={page['next_cursor']}",
        key=demo.server_key,
    )

    # Then it gets its own member's entries only, or a refusal
    if response.status_code == 200:
        mine = {entry["entry_id"] for entry in snapshot(stack, demo)[1]["items"]}
        assert {entry["entry_id"] for entry in response.json()["items"]} <= mine
        assert rival.order_id not in response.text
        assert rival.refund_id not in response.text
    else:
        assert_problem(response, 422)


# --- every route x every kind of key ------------------------------------------------------------

Scope = str  # "server", "admin", "operator" or "none"


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # {member}, {order}: the demo tenant's; no other placeholders
    scope: Scope
    body: Callable[[Any, Tenant], Any] | None = None
    mutates_program: bool = False

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    def request(self, stack: Any, demo: Tenant) -> tuple[str, Any]:
        path = self.path.replace("{member}", demo.member_id).replace("{order}", demo.order_id)
        for placeholder in MISSING:
            path = path.replace(placeholder, f"no-such-{placeholder.strip('{}')}")
        return path, self.body(stack, demo) if self.body else None


# Placeholders of ids no item has (the "new_" ones: what the admin PUTs create): such a call is let
# through and answers 404. A hold names a missing member, so the demo member never changes.
MISSING = {
    "{reward}": "{reward_id}",
    "{redemption}": "{redemption_id}",
    "{hold}": "{hold_id}",
    "{code}": "{code}",
    "{template}": "{template_id}",
    "{lottery}": "{lottery_id}",
    "{draw}": "{draw_id}",
    "{nobody}": "{member_id}",
    # what the admin routes create, under ids the reads above never use
    "{new_reward}": "{reward_id}",
    "{new_template}": "{template_id}",
    "{new_lottery}": "{lottery_id}",
}


def purchase_body(stack: Any, demo: Tenant) -> dict[str, str]:
    return {"order_id": new_id("o"), "member_id": demo.member_id, "amount": "5.00", "currency": "CNY"}


def current_program(stack: Any, demo: Tenant) -> Any:
    return stack.call("GET", "/v1/program", key=SERVER_KEY).json()


ROUTES = [
    Route("POST", "/v1/members", "server", lambda stack, demo: {"member_id": new_id("m")}),
    Route("GET", "/v1/members/{member}", "server"),
    Route("GET", "/v1/members/{member}/transactions", "server"),
    Route("POST", "/v1/purchases", "server", purchase_body),
    Route(
        "POST",
        "/v1/purchases/{order}/refunds",
        "server",
        lambda stack, demo: {"refund_id": new_id("r"), "amount": "0.01"},
    ),
    Route(
        "POST",
        "/v1/activities",
        "server",
        lambda stack, demo: {"activity_id": new_id("act"), "member_id": demo.member_id, "type": "survey"},
    ),
    Route("POST", "/v1/program/preview", "server", purchase_body),
    Route("GET", "/v1/program", "server"),
    Route("GET", "/v1/program/versions/1", "server"),
    Route("PUT", "/v1/program", "admin", current_program, mutates_program=True),
    Route(
        "POST",
        "/v1/members/{member}/adjustments",
        "admin",
        lambda stack, demo: {"adjustment_id": new_id("a"), "points": 1, "reason": "matrix"},
    ),
    Route(
        "PUT",
        "/v1/members/{member}/tier",
        "admin",
        lambda stack, demo: {"tier_id": None, "reason": "matrix"},  # withdraws nothing: changes nothing
    ),
    Route("POST", "/v1/keys", "admin", lambda stack, demo: {"scope": "server", "name": "matrix"}),
    Route("DELETE", "/v1/keys/key_0000000000000000", "admin"),
    Route(
        "POST",
        "/v1/tenants",
        "operator",
        lambda stack, demo: {"tenant_id": new_id("matrix"), "name": "Matrix"},
    ),
    Route("GET", "/v1/health", "none"),
    Route("GET", "/v1/openapi.json", "none"),
    # redemption: the catalog, redemptions, holds, coupons, lotteries
    Route(
        "PUT", "/v1/rewards/{new_reward}", "admin", lambda stack, demo: {"name": "Matrix", "points_cost": 1}
    ),
    Route("GET", "/v1/rewards", "server"),
    Route("GET", "/v1/rewards/{reward}", "server"),
    Route(
        "POST",
        "/v1/members/{member}/redemptions",
        "server",
        lambda stack, demo: {"redemption_id": new_id("rd"), "reward_id": "no-such-reward"},
    ),
    Route("GET", "/v1/members/{member}/redemptions/{redemption}", "server"),
    Route("POST", "/v1/members/{member}/redemptions/{redemption}/fulfil", "server"),
    Route("POST", "/v1/members/{member}/redemptions/{redemption}/cancel", "server"),
    Route(
        "POST",
        "/v1/members/{nobody}/holds",
        "server",
        lambda stack, demo: {"hold_id": new_id("h"), "points": 1},
    ),
    Route(
        "POST",
        "/v1/members/{member}/checkout-preview",
        "server",
        lambda stack, demo: {"amount": "10.00", "currency": "CNY"},
    ),
    Route("GET", "/v1/holds/{hold}", "server"),
    Route("POST", "/v1/holds/{hold}/capture", "server", lambda stack, demo: {"order_id": new_id("o")}),
    Route("POST", "/v1/holds/{hold}/release", "server"),
    Route(
        "PUT",
        "/v1/coupon-templates/{new_template}",
        "admin",
        lambda stack, demo: {"name": "Matrix", "kind": "free_shipping"},
    ),
    Route("GET", "/v1/coupon-templates", "server"),
    Route(
        "POST",
        "/v1/members/{member}/coupons",
        "server",
        lambda stack, demo: {"issue_id": new_id("i"), "template_id": "no-such", "pay_with_points": True},
    ),
    Route("GET", "/v1/members/{member}/coupons", "server"),
    Route(
        "POST",
        "/v1/coupons/{code}/check",
        "server",
        lambda stack, demo: {"member_id": demo.member_id, "amount": "10.00", "currency": "CNY"},
    ),
    Route(
        "POST",
        "/v1/coupons/{code}/use",
        "server",
        lambda stack, demo: {
            "member_id": demo.member_id,
            "amount": "10.00",
            "currency": "CNY",
            "order_id": new_id("o"),
        },
    ),
    Route(
        "PUT",
        "/v1/lotteries/{new_lottery}",
        "admin",
        lambda stack, demo: {
            "name": "Matrix",
            "points_cost": 1,
            "prizes": [{"prize_id": "p", "name": "P", "weight": 1}],
        },
    ),
    Route("GET", "/v1/lotteries/{lottery}", "server"),
    Route(
        "POST",
        "/v1/members/{member}/draws",
        "server",
        lambda stack, demo: {"draw_id": new_id("d"), "lottery_id": "no-such"},
    ),
    Route("GET", "/v1/members/{member}/draws/{draw}", "server"),
]
KEYS = {"server": SERVER_KEY, "admin": ADMIN_KEY, "operator": OPERATOR_KEY}
MAY_CALL = {"server": {"server", "admin"}, "admin": {"admin"}, "operator": {"operator"}}
# A call a key may make answers this (the key_id of DELETE names no key: 404; a preview writes nothing).
ALLOWED_STATUS = {
    "POST": 201,
    "GET": 200,
    "PUT": 200,
    "DELETE": 404,
    "POST /v1/program/preview": 200,
    "POST /v1/members/{member}/checkout-preview": 200,
    **{
        route: 404
        for route in (
            "GET /v1/rewards/{reward}",
            "POST /v1/members/{member}/redemptions",
            "GET /v1/members/{member}/redemptions/{redemption}",
            "POST /v1/members/{member}/redemptions/{redemption}/fulfil",
            "POST /v1/members/{member}/redemptions/{redemption}/cancel",
            "POST /v1/members/{nobody}/holds",
            "GET /v1/holds/{hold}",
            "POST /v1/holds/{hold}/capture",
            "POST /v1/holds/{hold}/release",
            "POST /v1/members/{member}/coupons",
            "POST /v1/coupons/{code}/check",
            "POST /v1/coupons/{code}/use",
            "GET /v1/lotteries/{lottery}",
            "POST /v1/members/{member}/draws",
            "GET /v1/members/{member}/draws/{draw}",
        )
    },
}


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
    assert documented - covered == set(), "add these routes to ROUTES"


PROTECTED = [route for route in ROUTES if route.scope != "none"]


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


WRONG_SCOPE = [
    (route, kind)
    for route in PROTECTED
    for kind in ("server", "admin", "operator")
    if kind not in MAY_CALL[route.scope]
]


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


RIGHT_SCOPE = [
    (route, kind)
    for route in PROTECTED
    for kind in ("server", "admin", "operator")
    if kind in MAY_CALL[route.scope] and not route.mutates_program
]


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


# --- issuing and revoking keys ----------------------------------------------------------------


def issue(stack: Any, scope: str, admin_key: str = ADMIN_KEY) -> dict[str, Any]:
    issued = stack.call("POST", "/v1/keys", {"scope": scope, "name": f"{scope} for a test"}, key=admin_key)
    assert issued.status_code == 201, issued.text
    body = issued.json()
    assert body["scope"] == scope
    assert body["key_id"]
    assert body["key"]
    return body


def test_an_issued_key_has_exactly_its_scope(stack, demo):
    # Given a server key and an admin key issued by the demo admin
    server, admin = issue(stack, "server"), issue(stack, "admin")

    # Then the server key reads members but may not adjust; the admin key may do both
    assert stack.call("GET", f"/v1/members/{demo.member_id}", key=server["key"]).status_code == 200
    adjust = {"adjustment_id": new_id("a"), "points": 1, "reason": "issued key"}
    path = f"/v1/members/{demo.member_id}/adjustments"
    assert_problem(stack.call("POST", path, adjust, key=server["key"]), 403)
    assert stack.call("POST", path, adjust, key=admin["key"]).status_code == 201
    # And neither may create tenants
    tenant = {"tenant_id": new_id("nope"), "name": "Nope"}
    assert_problem(stack.call("POST", "/v1/tenants", tenant, key=admin["key"]), 403)


def test_an_admin_cannot_issue_an_operator_key(stack):
    # When the demo admin asks for a key with the operator scope
    response = stack.call("POST", "/v1/keys", {"scope": "operator"}, key=ADMIN_KEY)

    # Then the scope is refused as invalid
    assert_problem(response, 422)


def test_a_revoked_key_that_was_never_used_is_refused_at_once(stack, demo):
    # Given a server key issued and revoked before any call used it
    issued = issue(stack, "server")
    revoked = stack.call("DELETE", f"/v1/keys/{issued['key_id']}", key=ADMIN_KEY)
    assert revoked.status_code == 204
    assert revoked.content == b""

    # When it is used for the first time
    response = stack.call("GET", f"/v1/members/{demo.member_id}", key=issued["key"])

    # Then it is unknown (401), and revoking it again finds nothing
    assert_problem(response, 401)
    assert_problem(stack.call("DELETE", f"/v1/keys/{issued['key_id']}", key=ADMIN_KEY), 404)


def test_a_revoked_key_works_only_through_a_header_the_authorizer_cached(stack, demo):
    # Given a server key that was used (the authorizer's answer is cached for its header, 60 s)
    issued = issue(stack, "server")
    path = f"/v1/members/{demo.member_id}"
    assert stack.call("GET", path, key=issued["key"]).status_code == 200

    # When it is revoked
    assert stack.call("DELETE", f"/v1/keys/{issued['key_id']}", key=ADMIN_KEY).status_code == 204

    # Then the same header keeps working until the cache entry ends (README: up to 60 s)
    assert stack.call("GET", path, key=issued["key"]).status_code == 200
    # And the same key in any header the cache has not seen is refused at once
    for header in (f"bearer {issued['key']}", f"Bearer  {issued['key']}", f"BEARER {issued['key']} "):
        assert_problem(send(stack, "GET", path, headers={"Authorization": header}), 401)


def test_a_server_key_cannot_revoke_keys(stack, demo):
    # Given a key nobody used yet
    issued = issue(stack, "server")

    # When the demo server key tries to revoke it
    response = stack.call("DELETE", f"/v1/keys/{issued['key_id']}", key=SERVER_KEY)

    # Then it is forbidden, and the key still works
    assert_problem(response, 403)
    assert stack.call("GET", f"/v1/members/{demo.member_id}", key=issued["key"]).status_code == 200


# --- malformed Authorization headers -------------------------------------------------------------

MALFORMED: dict[str, str | bytes] = {
    "scheme only": "Bearer",
    "scheme and a space": "Bearer ",
    "two tokens": "bearer x y",
    "the key and more": f"Bearer {ADMIN_KEY} {ADMIN_KEY}",
    "basic auth": "Basic ZGVtby1hZG1pbjpkZW1vLWFkbWlu",
    "no scheme": ADMIN_KEY,
    "very long": "Bearer " + "k" * 8000,
    "non-ascii": "Bearer démo-admin".encode(),
    "control characters": f"Bearer {ADMIN_KEY}\x00\x07",
    "escape characters": "Bearer \x1b[31m",
    "a key of another scheme": f"Token {ADMIN_KEY}",
}


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


# --- bodies -------------------------------------------------------------------------------------


def padded_enrolment(size: int) -> bytes:
    """A JSON enrolment of exactly ``size`` bytes (its name carries the padding)."""
    empty = json.dumps({"member_id": new_id("big"), "name": ""}).encode()
    body = json.dumps({"member_id": json.loads(empty)["member_id"], "name": "n" * (size - len(empty))})
    assert len(body.encode()) == size
    return body.encode()


def post_raw(stack: Any, path: str, data: bytes, key: str = SERVER_KEY) -> requests.Response:
    headers = {**bearer(key), "Content-Type": "application/json"}
    return requests.post(stack.url + path, data=data, headers=headers, timeout=30)


def test_a_body_just_over_256_kb_is_too_large(stack):
    # When an enrolment of 256 KB + 1 byte is sent
    response = post_raw(stack, "/v1/members", padded_enrolment(BODY_LIMIT + 1))

    # Then the function refuses it as too large, as problem+json
    assert_problem(response, 413)


def test_a_body_of_exactly_256_kb_is_read(stack):
    # When an enrolment of exactly 256 KB is sent (its name is far too long)
    response = post_raw(stack, "/v1/members", padded_enrolment(BODY_LIMIT))

    # Then it is read and validated, not refused for its size
    assert_problem(response, 422)


def test_a_body_over_1_mib_is_refused_by_the_gateway(stack):
    # When an enrolment over 1 MiB is sent
    response = post_raw(stack, "/v1/members", padded_enrolment(GATEWAY_LIMIT + 1))

    # Then API Gateway refuses it with its own body
    assert response.status_code == 413
    assert response.json() == {"message": "Request Entity Too Large"}


JSON_ROUTES = [
    ("/v1/members", SERVER_KEY),
    ("/v1/purchases", SERVER_KEY),
    ("/v1/purchases/o-1/refunds", SERVER_KEY),
    ("/v1/activities", SERVER_KEY),
    ("/v1/members/m-1/adjustments", ADMIN_KEY),
    ("/v1/keys", ADMIN_KEY),
]


@pytest.mark.parametrize(("path", "key"), JSON_ROUTES, ids=[path for path, _ in JSON_ROUTES])
def test_a_body_that_is_not_utf8_is_malformed_json(stack, path, key):
    # When a body that is not UTF-8 (so not JSON) is posted
    response = post_raw(stack, path, b'{"member_id": "\xff\xfe"}', key=key)

    # Then it is 400 malformed-json problem+json, never a 5xx
    problem = assert_problem(response, 400)
    assert problem["type"].endswith("/malformed-json")


# --- ids that try to reach other items ----------------------------------------------------------

EVIL_IDS = {
    "hash": "a%23b",
    "another member's key": "T%23demo%23M%23{victim}",
    "another tenant's key": "T%23{tenant}%23M%23{victim}",
    "member plus lot": "{victim}%23LOT%23x",
    "slash": "{victim}%2Ftransactions",
    "double-encoded hash": "{victim}%2523",
    "dot dot": "%2E%2E",
    "dot dot slash": "%2E%2E%2F{victim}",
    "unicode": "{victim}%C3%BC",
    "fullwidth digits": "%EF%BC%91",
    "nul": "{victim}%00",
    "newline": "{victim}%0A",
    "space": "{victim}%20",
    "too long": "m" * 65,
}
PATHS = {
    "member": ("GET", "/v1/members/{id}", SERVER_KEY, None),
    "ledger": ("GET", "/v1/members/{id}/transactions", SERVER_KEY, None),
    "adjustment": (
        "POST",
        "/v1/members/{id}/adjustments",
        ADMIN_KEY,
        {"adjustment_id": "evil-1", "points": -1, "reason": "evil"},
    ),
    "refund": ("POST", "/v1/purchases/{id}/refunds", SERVER_KEY, {"refund_id": "evil-1", "amount": "1.00"}),
    "tier": ("PUT", "/v1/members/{id}/tier", ADMIN_KEY, {"tier_id": "silver", "reason": "evil"}),
    "key": ("DELETE", "/v1/keys/{id}", ADMIN_KEY, None),
}


@pytest.mark.parametrize("evil", sorted(EVIL_IDS))
@pytest.mark.parametrize("where", sorted(PATHS))
def test_an_id_in_the_path_cannot_reach_another_item(stack, demo, rival, where, evil):
    # Given a member of each tenant with a history
    method, template, key, body = PATHS[where]
    writes = method != "GET"
    before = (state(stack, demo), state(stack, rival)) if writes else None

    # When a path id spells another item's key, escapes its segment, or is not an id at all
    victim = demo.order_id if where == "refund" else demo.member_id
    evil_id = EVIL_IDS[evil].format(victim=victim, tenant=rival.tenant_id)
    response = send(stack, method, template.format(id=evil_id), body, headers=bearer(key))

    # Then it is refused (422) or not found (404) as problem+json, and nothing was read or changed
    assert response.status_code in (404, 422), f"{response.status_code} {response.text[:300]}"
    assert_problem(response, response.status_code)
    for tenant in (demo, rival):
        assert tenant.order_id not in response.text
        assert tenant.refund_id not in response.text
        assert tenant.adjustment_id not in response.text
    if writes:
        assert (state(stack, demo), state(stack, rival)) == before


BODY_IDS = [
    "a#b",
    "T#demo#M#{victim}",
    "{victim}#LOT#x",
    "{victim}/x",
    "../{victim}",
    "{victim}\u00fc",
    "x\x00",
]


@pytest.mark.parametrize("evil", BODY_IDS, ids=repr)
@pytest.mark.parametrize("field", ["member_id", "order_id"])
def test_an_id_in_a_body_cannot_reach_another_item(stack, demo, evil, field):
    # Given the demo member's state
    before = state(stack, demo)

    # When a purchase names an id that is not one
    body = {"order_id": new_id("o"), "member_id": demo.member_id, "amount": "9.00", "currency": "CNY"}
    body[field] = evil.format(victim=demo.member_id if field == "member_id" else demo.order_id)
    response = stack.call("POST", "/v1/purchases", body)

    # Then the body is invalid (422) and nothing changed
    problem = assert_problem(response, 422)
    assert any(error["loc"][-1] == field for error in problem["errors"]), problem
    assert state(stack, demo) == before


def test_a_member_id_differing_only_in_case_is_another_member(stack, demo):
    # When the demo member is read with its id upper-cased
    response = stack.call("GET", f"/v1/members/{demo.member_id.upper()}")

    # Then that is a member nobody enrolled
    assert_problem(response, 404)
