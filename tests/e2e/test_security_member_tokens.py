"""Member tokens over real HTTP against the local stack: the security matrix of /v1/me.

- BOLA: a token for member A reaches A's own data through /v1/me and nothing of member B;
- scope: a member token is 403 on every other route of the template, API keys are 403 on every
  /v1/me route, no Authorization header is API Gateway's 401;
- tampering: a token whose member, tenant or expiry was changed, or whose signature was cut, is 401;
- cross-tenant: another tenant's member token shows that tenant's member only, and a token claiming
  this tenant with the other's signature is 401.
(Expiry, with the authorizer's cached answer, is pinned in tests/unit/test_member_tokens.py and
tests/integration/test_member_tokens.py, where the clock and the signing key are at hand.)
"""

from __future__ import annotations

import base64
import json
import re
import uuid

import pytest
import requests

from infra.template_model import load_template
from tests.e2e.helpers import ADMIN_KEY, OPERATOR_KEY, SERVER_KEY

PROBLEM_JSON = "application/problem+json"
ME_ROUTES = [
    ("GET", "/v1/me", None),
    ("GET", "/v1/me/transactions", None),
    ("GET", "/v1/me/rewards", None),
    ("POST", "/v1/me/redemptions", {"redemption_id": "r-x", "reward_id": "none", "quantity": 1}),
    ("GET", "/v1/me/redemptions/r-x", None),
    ("GET", "/v1/me/coupons", None),
    ("GET", "/v1/me/draws", None),
    ("GET", "/v1/me/program", None),
]

ME_DOCUMENTED = {
    "GET /v1/me",
    "GET /v1/me/transactions",
    "GET /v1/me/rewards",
    "POST /v1/me/redemptions",
    "GET /v1/me/redemptions/{redemption_id}",
    "GET /v1/me/coupons",
    "GET /v1/me/draws",
    "GET /v1/me/program",
}


def _other_routes() -> list[tuple[str, str]]:
    return sorted(
        (route.method, re.sub(r"\{[^}]+\}", "x1", route.path))
        for spec in load_template().functions
        for route in spec.http_routes
        if route.auth and not route.path.startswith("/v1/me")
    )


def assert_problem(response: requests.Response, status: int) -> None:
    request = f"{response.request.method} {response.request.url}"
    assert response.status_code == status, f"{request}: {response.status_code} {response.text[:300]}"
    assert response.headers.get("content-type", "").startswith(PROBLEM_JSON), request


def reencode(token: str, **claims: object) -> str:
    prefix, key_id, body, signature = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    changed = base64.urlsafe_b64encode(json.dumps({**decoded, **claims}).encode()).rstrip(b"=").decode()
    return ".".join([prefix, key_id, changed, signature])


def enrol_with_token(stack, key: str = SERVER_KEY) -> tuple[str, str]:
    member_id = f"m-{uuid.uuid4().hex[:10]}"
    assert stack.call("POST", "/v1/members", {"member_id": member_id}, key=key).status_code == 201
    minted = stack.call("POST", f"/v1/members/{member_id}/tokens", {"ttl_seconds": 600}, key=key)
    assert minted.status_code == 201, minted.text
    return member_id, minted.json()["token"]


def test_this_matrix_covers_every_member_route_of_the_document(stack):
    # Given the served OpenAPI document
    document = stack.call("GET", "/v1/openapi.json", key=None).json()
    documented = {f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item}
    # Then its /v1/me routes are exactly the ones this file checks (the general matrix leaves them here)
    mine = {label for label in documented if re.match(r"^[A-Z]+ /v1/me(/|$)", label)}
    assert mine == ME_DOCUMENTED
    assert {
        f"{method} {re.sub('r-x', '{redemption_id}', path)}" for method, path, _ in ME_ROUTES
    } == ME_DOCUMENTED


@pytest.fixture(scope="module")
def two_members(stack) -> tuple[str, str, str, str]:
    ann, ann_token = enrol_with_token(stack)
    bob, bob_token = enrol_with_token(stack)
    grant = {"adjustment_id": f"a-{bob}", "points": 70, "reason": "test"}
    assert stack.call("POST", f"/v1/members/{bob}/adjustments", grant, key=ADMIN_KEY).status_code == 201
    return ann, ann_token, bob, bob_token


def test_a_token_for_ann_shows_ann_and_never_bob(stack, two_members):
    ann, ann_token, bob, _ = two_members
    # When ann's token reads /v1/me (even naming bob in the query)
    mine = stack.call("GET", "/v1/me?member_id=" + bob, key=ann_token)
    # Then it is ann's view
    assert mine.status_code == 200
    assert mine.json()["member_id"] == ann
    # And every route naming bob answers her token 403, bob's balance untouched
    for path in (f"/v1/members/{bob}", f"/v1/members/{bob}/transactions", f"/v1/members/{bob}/coupons"):
        assert_problem(stack.call("GET", path, key=ann_token), 403)
    redeem = {"redemption_id": "r1", "reward_id": "any", "quantity": 1}
    assert_problem(stack.call("POST", f"/v1/members/{bob}/redemptions", redeem, key=ann_token), 403)
    assert stack.call("GET", f"/v1/members/{bob}").json()["balance"]["available"] == 170


@pytest.mark.parametrize(("method", "path"), _other_routes())
def test_a_member_token_is_403_on_every_route_outside_v1_me(stack, two_members, method, path):
    _, ann_token, _, _ = two_members
    body = {} if method in ("POST", "PUT") else None
    assert_problem(stack.call(method, path, body, key=ann_token), 403)


@pytest.mark.parametrize(("method", "path", "body"), ME_ROUTES)
def test_v1_me_routes_refuse_api_keys_and_bad_tokens(stack, two_members, method, path, body):
    _, ann_token, _, _ = two_members
    for key in (SERVER_KEY, ADMIN_KEY, OPERATOR_KEY):
        assert_problem(stack.call(method, path, body, key=key), 403)
    assert stack.call(method, path, body, key=None).status_code == 401  # API Gateway's own answer
    for bad in (ann_token.rsplit(".", 1)[0] + ".", reencode(ann_token, exp=4_102_444_800), "lmt1.a.b.c"):
        assert_problem(stack.call(method, path, body, key=bad), 401)


def test_a_token_with_another_member_or_tenant_in_its_claims_is_401(stack, two_members):
    _, ann_token, bob, _ = two_members
    assert_problem(stack.call("GET", "/v1/me", key=reencode(ann_token, m=bob)), 401)
    assert_problem(stack.call("GET", "/v1/me", key=reencode(ann_token, t="demo2")), 401)


def test_another_tenants_token_shows_its_own_member_only(stack, two_members):
    ann, ann_token, _, _ = two_members
    # Given another tenant with a member of its own and a token for them
    tenant_id = f"t-{uuid.uuid4().hex[:8]}"
    created = stack.call("POST", "/v1/tenants", {"tenant_id": tenant_id, "name": "Rival"}, key=OPERATOR_KEY)
    assert created.status_code == 201, created.text
    rival_key = created.json()["server_key"]
    carol, carol_token = enrol_with_token(stack, rival_key)
    # When carol's token reads /v1/me
    # Then it is carol, of the rival; the demo's ann is not reachable with it
    assert stack.call("GET", "/v1/me", key=carol_token).json()["member_id"] == carol
    assert_problem(stack.call("GET", f"/v1/members/{ann}", key=carol_token), 403)
    # And the rival's signature over claims naming the demo's ann is refused
    prefix, key_id, _, signature = carol_token.split(".")
    _, _, ann_body, _ = ann_token.split(".")
    assert_problem(stack.call("GET", "/v1/me", key=".".join([prefix, key_id, ann_body, signature])), 401)
    # And the demo's server key cannot mint a token for carol (404, as for nobody)
    assert_problem(stack.call("POST", f"/v1/members/{carol}/tokens", {}, key=SERVER_KEY), 404)
