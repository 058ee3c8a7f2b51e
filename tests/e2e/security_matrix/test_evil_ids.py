"""Ids in paths and bodies that try to reach other items."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import pytest

from tests.e2e.security_matrix.routes import BODY_IDS, EVIL_IDS, PATHS, Reach
from tests.e2e.security_matrix.support import (
    Rival,
    Tenant,
    assert_problem,
    bearer,
    new_id,
    secrets,
    send,
    state,
)


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
