"""A template issued on signup, over the local stack: the stream's CouponIssuer gives a member
who enrols the coupon by itself, once."""

from __future__ import annotations

from tests.e2e.helpers import ADMIN_KEY, eventually


def test_a_new_member_gets_the_signup_coupon_by_itself(stack, unique):
    template = {"name": "Welcome", "kind": "free_shipping", "issue_on": ["signup"]}
    put = stack.call("PUT", f"/v1/coupon-templates/welcome-{unique}", template, key=ADMIN_KEY)
    assert put.status_code == 200, put.text

    member_id = f"new-{unique}"
    assert stack.call("POST", "/v1/members", {"member_id": member_id}).status_code == 201

    def welcome_coupons():
        listed = stack.call("GET", f"/v1/members/{member_id}/coupons").json()["items"]
        return [coupon for coupon in listed if coupon["template_id"] == f"welcome-{unique}"]

    (coupon,) = eventually(welcome_coupons, timeout=20)
    assert (coupon["kind"], coupon["status"]) == ("free_shipping", "issued")
