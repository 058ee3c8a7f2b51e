"""Who may call what, and what no caller can reach, over real HTTP against the local stack.

- every route x another tenant's ids: a member, order, refund, adjustment, key, reward,
  redemption, hold, coupon, coupon template, lottery or draw the other tenant really has is
  indistinguishable from a missing one (404, the same problem) and stays as it was (stock
  included); the other tenant's natural ids are free for this tenant to use (no 409 that would
  reveal them), and an admin PUT under the other's reward, template or lottery id makes its own;
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
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import unquote

import pytest
import requests

from tests.e2e.helpers import ADMIN_KEY, OPERATOR_KEY, SERVER_KEY
from tests.e2e.test_security_member_tokens import ME_DOCUMENTED

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


@dataclass(frozen=True)
class Holdings:
    """What a tenant's member has of the redemption side, each made through the API."""

    reward_id: str  # with a points cost and stock; one redeemed
    redemption_id: str  # of that reward, requested
    hold_id: str  # open
    template_id: str  # a coupon template for sale
    issue_id: str
    code: str  # of the coupon the member bought
    lottery_id: str  # its only prize in stock
    draw_id: str  # the member's draw, which won that prize


def open_holdings(stack: Any, tenant: Tenant) -> Holdings:
    """Points for the member (an adjustment), then a reward redeemed, a hold, a coupon bought and a
    draw, under new ids, all with the tenant's own keys."""
    owns = Holdings(
        new_id("rw"), new_id("rd"), new_id("h"), new_id("tpl"), new_id("i"), "", new_id("l"), new_id("d")
    )
    member = tenant.member_id
    calls = [
        (
            "POST",
            f"/v1/members/{member}/adjustments",
            {"adjustment_id": new_id("a"), "points": 500, "reason": "to spend"},
            tenant.admin_key,
            201,
        ),
        (
            "PUT",
            f"/v1/rewards/{owns.reward_id}",
            {"name": "Mug", "points_cost": 50, "stock": 5},
            tenant.admin_key,
            200,
        ),
        (
            "POST",
            f"/v1/members/{member}/redemptions",
            {"redemption_id": owns.redemption_id, "reward_id": owns.reward_id},
            tenant.server_key,
            201,
        ),
        (
            "POST",
            f"/v1/members/{member}/holds",
            {"hold_id": owns.hold_id, "points": 20, "ttl_seconds": 86400},
            tenant.server_key,
            201,
        ),
        (
            "PUT",
            f"/v1/coupon-templates/{owns.template_id}",
            {"name": "5 off", "kind": "amount_off", "amount_off": "5.00", "points_cost": 30},
            tenant.admin_key,
            200,
        ),
        (
            "POST",
            f"/v1/members/{member}/coupons",
            {"issue_id": owns.issue_id, "template_id": owns.template_id, "pay_with_points": True},
            tenant.server_key,
            201,
        ),
        (
            "PUT",
            f"/v1/lotteries/{owns.lottery_id}",
            {
                "name": "Draw",
                "points_cost": 10,
                "prizes": [{"prize_id": "mug", "name": "Mug", "weight": 1, "stock": 3}],
            },
            tenant.admin_key,
            200,
        ),
        (
            "POST",
            f"/v1/members/{member}/draws",
            {"draw_id": owns.draw_id, "lottery_id": owns.lottery_id},
            tenant.server_key,
            201,
        ),
    ]
    code = ""
    for method, path, body, key, status in calls:
        response = stack.call(method, path, body, key=key)
        assert response.status_code == status, f"{method} {path}: {response.status_code} {response.text}"
        code = response.json().get("code", code)
    assert code
    return replace(owns, code=code)


@dataclass(frozen=True)
class Rival(Tenant):
    owns: Holdings


@pytest.fixture(scope="module")
def rival(stack) -> Rival:
    """Another tenant, created by the platform operator, with a member, its history and holdings."""
    tenant_id = new_id("rival")
    created = stack.call("POST", "/v1/tenants", {"tenant_id": tenant_id, "name": "Rival"}, key=OPERATOR_KEY)
    assert created.status_code == 201, created.text
    keys = created.json()
    tenant = populate(stack, tenant_id, keys["admin_key"], keys["server_key"])
    return Rival(**vars(tenant), owns=open_holdings(stack, tenant))


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


def template(stack: Any, tenant: Tenant, template_id: str) -> Any:
    """A coupon template as the tenant lists it (there is no read of one), or None."""
    listed = stack.call("GET", "/v1/coupon-templates", key=tenant.server_key)
    assert listed.status_code == 200, listed.text
    return next((item for item in listed.json()["items"] if item["template_id"] == template_id), None)


def holdings(stack: Any, tenant: Tenant, owns: Holdings) -> dict[str, Any]:
    """The redemption, hold, coupons, draw, reward (its stock), lottery (its prizes' stock) and coupon
    template as the tenant reads them."""
    member = f"/v1/members/{tenant.member_id}"
    reads = {
        "redemption": f"{member}/redemptions/{owns.redemption_id}",
        "hold": f"/v1/holds/{owns.hold_id}",
        "coupons": f"{member}/coupons",
        "draw": f"{member}/draws/{owns.draw_id}",
        "reward": f"/v1/rewards/{owns.reward_id}",
        "lottery": f"/v1/lotteries/{owns.lottery_id}",
    }
    seen = {}
    for name, path in reads.items():
        response = stack.call("GET", path, key=tenant.server_key)
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text}"
        seen[name] = response.json()
    seen["template"] = template(stack, tenant, owns.template_id)
    return seen


def everything(stack: Any, rival: Rival) -> Any:
    """The rival's member, ledger and holdings."""
    return snapshot(stack, rival), holdings(stack, rival, rival.owns)


# --- another tenant's ids ---------------------------------------------------------------------

CrossCall = Callable[[Tenant, Rival], tuple[str, str, Any, str]]
"""(attacker, victim) -> (method, path, body, attacker's key): a call that names the victim's id."""


def order(member_id: str, **more: str) -> dict[str, str]:
    return {"member_id": member_id, "amount": "30.00", "currency": "CNY", **more}


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
    "preview a checkout for the member": lambda me, other: (
        "POST",
        f"/v1/members/{other.member_id}/checkout-preview",
        {"amount": "10.00", "currency": "CNY"},
        me.server_key,
    ),
    # the redemption side: ids the other tenant really has (a reward with stock, a redemption of
    # it, an open hold, a coupon it bought, a lottery and a draw)
    "read the reward": lambda me, other: ("GET", f"/v1/rewards/{other.owns.reward_id}", None, me.server_key),
    "redeem the reward": lambda me, other: (
        "POST",
        f"/v1/members/{me.member_id}/redemptions",
        {"redemption_id": new_id("x"), "reward_id": other.owns.reward_id},
        me.server_key,
    ),
    "redeem the reward for the member": lambda me, other: (
        "POST",
        f"/v1/members/{other.member_id}/redemptions",
        {"redemption_id": new_id("x"), "reward_id": other.owns.reward_id},
        me.server_key,
    ),
    "replay the member's redemption": lambda me, other: (
        "POST",
        f"/v1/members/{other.member_id}/redemptions",
        {"redemption_id": other.owns.redemption_id, "reward_id": other.owns.reward_id},
        me.server_key,
    ),
    "read the redemption": lambda me, other: (
        "GET",
        f"/v1/members/{other.member_id}/redemptions/{other.owns.redemption_id}",
        None,
        me.server_key,
    ),
    "read the redemption as one's own member's": lambda me, other: (
        "GET",
        f"/v1/members/{me.member_id}/redemptions/{other.owns.redemption_id}",
        None,
        me.server_key,
    ),
    "fulfil the redemption": lambda me, other: (
        "POST",
        f"/v1/members/{other.member_id}/redemptions/{other.owns.redemption_id}/fulfil",
        None,
        me.server_key,
    ),
    "fulfil the redemption as one's own member's": lambda me, other: (
        "POST",
        f"/v1/members/{me.member_id}/redemptions/{other.owns.redemption_id}/fulfil",
        None,
        me.server_key,
    ),
    "cancel the redemption": lambda me, other: (
        "POST",
        f"/v1/members/{other.member_id}/redemptions/{other.owns.redemption_id}/cancel",
        None,
        me.server_key,
    ),
    "cancel the redemption as one's own member's": lambda me, other: (
        "POST",
        f"/v1/members/{me.member_id}/redemptions/{other.owns.redemption_id}/cancel",
        None,
        me.server_key,
    ),
    "replay the member's hold": lambda me, other: (
        "POST",
        f"/v1/members/{other.member_id}/holds",
        {"hold_id": other.owns.hold_id, "points": 20, "ttl_seconds": 86400},
        me.server_key,
    ),
    "read the hold": lambda me, other: ("GET", f"/v1/holds/{other.owns.hold_id}", None, me.server_key),
    "capture the hold": lambda me, other: (
        "POST",
        f"/v1/holds/{other.owns.hold_id}/capture",
        {"order_id": new_id("x")},
        me.server_key,
    ),
    "release the hold": lambda me, other: (
        "POST",
        f"/v1/holds/{other.owns.hold_id}/release",
        None,
        me.server_key,
    ),
    "list the member's coupons": lambda me, other: (
        "GET",
        f"/v1/members/{other.member_id}/coupons",
        None,
        me.server_key,
    ),
    "buy a coupon of the template": lambda me, other: (
        "POST",
        f"/v1/members/{me.member_id}/coupons",
        {"issue_id": new_id("x"), "template_id": other.owns.template_id, "pay_with_points": True},
        me.server_key,
    ),
    "give the member a coupon of the template": lambda me, other: (
        "POST",
        f"/v1/members/{other.member_id}/coupons",
        {"issue_id": new_id("x"), "template_id": other.owns.template_id},
        me.admin_key,
    ),
    "check the member's coupon": lambda me, other: (
        "POST",
        f"/v1/coupons/{other.owns.code}/check",
        order(other.member_id),
        me.server_key,
    ),
    "check the coupon for one's own member": lambda me, other: (
        "POST",
        f"/v1/coupons/{other.owns.code}/check",
        order(me.member_id),
        me.server_key,
    ),
    "use the member's coupon": lambda me, other: (
        "POST",
        f"/v1/coupons/{other.owns.code}/use",
        order(other.member_id, order_id=new_id("x")),
        me.server_key,
    ),
    "use the coupon for one's own member": lambda me, other: (
        "POST",
        f"/v1/coupons/{other.owns.code}/use",
        order(me.member_id, order_id=new_id("x")),
        me.server_key,
    ),
    "read the lottery": lambda me, other: (
        "GET",
        f"/v1/lotteries/{other.owns.lottery_id}",
        None,
        me.server_key,
    ),
    "draw in the lottery": lambda me, other: (
        "POST",
        f"/v1/members/{me.member_id}/draws",
        {"draw_id": new_id("x"), "lottery_id": other.owns.lottery_id},
        me.server_key,
    ),
    "draw in the lottery for the member": lambda me, other: (
        "POST",
        f"/v1/members/{other.member_id}/draws",
        {"draw_id": new_id("x"), "lottery_id": other.owns.lottery_id},
        me.server_key,
    ),
    "read the draw": lambda me, other: (
        "GET",
        f"/v1/members/{other.member_id}/draws/{other.owns.draw_id}",
        None,
        me.server_key,
    ),
    "read the draw as one's own member's": lambda me, other: (
        "GET",
        f"/v1/members/{me.member_id}/draws/{other.owns.draw_id}",
        None,
        me.server_key,
    ),
}


@pytest.mark.parametrize("attempt", sorted(CROSS_TENANT))
def test_another_tenants_ids_are_not_found(stack, demo, rival, attempt):
    # Given a member of another tenant with a purchase, a refund, an adjustment, an activity, a
    # redemption, a hold, a coupon and a draw, and that tenant's reward, coupon template and lottery
    method, path, body, key = CROSS_TENANT[attempt](demo, rival)
    before = read_all(stack, demo, rival, method)

    # When the demo shop names that tenant's id in a call
    response = stack.call(method, path, body, key=key)

    # Then it is not found, exactly as a missing one, and neither tenant's member nor anything the
    # other tenant has changed (its reward's and prize's stock included)
    problem = assert_problem(response, 404)
    assert rival.tenant_id not in json.dumps(problem)
    assert read_all(stack, demo, rival, method) == before


def read_all(stack: Any, demo: Tenant, rival: Rival, method: str) -> Any:
    """Before and after a write: the demo member, and the rival's member, ledger and all it has; a
    read (which writes nothing) is checked against the rival's member and ledger only."""
    if method == "GET":
        return snapshot(stack, rival)
    return everything(stack, rival), state(stack, demo)


@pytest.mark.parametrize("attempt", sorted(CROSS_TENANT))
def test_another_tenants_id_answers_as_a_missing_one(stack, demo, rival, attempt):
    # When the demo shop makes a call naming another tenant's ids, and the same call naming ids
    # nobody has (each of the other tenant's ids spelled anew)
    method, path, body, key = CROSS_TENANT[attempt](demo, rival)
    theirs = stack.call(method, path, body, key=key)
    missing = {value: f"nobody-{index}" for index, value in enumerate(secrets(rival))}
    spelled = json.dumps([path, body])
    for value, nobody in missing.items():
        spelled = spelled.replace(value, nobody)
    missing_path, missing_body = json.loads(spelled)
    nobodys = stack.call(method, missing_path, missing_body, key=key)

    # Then the two problems differ only by the ids named
    assert (theirs.status_code, nobodys.status_code) == (404, 404), f"{theirs.text} {nobodys.text}"
    detail = theirs.json()["detail"]
    for value, nobody in missing.items():
        detail = detail.replace(value, nobody)
    assert (theirs.json()["type"], theirs.json()["title"], detail) == (
        nobodys.json()["type"],
        nobodys.json()["title"],
        nobodys.json()["detail"],
    )


def secrets(rival: Rival) -> list[str]:
    """Every id of the other tenant's (longest first: no id is cut by replacing a shorter one)."""
    ids = [rival.member_id, rival.order_id, rival.refund_id, rival.adjustment_id, rival.activity_id]
    return sorted([*ids, *vars(rival.owns).values()], key=len, reverse=True)


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


# What an admin PUTs under an id: (path, the rival's body, the demo's body). Ids are per tenant, so
# the demo admin PUTting the rival's id makes the demo's own item.
SHADOWED = {
    "reward": (
        "/v1/rewards/{id}",
        {"name": "Rival mug", "points_cost": 50, "stock": 5},
        {"name": "Demo mug", "points_cost": 1, "stock": 1},
    ),
    "coupon template": (
        "/v1/coupon-templates/{id}",
        {"name": "Rival 5 off", "kind": "amount_off", "amount_off": "5.00", "points_cost": 30},
        {"name": "Demo shipping", "kind": "free_shipping"},
    ),
    "lottery": (
        "/v1/lotteries/{id}",
        {
            "name": "Rival draw",
            "points_cost": 10,
            "prizes": [{"prize_id": "mug", "name": "Mug", "weight": 1}],
        },
        {"name": "Demo draw", "points_cost": 1, "prizes": [{"prize_id": "pen", "name": "Pen", "weight": 2}]},
    ),
}


def read_shadowed(stack: Any, tenant: Tenant, kind: str, item_id: str) -> Any:
    if kind == "coupon template":
        return template(stack, tenant, item_id)
    read = stack.call("GET", SHADOWED[kind][0].format(id=item_id), key=tenant.server_key)
    assert read.status_code == 200, read.text
    return read.json()


@pytest.mark.parametrize("kind", sorted(SHADOWED))
def test_an_admin_putting_another_tenants_id_makes_its_own_item(stack, demo, rival, kind):
    # Given a reward, coupon template or lottery of another tenant (new: the demo must not have it)
    path, theirs, ours = SHADOWED[kind]
    item_id = new_id("shadow")
    put = stack.call("PUT", path.format(id=item_id), theirs, key=rival.admin_key)
    assert put.status_code == 200, put.text
    before = read_shadowed(stack, rival, kind, item_id), everything(stack, rival)

    # When the demo admin PUTs its own under the same id
    response = stack.call("PUT", path.format(id=item_id), ours, key=demo.admin_key)

    # Then that is the demo's own new item, read back as the demo PUT it
    assert response.status_code == 200, response.text
    mine = read_shadowed(stack, demo, kind, item_id)
    assert mine == response.json()
    assert (mine["name"], mine.get("points_cost")) == (ours["name"], ours.get("points_cost"))
    # And the other tenant's item (its name, cost and stock) and all it has are unchanged
    assert (read_shadowed(stack, rival, kind, item_id), everything(stack, rival)) == before
    assert before[0]["name"] == theirs["name"]


def test_another_tenants_catalog_is_not_listed(stack, demo, rival):
    # When the demo shop lists its whole catalog and its coupon templates
    rewards, cursor = [], None
    while True:
        page = stack.call(
            "GET", "/v1/rewards?limit=100" + (f"&cursor={cursor}" if cursor else ""), key=demo.server_key
        ).json()
        rewards += [item["reward_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    templates = stack.call("GET", "/v1/coupon-templates", key=demo.server_key).json()["items"]

    # Then none of the other tenant's are there, though the other tenant lists them
    assert rival.owns.reward_id not in rewards
    assert rival.owns.template_id not in [item["template_id"] for item in templates]
    theirs = stack.call("GET", "/v1/rewards?limit=100", key=rival.server_key).json()["items"]
    assert rival.owns.reward_id in [item["reward_id"] for item in theirs]
    assert template(stack, rival, rival.owns.template_id) is not None


def test_another_tenants_redemption_ids_are_free_to_use(stack, demo, rival):
    # Given another tenant's reward, redemption, hold, coupon template, coupon issue, lottery and
    # draw (new: the demo must not have used these ids)
    owns = open_holdings(stack, rival)
    before = snapshot(stack, rival), holdings(stack, rival, owns)
    # And a demo member with its own reward, coupon template and lottery under the same ids
    member_id = new_id("m")
    assert stack.call("POST", "/v1/members", {"member_id": member_id}, key=demo.server_key).status_code == 201
    for kind, item_id in (
        ("reward", owns.reward_id),
        ("coupon template", owns.template_id),
        ("lottery", owns.lottery_id),
    ):
        path, _, ours = SHADOWED[kind]
        put = stack.call("PUT", path.format(id=item_id), {**ours, "points_cost": 1}, key=demo.admin_key)
        assert put.status_code == 200, put.text

    # When the demo member redeems, holds, buys a coupon and draws under the other tenant's ids
    member = f"/v1/members/{member_id}"
    calls = [
        (f"{member}/redemptions", {"redemption_id": owns.redemption_id, "reward_id": owns.reward_id}),
        (f"{member}/holds", {"hold_id": owns.hold_id, "points": 2}),
        (
            f"{member}/coupons",
            {"issue_id": owns.issue_id, "template_id": owns.template_id, "pay_with_points": True},
        ),
        (f"{member}/draws", {"draw_id": owns.draw_id, "lottery_id": owns.lottery_id}),
    ]
    responses = [stack.call("POST", path, body, key=demo.server_key) for path, body in calls]

    # Then each is a new record of the demo's (201), never a replay of the other's or a conflict
    assert [response.status_code for response in responses] == [201] * 4, [r.text for r in responses]
    assert all(response.json()["member_id"] == member_id for response in responses)
    assert responses[-1].json()["balance"]["available"] == 100 - 1 - 2 - 1 - 1
    assert stack.call("GET", f"/v1/holds/{owns.hold_id}", key=demo.server_key).json()["points"] == 2
    # And the other tenant's member and all it has are unchanged
    assert (snapshot(stack, rival), holdings(stack, rival, owns)) == before


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
    "{new_export}": "{export_id}",
    "{export}": "{export_id}",
    "{webhook}": "{webhook_id}",
    "{new_webhook}": "{webhook_id}",
    "{delivery}": "{delivery_id}",
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
    Route("POST", "/v1/token-keys/rotate", "admin"),
    Route("POST", "/v1/members/{member}/tokens", "server", lambda stack, demo: {"ttl_seconds": 60}),
    Route(
        "POST",
        "/v1/tenants",
        "operator",
        lambda stack, demo: {"tenant_id": new_id("matrix"), "name": "Matrix"},
    ),
    Route("GET", "/v1/health", "none"),
    Route("GET", "/v1/openapi.json", "none"),
    # reports (read only, the caller's tenant's aggregates)
    Route("GET", "/v1/reports/summary", "admin"),
    Route("GET", "/v1/reports/flows", "admin"),
    Route("GET", "/v1/reports/tiers", "admin"),
    Route("GET", "/v1/reports/campaigns", "admin"),
    Route("GET", "/v1/reports/reminders", "admin"),
    Route("GET", "/v1/reports/customers", "admin"),
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
    # directories and exports
    Route("GET", "/v1/tenants", "operator"),
    Route("GET", "/v1/keys", "admin"),
    Route("PUT", "/v1/exports/{new_export}", "admin", lambda stack, demo: {"kind": "members"}),
    Route("GET", "/v1/exports/{export}", "admin"),
    # webhooks (admin)
    Route(
        "PUT",
        "/v1/webhooks/{new_webhook}",
        "admin",
        lambda stack, demo: {"url": "https://hooks.example.com/matrix", "events": ["*"]},
    ),
    Route("GET", "/v1/webhooks", "admin"),
    Route("GET", "/v1/webhooks/{webhook}", "admin"),
    Route("DELETE", "/v1/webhooks/{webhook}", "admin"),
    Route("POST", "/v1/webhooks/{webhook}/rotate", "admin", lambda stack, demo: {}),
    Route("POST", "/v1/webhooks/{webhook}/ping", "admin"),
    Route("GET", "/v1/webhooks/{webhook}/deliveries", "admin"),
    Route("POST", "/v1/webhooks/{webhook}/deliveries/{delivery}/redeliver", "admin"),
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
    "PUT /v1/exports/{new_export}": 202,  # the job starts (its replay answers the same)
    "GET /v1/exports/{export}": 404,
    "POST /v1/token-keys/rotate": 200,
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
            "GET /v1/webhooks/{webhook}",
            "POST /v1/webhooks/{webhook}/rotate",
            "POST /v1/webhooks/{webhook}/ping",
            "GET /v1/webhooks/{webhook}/deliveries",
            "POST /v1/webhooks/{webhook}/deliveries/{delivery}/redeliver",
        )
    },
    "PUT /v1/webhooks/{new_webhook}": 201,  # created (then the secret is shown, once)
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
    # (the member's own routes take member tokens: their matrix is test_security_member_tokens.py)
    assert documented - covered - ME_DOCUMENTED == set(), "add these routes to ROUTES"


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


@dataclass(frozen=True)
class Reach:
    """A route with one id spelled by an evil id, the others the rival's real ones (in the path:
    ``{member}`` the demo's member, ``{redemption}``, ``{draw}`` the rival's)."""

    method: str
    path: str  # {id}: where the evil id goes
    key: str
    body: Callable[[Tenant, Rival], Any] | None = None
    victim: Callable[[Tenant, Rival], str] = lambda demo, rival: demo.member_id  # what {victim} spells
    watch: Callable[[Rival], str] | None = None  # the rival's item it could reach: read before and after

    def url(self, demo: Tenant, rival: Rival, evil_id: str) -> str:
        return self.path.format(
            id=evil_id,
            member=demo.member_id,
            redemption=rival.owns.redemption_id,
            draw=rival.owns.draw_id,
        )


def their_member(demo: Tenant, rival: Rival) -> str:
    return rival.member_id


def their_balance(rival: Rival) -> str:
    return f"/v1/members/{rival.member_id}"


def their_redemption(rival: Rival) -> str:
    return f"/v1/members/{rival.member_id}/redemptions/{rival.owns.redemption_id}"


def their_hold(rival: Rival) -> str:
    return f"/v1/holds/{rival.owns.hold_id}"


def their_coupons(rival: Rival) -> str:
    return f"/v1/members/{rival.member_id}/coupons"


def their_draw(rival: Rival) -> str:
    return f"/v1/members/{rival.member_id}/draws/{rival.owns.draw_id}"


def their_reward(rival: Rival) -> str:
    return f"/v1/rewards/{rival.owns.reward_id}"


def their_templates(rival: Rival) -> str:
    return "/v1/coupon-templates"


def their_lottery(rival: Rival) -> str:
    return f"/v1/lotteries/{rival.owns.lottery_id}"


PATHS = {
    "member": Reach("GET", "/v1/members/{id}", SERVER_KEY),
    "ledger": Reach("GET", "/v1/members/{id}/transactions", SERVER_KEY),
    "adjustment": Reach(
        "POST",
        "/v1/members/{id}/adjustments",
        ADMIN_KEY,
        lambda demo, rival: {"adjustment_id": "evil-1", "points": -1, "reason": "evil"},
    ),
    "refund": Reach(
        "POST",
        "/v1/purchases/{id}/refunds",
        SERVER_KEY,
        lambda demo, rival: {"refund_id": "evil-1", "amount": "1.00"},
        victim=lambda demo, rival: demo.order_id,
    ),
    "tier": Reach(
        "PUT",
        "/v1/members/{id}/tier",
        ADMIN_KEY,
        lambda demo, rival: {"tier_id": "silver", "reason": "evil"},
    ),
    "key": Reach("DELETE", "/v1/keys/{id}", ADMIN_KEY),
    # the redemption side: the rival's real items are the victims
    "reward": Reach(
        "GET",
        "/v1/rewards/{id}",
        SERVER_KEY,
        victim=lambda demo, rival: rival.owns.reward_id,
    ),
    "put reward": Reach(
        "PUT",
        "/v1/rewards/{id}",
        ADMIN_KEY,
        lambda demo, rival: {"name": "Evil", "points_cost": 1, "stock": 0},
        victim=lambda demo, rival: rival.owns.reward_id,
        watch=their_reward,
    ),
    "redeem": Reach(
        "POST",
        "/v1/members/{id}/redemptions",
        SERVER_KEY,
        lambda demo, rival: {"redemption_id": "evil-1", "reward_id": rival.owns.reward_id},
        victim=their_member,
        watch=their_balance,
    ),
    "redemption": Reach(
        "GET",
        "/v1/members/{member}/redemptions/{id}",
        SERVER_KEY,
        victim=lambda demo, rival: rival.owns.redemption_id,
    ),
    "redemption's member": Reach(
        "GET",
        "/v1/members/{id}/redemptions/{redemption}",
        SERVER_KEY,
        victim=their_member,
    ),
    "fulfil": Reach(
        "POST",
        "/v1/members/{member}/redemptions/{id}/fulfil",
        SERVER_KEY,
        victim=lambda demo, rival: rival.owns.redemption_id,
        watch=their_redemption,
    ),
    "fulfil's member": Reach(
        "POST",
        "/v1/members/{id}/redemptions/{redemption}/fulfil",
        SERVER_KEY,
        victim=their_member,
        watch=their_redemption,
    ),
    "cancel": Reach(
        "POST",
        "/v1/members/{member}/redemptions/{id}/cancel",
        SERVER_KEY,
        victim=lambda demo, rival: rival.owns.redemption_id,
        watch=their_redemption,
    ),
    "cancel's member": Reach(
        "POST",
        "/v1/members/{id}/redemptions/{redemption}/cancel",
        SERVER_KEY,
        victim=their_member,
        watch=their_redemption,
    ),
    "reserve": Reach(
        "POST",
        "/v1/members/{id}/holds",
        SERVER_KEY,
        lambda demo, rival: {"hold_id": "evil-1", "points": 1},
        victim=their_member,
        watch=their_balance,
    ),
    "checkout preview": Reach(
        "POST",
        "/v1/members/{id}/checkout-preview",
        SERVER_KEY,
        lambda demo, rival: {"amount": "10.00", "currency": "CNY"},
        victim=their_member,
        watch=their_balance,
    ),
    "hold": Reach("GET", "/v1/holds/{id}", SERVER_KEY, victim=lambda demo, rival: rival.owns.hold_id),
    "capture": Reach(
        "POST",
        "/v1/holds/{id}/capture",
        SERVER_KEY,
        lambda demo, rival: {"order_id": "evil-1"},
        victim=lambda demo, rival: rival.owns.hold_id,
        watch=their_hold,
    ),
    "release": Reach(
        "POST",
        "/v1/holds/{id}/release",
        SERVER_KEY,
        victim=lambda demo, rival: rival.owns.hold_id,
        watch=their_hold,
    ),
    "coupons": Reach("GET", "/v1/members/{id}/coupons", SERVER_KEY, victim=their_member),
    "issue coupon": Reach(
        "POST",
        "/v1/members/{id}/coupons",
        ADMIN_KEY,
        lambda demo, rival: {"issue_id": "evil-1", "template_id": rival.owns.template_id},
        victim=their_member,
        watch=their_coupons,
    ),
    "check coupon": Reach(
        "POST",
        "/v1/coupons/{id}/check",
        SERVER_KEY,
        lambda demo, rival: order(rival.member_id),
        victim=lambda demo, rival: rival.owns.code,
        watch=their_coupons,
    ),
    "use coupon": Reach(
        "POST",
        "/v1/coupons/{id}/use",
        SERVER_KEY,
        lambda demo, rival: order(rival.member_id, order_id="evil-1"),
        victim=lambda demo, rival: rival.owns.code,
        watch=their_coupons,
    ),
    "put coupon template": Reach(
        "PUT",
        "/v1/coupon-templates/{id}",
        ADMIN_KEY,
        lambda demo, rival: {"name": "Evil", "kind": "free_shipping"},
        victim=lambda demo, rival: rival.owns.template_id,
        watch=their_templates,
    ),
    "lottery": Reach(
        "GET", "/v1/lotteries/{id}", SERVER_KEY, victim=lambda demo, rival: rival.owns.lottery_id
    ),
    "put lottery": Reach(
        "PUT",
        "/v1/lotteries/{id}",
        ADMIN_KEY,
        lambda demo, rival: {
            "name": "Evil",
            "points_cost": 1,
            "prizes": [{"prize_id": "p", "name": "P", "weight": 1}],
        },
        victim=lambda demo, rival: rival.owns.lottery_id,
        watch=their_lottery,
    ),
    "draw": Reach(
        "POST",
        "/v1/members/{id}/draws",
        SERVER_KEY,
        lambda demo, rival: {"draw_id": "evil-1", "lottery_id": rival.owns.lottery_id},
        victim=their_member,
        watch=their_balance,
    ),
    "read draw": Reach(
        "GET",
        "/v1/members/{member}/draws/{id}",
        SERVER_KEY,
        victim=lambda demo, rival: rival.owns.draw_id,
    ),
    "read draw's member": Reach(
        "GET",
        "/v1/members/{id}/draws/{draw}",
        SERVER_KEY,
        victim=their_member,
    ),
}


def read_back(stack: Any, demo: Tenant, rival: Rival, reach: Reach) -> Any:
    """The rival's item the route could reach as the rival reads it, else both members."""
    if reach.watch:
        return stack.call("GET", reach.watch(rival), key=rival.server_key).json()
    return state(stack, demo), state(stack, rival)


@pytest.mark.parametrize("evil", sorted(EVIL_IDS))
@pytest.mark.parametrize("where", sorted(PATHS))
def test_an_id_in_the_path_cannot_reach_another_item(stack, demo, rival, where, evil):
    # Given a member of each tenant with a history, and the rival's redemption, hold, coupon, draw
    reach = PATHS[where]
    writes = reach.method != "GET"
    before = read_back(stack, demo, rival, reach) if writes else None

    # When a path id spells another item's key, escapes its segment, or is not an id at all
    evil_id = EVIL_IDS[evil].format(victim=reach.victim(demo, rival), tenant=rival.tenant_id)
    path, body = reach.url(demo, rival, evil_id), reach.body(demo, rival) if reach.body else None
    response = send(stack, reach.method, path, body, headers=bearer(reach.key))

    # Then it is refused (422) or not found (404) as problem+json, and nothing was read or changed
    assert response.status_code in (404, 422), f"{response.status_code} {response.text[:300]}"
    assert_problem(response, response.status_code)
    named = json.dumps([unquote(path), body])
    for secret in [demo.order_id, demo.refund_id, demo.adjustment_id, *secrets(rival)]:
        assert secret in named or secret not in response.text, secret
    if writes:
        assert read_back(stack, demo, rival, reach) == before


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
