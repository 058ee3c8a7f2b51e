"""Member tokens and /v1/me through the in-process API Gateway (authorizer + function), on moto and
DynamoDB Local: a token reaches its own member's data and nothing else; altered, expired, foreign
or retired tokens are 401; every other route answers a member token 403."""

from __future__ import annotations

import base64
import json
import re
import time

import pytest

from infra.template_model import load_template
from tests.support.api import Api, Tenant

ME_ROUTES = [
    ("GET", "/v1/me", None),
    ("GET", "/v1/me/transactions", None),
    ("GET", "/v1/me/rewards", None),
    ("POST", "/v1/me/redemptions", {"redemption_id": "r-x", "reward_id": "mug", "quantity": 1}),
    ("GET", "/v1/me/redemptions/r-x", None),
    ("GET", "/v1/me/coupons", None),
    ("GET", "/v1/me/draws", None),
    ("GET", "/v1/me/program", None),
]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


def _other_routes() -> list[tuple[str, str]]:
    """Every route of the template that takes an authorizer, except the member's own."""
    return sorted(
        (route.method, _concrete(route.path))
        for spec in load_template().functions
        for route in spec.http_routes
        if route.auth and not route.path.startswith("/v1/me")
    )


def is_problem(response, status: int) -> bool:
    return response.status == status and response.headers["content-type"] == "application/problem+json"


def enrol(api: Api, shop: Tenant, member_id: str, points: int = 0) -> None:
    assert api.call("POST", "/v1/members", {"member_id": member_id}, key=shop.server_key).status == 201
    if points:
        body = {"adjustment_id": f"a-{member_id}", "points": points, "reason": "test"}
        response = api.call("POST", f"/v1/members/{member_id}/adjustments", body, key=shop.admin_key)
        assert response.status == 201, response.body


def mint(api: Api, shop: Tenant, member_id: str, **body: int) -> str:
    response = api.call("POST", f"/v1/members/{member_id}/tokens", body, key=shop.server_key)
    assert response.status == 201, response.body
    return str(response.json()["token"])


def reencode(token: str, **claims: object) -> str:
    """The token with some claims changed, the signature kept (what a tamperer can do)."""
    prefix, key_id, body, signature = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    changed = base64.urlsafe_b64encode(json.dumps({**decoded, **claims}).encode()).rstrip(b"=").decode()
    return ".".join([prefix, key_id, changed, signature])


@pytest.fixture
def ann(api: Api, shop: Tenant) -> str:
    enrol(api, shop, "ann", points=500)
    enrol(api, shop, "bob", points=50)
    return mint(api, shop, "ann")


def test_a_minted_token_reads_its_members_view_as_the_server_sees_it(api, shop, ann):
    # Given ann's token
    # When ann reads /v1/me
    mine = api.call("GET", "/v1/me", key=ann)
    # Then it is ann's member view, the same as the server key reads
    assert mine.status == 200, mine.body
    assert mine.json() == api.call("GET", "/v1/members/ann", key=shop.server_key).json()
    assert mine.json()["balance"]["available"] == 600  # 100 signup + 500 adjustment
    # And her history is her ledger, newest first
    history = api.call("GET", "/v1/me/transactions", key=ann).json()["items"]
    assert [entry["points"] for entry in history] == [500, 100]


def test_the_token_answer_says_when_it_expires_and_caps_the_lifetime(api, shop, ann):
    # Given ann is enrolled
    # When a token is minted with the default and a custom lifetime
    before = time.time()
    default = api.call("POST", "/v1/members/ann/tokens", {}, key=shop.server_key)
    short = api.call("POST", "/v1/members/ann/tokens", {"ttl_seconds": 120}, key=shop.server_key)
    # Then the default lives one hour, the custom one as asked
    from datetime import datetime

    assert default.status == short.status == 201
    default_exp = datetime.fromisoformat(default.json()["expires_at"]).timestamp()
    assert before + 3600 - 5 <= default_exp <= time.time() + 3600
    short_exp = datetime.fromisoformat(short.json()["expires_at"]).timestamp()
    assert before + 120 - 5 <= short_exp <= time.time() + 120
    # And more than a day, a string or a boolean is refused
    for ttl in (86401, "600", True, 1.5, 0):
        refused = api.call("POST", "/v1/members/ann/tokens", {"ttl_seconds": ttl}, key=shop.server_key)
        assert is_problem(refused, 422), (ttl, refused.body)


def test_tokens_are_minted_only_for_a_member_of_the_callers_tenant_by_a_server_key(api, shop, rival, ann):
    # Given the rival's member carol
    enrol(api, rival, "carol")
    # When the shop asks a token for carol, or for nobody
    # Then both are 404 alike
    for member in ("carol", "nobody"):
        assert is_problem(api.call("POST", f"/v1/members/{member}/tokens", {}, key=shop.server_key), 404)
    # And a member token cannot mint another token (not even its own)
    assert is_problem(api.call("POST", "/v1/members/ann/tokens", {}, key=ann), 403)


def test_a_token_for_ann_never_reaches_bob(api, shop, ann):
    # Given ann's token
    # When it is used on bob's member routes
    for path in ("/v1/members/bob", "/v1/members/bob/transactions", "/v1/members/bob/coupons"):
        # Then each is 403 (a member token reaches /v1/me only)
        assert is_problem(api.call("GET", path, key=ann), 403)
    # And /v1/me answers ann, whatever the query says
    assert api.call("GET", "/v1/me", key=ann, query="member_id=bob").json()["member_id"] == "ann"
    # And bob's balance is untouched
    assert api.call("GET", "/v1/members/bob", key=shop.server_key).json()["balance"]["available"] == 150


@pytest.mark.parametrize(("method", "path"), _other_routes())
def test_a_member_token_is_403_on_every_route_outside_v1_me(api, shop, ann, method, path):
    # Given ann's valid token
    # When it is sent to a route that is not the member's own
    body = {} if method in ("POST", "PUT") else None
    response = api.call(method, path, body, key=ann)
    # Then it is 403 problem+json, whatever the body
    assert is_problem(response, 403), (method, path, response.status, response.body)


@pytest.mark.parametrize(("method", "path", "body"), ME_ROUTES)
def test_api_keys_are_403_and_no_or_bad_tokens_401_on_every_v1_me_route(api, shop, ann, method, path, body):
    # Given the member routes
    # When an admin or server key calls them
    # Then they are 403: the member comes from a token, never from a key
    assert is_problem(api.call(method, path, body, key=shop.admin_key), 403)
    assert is_problem(api.call(method, path, body, key=shop.server_key), 403)
    # And an altered, malformed or unknown token is 401
    for bad in (ann[:-2] + ("AA" if not ann.endswith("AA") else "BB"), "lmt1.x.y.z", "lmt1." + "a" * 2000):
        assert is_problem(api.call(method, path, body, key=bad), 401), bad[:40]


def test_a_token_whose_claims_were_changed_is_401(api, shop, rival, ann):
    # Given ann's token and the rival's member carol
    enrol(api, rival, "carol")
    # When its member, tenant or expiry is changed and the signature kept
    for forged in (
        reencode(ann, m="bob"),
        reencode(ann, t="rival", m="carol"),
        reencode(ann, exp=int(time.time()) + 86400 * 365),
    ):
        # Then it is 401
        assert is_problem(api.call("GET", "/v1/me", key=forged), 401)


def test_an_expired_token_is_401(api, shop, ann, aws):
    # Given a token signed with the tenant's own current key but already past its expiry
    from loyalty.domain.member_tokens import sign
    from loyalty.store.signing_key_store import SigningKeyStore

    keys = SigningKeyStore(aws.table_name).read("acme")
    assert keys is not None
    now = int(time.time())
    expired = sign("acme", "ann", keys.current.key_id, keys.current.secret, now - 7200, 3600)
    fresh = sign("acme", "ann", keys.current.key_id, keys.current.secret, now, 3600)
    # When each is used
    # Then the expired one is 401 and the fresh one, signed the same way, works
    assert is_problem(api.call("GET", "/v1/me", key=expired), 401)
    assert api.call("GET", "/v1/me", key=fresh).status == 200


def test_a_token_signed_with_another_tenants_key_is_401(api, shop, rival, ann, aws):
    # Given the rival's signing key (made by minting a token for its member)
    from loyalty.domain.member_tokens import sign
    from loyalty.store.signing_key_store import SigningKeyStore

    enrol(api, rival, "carol")
    mint(api, rival, "carol")
    rival_keys = SigningKeyStore(aws.table_name).read("rival")
    assert rival_keys is not None
    # When a token for the shop's ann is signed with it (under either key id)
    forged = sign("acme", "ann", rival_keys.current.key_id, rival_keys.current.secret, int(time.time()), 600)
    # Then it is 401
    assert is_problem(api.call("GET", "/v1/me", key=forged), 401)
    # And carol's own token shows carol, of the rival, and never the shop's ann
    carol = mint(api, rival, "carol")
    assert api.call("GET", "/v1/me", key=carol).json()["member_id"] == "carol"


def test_rotating_the_signing_key_keeps_issued_tokens_good_and_signs_new_ones_with_the_new_key(
    api, shop, ann
):
    # Given ann's token signed with the first key
    first_key = ann.split(".")[1]
    # When an admin rotates the key
    rotated = api.call("POST", "/v1/token-keys/rotate", key=shop.admin_key)
    assert rotated.status == 200, rotated.body
    assert rotated.json()["retired_key_id"] == first_key
    # Then the old token still works until it expires, and new tokens carry the new key id
    assert api.call("GET", "/v1/me", key=ann).status == 200
    new = mint(api, shop, "ann")
    assert new.split(".")[1] == rotated.json()["key_id"] != first_key
    assert api.call("GET", "/v1/me", key=new).status == 200
    # And a server key may not rotate
    assert is_problem(api.call("POST", "/v1/token-keys/rotate", key=shop.server_key), 403)


def test_a_member_redeems_a_reward_with_their_token_and_sees_why_others_are_not_redeemable(api, shop, ann):
    # Given a catalog: a mug (2 left, one per member), a tier-only lounge, a sold-out cap, a car
    catalog = {
        "mug": {
            "name": "Mug",
            "names": {"zh-CN": "杯子"},
            "points_cost": 200,
            "stock": 2,
            "per_member_limit": 1,
        },
        "cap": {"name": "Cap", "points_cost": 10, "stock": 0},
        "car": {"name": "Car", "points_cost": 1_000_000},
    }
    for reward_id, reward in catalog.items():
        assert api.call("PUT", f"/v1/rewards/{reward_id}", reward, key=shop.admin_key).status == 200
    # When ann lists what she may redeem
    listed = {item["reward_id"]: item for item in api.call("GET", "/v1/me/rewards", key=ann).json()["items"]}
    # Then each says honestly whether and why not
    assert (listed["mug"]["redeemable"], listed["mug"]["reasons"], listed["mug"]["limit_left"]) == (
        True,
        [],
        1,
    )
    assert listed["cap"]["reasons"] == ["out_of_stock"]
    assert listed["car"]["reasons"] == ["points"]
    # When she redeems the mug
    body = {"redemption_id": "r-1", "reward_id": "mug", "quantity": 1}
    redeemed = api.call("POST", "/v1/me/redemptions", body, key=ann)
    # Then her points are spent, the redemption is hers, the stock is taken
    assert redeemed.status == 201, redeemed.body
    assert (redeemed.json()["member_id"], redeemed.json()["points"]) == ("ann", 200)
    assert api.call("GET", "/v1/members/ann", key=shop.server_key).json()["balance"]["available"] == 400
    assert api.call("GET", "/v1/rewards/mug", key=shop.server_key).json()["stock"] == 1
    assert api.call("GET", "/v1/me/redemptions/r-1", key=ann).json()["status"] == "requested"
    # And a replay changes nothing
    assert api.call("POST", "/v1/me/redemptions", body, key=ann).json() == redeemed.json()
    assert api.call("GET", "/v1/members/ann", key=shop.server_key).json()["balance"]["available"] == 400
    # And the mug now shows her limit reached
    after = {item["reward_id"]: item for item in api.call("GET", "/v1/me/rewards", key=ann).json()["items"]}
    assert (after["mug"]["reasons"], after["mug"]["redeemed"], after["mug"]["limit_left"]) == (
        ["limit_reached"],
        1,
        0,
    )
    # And bob's token cannot read ann's redemption (it is not his)
    bob = mint(api, shop, "bob")
    assert is_problem(api.call("GET", "/v1/me/redemptions/r-1", key=bob), 404)


def test_the_rules_page_is_generated_from_the_published_program_in_both_languages(api, shop, ann):
    # Given the published program
    program = api.call("GET", "/v1/program", key=shop.server_key).json()
    # When ann asks for the rules in English and in Chinese
    english = api.call("GET", "/v1/me/program", key=ann, query="lang=en").json()
    chinese = api.call("GET", "/v1/me/program", key=ann, query="lang=zh-CN").json()
    # Then both describe the same sections of the current version
    assert english["program_version"] == chinese["program_version"] == program["version"]
    assert [s["id"] for s in english["sections"]] == [s["id"] for s in chinese["sections"]]
    assert {"earn", "campaigns", "tiers", "expiry", "value"} <= {s["id"] for s in english["sections"]}
    earn = next(s for s in english["sections"] if s["id"] == "earn")["lines"]
    assert f"{program['signup_bonus']} points" in " ".join(earn)
    assert (english["locale"], chinese["locale"]) == ("en", "zh-CN")
    assert "积分" in json.dumps(chinese, ensure_ascii=False)


def test_a_member_lists_their_own_lottery_draws_and_nobody_elses(api, shop, ann):
    # Given a lottery and two draws for ann, one for bob
    table = {
        "name": "Draw",
        "points_cost": 10,
        "prizes": [{"prize_id": "sticker", "name": "Sticker", "weight": 1}],
    }
    assert api.call("PUT", "/v1/lotteries/spring", table, key=shop.admin_key).status == 200
    for member_id, draw_id in (("ann", "d1"), ("ann", "d2"), ("bob", "d3")):
        body = {"draw_id": draw_id, "lottery_id": "spring"}
        assert api.call("POST", f"/v1/members/{member_id}/draws", body, key=shop.server_key).status == 201
    # When ann and bob list their draws with their tokens
    mine = api.call("GET", "/v1/me/draws", key=ann)
    bobs_answer = api.call("GET", "/v1/me/draws", key=mint(api, shop, "bob"))
    assert bobs_answer.status == 200, bobs_answer.body
    bobs = bobs_answer.json()["items"]
    # Then each sees their own, newest first, with the prize and the points spent
    assert mine.status == 200, mine.body
    assert [(d["draw_id"], d["prize_id"], d["points"]) for d in mine.json()["items"]] == [
        ("d2", "sticker", 10),
        ("d1", "sticker", 10),
    ]
    assert [d["draw_id"] for d in bobs] == ["d3"]
