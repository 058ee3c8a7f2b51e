"""The tenants the matrix attacks and defends, and how it reads what they have."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from typing import Any

import requests

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


def secrets(rival: Rival) -> list[str]:
    """Every id of the other tenant's (longest first: no id is cut by replacing a shorter one)."""
    ids = [rival.member_id, rival.order_id, rival.refund_id, rival.adjustment_id, rival.activity_id]
    return sorted([*ids, *vars(rival.owns).values()], key=len, reverse=True)
