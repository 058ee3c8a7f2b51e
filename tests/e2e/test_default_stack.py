"""`make run` as the README gives it: the embedded moto default serves the demo tenant end to end,
and its table stream keeps flowing after a refused transaction."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.e2e.conftest import running_stack
from tests.e2e.helpers import ADMIN_KEY, RunningStack, eventually


@pytest.fixture(scope="module")
def moto_stack() -> Iterator[RunningStack]:
    with running_stack(None) as stack:
        yield stack


def events_of(stack: RunningStack, member_id: str) -> list[dict[str, Any]]:
    return stack.events(member_id)


def test_the_default_stack_on_moto_serves_the_demo_tenant(moto_stack):
    stack = moto_stack
    assert requests.get(f"{stack.url}/v1/health", timeout=5).status_code == 200
    assert stack.call("POST", "/v1/members", {"member_id": "moto-1"}).status_code == 201
    body = {"order_id": "moto-o1", "member_id": "moto-1", "amount": "129.90", "currency": "CNY"}
    assert stack.call("POST", "/v1/purchases", body).json()["points_earned"] == 129
    assert stack.call("GET", "/v1/members/moto-1").json()["balance"]["available"] == 229

    def earned():
        return [e for e in events_of(stack, "moto-1") if e["detail-type"] == "points.earned"]

    assert eventually(earned)


def test_after_a_refused_redemption_the_bus_and_the_coupon_issuer_go_on_without_a_phantom_event(moto_stack):
    # Given a reward a member may redeem once, a signup coupon, and a member who redeemed it once
    stack = moto_stack
    reward = {"name": "Mug", "points_cost": 10, "per_member_limit": 1}
    assert stack.call("PUT", "/v1/rewards/once-mug", reward, key=ADMIN_KEY).status_code == 200
    welcome = {"name": "Welcome", "kind": "free_shipping", "issue_on": ["signup"]}
    assert stack.call("PUT", "/v1/coupon-templates/moto-welcome", welcome, key=ADMIN_KEY).status_code == 200
    assert stack.call("POST", "/v1/members", {"member_id": "moto-r"}).status_code == 201
    first = {"redemption_id": "moto-rd1", "reward_id": "once-mug"}
    assert stack.call("POST", "/v1/members/moto-r/redemptions", first).status_code == 201

    # When a second redemption is refused (its transaction fails on the member's limit)
    second = {"redemption_id": "moto-rd2", "reward_id": "once-mug"}
    refused = stack.call("POST", "/v1/members/moto-r/redemptions", second)
    assert refused.status_code == 409, refused.text

    # And then a new member enrols and buys
    assert stack.call("POST", "/v1/members", {"member_id": "moto-after"}).status_code == 201
    order = {"order_id": "moto-after-o1", "member_id": "moto-after", "amount": "12.00", "currency": "CNY"}
    assert stack.call("POST", "/v1/purchases", order).status_code == 201

    # Then the bus carries the later member's enrolment and points, and the issuer gave the coupon
    def later_events():
        """member.enrolled and both points.earned of the member who came after the refusal"""
        mine = events_of(stack, "moto-after")
        earned = sorted(e["detail"]["points"] for e in mine if e["detail-type"] == "points.earned")
        enrolled = any(e["detail-type"] == "member.enrolled" for e in mine)
        return mine if enrolled and earned == [12, 100] else None

    eventually(later_events, timeout=20)

    def welcome_coupon():
        """the coupon issuer gave the member who came after the refusal the signup coupon"""
        listed = stack.call("GET", "/v1/members/moto-after/coupons").json()["items"]
        return [coupon for coupon in listed if coupon["template_id"] == "moto-welcome"]

    eventually(welcome_coupon, timeout=20)

    # And only the redemption that happened was published
    redeemed = [e for e in events_of(stack, "moto-r") if e["detail-type"] == "points.redeemed"]
    assert [e["detail"].get("redemption_id") for e in redeemed] == ["moto-rd1"]
    entries = stack.call("GET", "/v1/members/moto-r/transactions").json()["items"]
    assert [entry.get("redemption_id") for entry in entries if entry["type"] == "redeem"] == ["moto-rd1"]
    assert stack.call("GET", "/v1/members/moto-r").json()["balance"]["available"] == 90
