"""Every route x another tenant's ids: not found as a missing one, nothing changes, its ids free."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.security_matrix.routes import CROSS_TENANT, SHADOWED
from tests.e2e.security_matrix.support import (
    Rival,
    Tenant,
    assert_problem,
    everything,
    holdings,
    new_id,
    open_holdings,
    secrets,
    snapshot,
    state,
    template,
)


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
