"""Every list route pages the same way: `?limit=&cursor=`, an opaque `next_cursor` that is null on
the last page, and 422 for a cursor the API did not issue."""

from __future__ import annotations

import pytest


def walk(api, path, key, limit):
    """Every page of a list, following next_cursor to the end."""
    pages, cursor = [], None
    while True:
        query = f"limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        response = api.call("GET", path, key=key, query=query)
        assert response.status == 200, response.body
        pages.append(response.json()["items"])
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 20, "the cursor never ends"


@pytest.fixture
def filled(api, shop):
    """A member with five coupons, three coupon templates, three rewards and four ledger entries."""
    assert api.call("POST", "/v1/members", {"member_id": "m1"}, key=shop.server_key).status == 201
    for template_id in ("t-a", "t-b", "t-c"):
        body = {"name": template_id, "kind": "amount_off", "amount_off": "10.00"}
        assert api.call("PUT", f"/v1/coupon-templates/{template_id}", body, key=shop.admin_key).status == 200
    codes = set()
    for number in range(5):
        given = api.call(
            "POST",
            "/v1/members/m1/coupons",
            {"issue_id": f"g{number}", "template_id": "t-a"},
            key=shop.admin_key,
        )
        assert given.status == 201, given.body
        codes.add(given.json()["code"])
    for reward_id in ("r-a", "r-b", "r-c"):
        body = {"name": reward_id, "points_cost": 10}
        assert api.call("PUT", f"/v1/rewards/{reward_id}", body, key=shop.admin_key).status == 200
    for number in range(3):
        body = {"adjustment_id": f"a{number}", "points": 5, "reason": "test"}
        assert api.call("POST", "/v1/members/m1/adjustments", body, key=shop.admin_key).status == 201
    return codes


def test_a_members_coupons_come_in_pages_each_once(api, shop, filled):
    pages = walk(api, "/v1/members/m1/coupons", shop.server_key, 2)

    assert [len(page) for page in pages] == [2, 2, 1]
    assert {coupon["code"] for page in pages for coupon in page} == filled


def test_coupon_templates_rewards_and_transactions_come_in_pages(api, shop, filled):
    templates = walk(api, "/v1/coupon-templates", shop.server_key, 2)
    rewards = walk(api, "/v1/rewards", shop.server_key, 2)
    entries = walk(api, "/v1/members/m1/transactions", shop.server_key, 3)

    assert [[item["template_id"] for item in page] for page in templates] == [["t-a", "t-b"], ["t-c"]]
    assert [[item["reward_id"] for item in page] for page in rewards] == [["r-a", "r-b"], ["r-c"]]
    assert [len(page) for page in entries] == [3, 1]
    # A page as large as the list is the last one
    whole = api.call("GET", "/v1/coupon-templates", key=shop.server_key, query="limit=3").json()
    assert (len(whole["items"]), whole["next_cursor"]) == (3, None)


@pytest.mark.parametrize(
    "path", ["/v1/members/m1/coupons", "/v1/coupon-templates", "/v1/rewards", "/v1/members/m1/transactions"]
)
def test_every_list_refuses_a_cursor_it_did_not_issue_and_a_limit_out_of_range(api, shop, filled, path):
    # The rewards list's cursor was a bare reward id once; it is opaque now, like every list's
    for query in ("cursor=r-a", "cursor=%21%21", "limit=0", "limit=101"):
        response = api.call("GET", path, key=shop.server_key, query=query)
        assert (response.status, response.headers["content-type"]) == (422, "application/problem+json"), query


def test_a_cursor_gives_another_tenant_nothing_of_this_one(api, shop, rival, filled):
    # Given a cursor into the shop's coupon templates
    cursor = api.call("GET", "/v1/coupon-templates", key=shop.server_key, query="limit=1").json()[
        "next_cursor"
    ]

    # When the rival uses it
    theirs = api.call("GET", "/v1/coupon-templates", key=rival.server_key, query=f"cursor={cursor}")

    # Then it pages the rival's own (empty) list
    assert theirs.json() == {"items": [], "next_cursor": None}
