"""The matrix's tables: every call naming another tenant's id, every route and the keys that may
call it, malformed headers, JSON routes and ids that try to reach other items."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.e2e.helpers import ADMIN_KEY, OPERATOR_KEY, SERVER_KEY
from tests.e2e.security_matrix.support import Rival, Tenant, new_id

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
    "freeze the member": lambda me, other: (
        "PUT",
        f"/v1/members/{other.member_id}/status",
        {"status": "frozen", "reason": "theft"},
        me.admin_key,
    ),
    "erase the member": lambda me, other: ("DELETE", f"/v1/members/{other.member_id}", None, me.admin_key),
    "correct the member's profile": lambda me, other: (
        "PATCH",
        f"/v1/members/{other.member_id}",
        {"name": "Thief"},
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
    "buy the member a membership": lambda me, other: (
        "POST",
        f"/v1/members/{other.member_id}/memberships",
        {
            "membership_id": new_id("x"),
            "plan_id": "vip",
            "order_id": "o-x",
            "amount": "1.00",
            "currency": "CNY",
        },
        me.server_key,
    ),
    "list the member's memberships": lambda me, other: (
        "GET",
        f"/v1/members/{other.member_id}/memberships",
        None,
        me.server_key,
    ),
    "cancel the member's membership": lambda me, other: (
        "POST",
        f"/v1/members/{other.member_id}/memberships/{new_id('x')}/cancel",
        None,
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
    "{membership}": "{membership_id}",
    "{code}": "{code}",
    "{template}": "{template_id}",
    "{lottery}": "{lottery_id}",
    "{draw}": "{draw_id}",
    "{nobody}": "{member_id}",
    "{review}": "{review_id}",
    # what the admin routes create, under ids the reads above never use
    "{new_reward}": "{reward_id}",
    "{new_template}": "{template_id}",
    "{new_lottery}": "{lottery_id}",
    "{new_export}": "{export_id}",
    "{export}": "{export_id}",
    "{new_import}": "{import_id}",
    "{import}": "{import_id}",
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
    Route("GET", "/v1/members", "admin"),  # the search: nothing to search by is 422, after the scope
    Route("GET", "/v1/members/{member}", "server"),
    Route("PATCH", "/v1/members/{member}", "server", lambda stack, demo: {"locale": "en"}),
    Route("DELETE", "/v1/members/{nobody}", "admin"),  # the demo member is never erased
    Route(
        "PUT",
        "/v1/members/{member}/status",
        "admin",
        lambda stack, demo: {"status": "active", "reason": "matrix"},  # the member stays active
    ),
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
    Route("GET", "/v1/audit", "admin"),
    Route("GET", "/v1/reviews", "admin"),
    Route("POST", "/v1/reviews/{review}/resolve", "admin", lambda stack, demo: {"release": False}),
    Route("DELETE", "/v1/keys/key_0000000000000000", "admin"),
    Route("POST", "/v1/token-keys/rotate", "admin"),
    Route("POST", "/v1/members/{member}/tokens", "server", lambda stack, demo: {"ttl_seconds": 60}),
    # paid membership (the demo program sells none: a missing member's or membership's is 404)
    Route("GET", "/v1/members/{member}/memberships", "server"),
    Route(
        "POST",
        "/v1/members/{nobody}/memberships",
        "server",
        lambda stack, demo: {
            "membership_id": new_id("ms"),
            "plan_id": "vip",
            "order_id": new_id("o"),
            "amount": "1.00",
            "currency": "CNY",
        },
    ),
    Route("POST", "/v1/members/{member}/memberships/{membership}/cancel", "server"),
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
        "POST",
        "/v1/holds/{hold}/refunds",
        "server",
        lambda stack, demo: {"refund_id": new_id("r"), "points": 1},
    ),
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
    Route("GET", "/v1/exports", "admin"),
    # imports (the body is a file: the matrix's JSON body reaches the handler and is refused 415)
    Route("PUT", "/v1/imports/{new_import}", "admin", lambda stack, demo: {"member_id": "m", "points": 1}),
    Route("GET", "/v1/imports/{import}", "admin"),
    Route("GET", "/v1/imports", "admin"),
    Route("POST", "/v1/imports/{import}/revert", "admin"),
    Route("POST", "/v1/imports/{new_import}/upload", "admin", lambda stack, demo: {"format": "csv"}),
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
    "PATCH": 200,
    "DELETE": 404,
    "POST /v1/program/preview": 200,
    "POST /v1/members/{member}/checkout-preview": 200,
    "PUT /v1/exports/{new_export}": 202,  # the job starts (its replay answers the same)
    "GET /v1/exports/{export}": 404,
    "GET /v1/members": 422,  # no member_id, email or phone given
    "PUT /v1/imports/{new_import}": 415,  # past the key checks; a file is text/csv (tests/e2e/test_cli.py)
    "GET /v1/imports/{import}": 404,
    "POST /v1/imports/{import}/revert": 404,
    "POST /v1/token-keys/rotate": 200,
    **{
        route: 404
        for route in (
            "GET /v1/rewards/{reward}",
            "POST /v1/reviews/{review}/resolve",
            "POST /v1/members/{member}/redemptions",
            "GET /v1/members/{member}/redemptions/{redemption}",
            "POST /v1/members/{member}/redemptions/{redemption}/fulfil",
            "POST /v1/members/{member}/redemptions/{redemption}/cancel",
            "POST /v1/members/{nobody}/holds",
            "POST /v1/members/{nobody}/memberships",
            "POST /v1/members/{member}/memberships/{membership}/cancel",
            "GET /v1/holds/{hold}",
            "POST /v1/holds/{hold}/capture",
            "POST /v1/holds/{hold}/release",
            "POST /v1/holds/{hold}/refunds",
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

PROTECTED = [route for route in ROUTES if route.scope != "none"]

WRONG_SCOPE = [
    (route, kind)
    for route in PROTECTED
    for kind in ("server", "admin", "operator")
    if kind not in MAY_CALL[route.scope]
]


RIGHT_SCOPE = [
    (route, kind)
    for route in PROTECTED
    for kind in ("server", "admin", "operator")
    if kind in MAY_CALL[route.scope] and not route.mutates_program
]


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
JSON_ROUTES = [
    ("/v1/members", SERVER_KEY),
    ("/v1/purchases", SERVER_KEY),
    ("/v1/purchases/o-1/refunds", SERVER_KEY),
    ("/v1/activities", SERVER_KEY),
    ("/v1/members/m-1/adjustments", ADMIN_KEY),
    ("/v1/keys", ADMIN_KEY),
]
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
    "refund points": Reach(
        "POST",
        "/v1/holds/{id}/refunds",
        SERVER_KEY,
        lambda demo, rival: {"refund_id": "evil-r1", "points": 1},
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

BODY_IDS = [
    "a#b",
    "T#demo#M#{victim}",
    "{victim}#LOT#x",
    "{victim}/x",
    "../{victim}",
    "{victim}\u00fc",
    "x\x00",
]
