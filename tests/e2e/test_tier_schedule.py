"""Tiers over the local stack: a purchase that crosses the threshold shows in the member view at
once with tier.changed on the bus; the `tiers` schedule run "as if" EventBridge fired it at the
review date (and again after the sample program's 30-day grace) downgrades a member whose spend
has left the window. An admin's assignment over HTTP holds a tier."""

from __future__ import annotations

from datetime import date, timedelta

from tests.e2e.helpers import ADMIN_KEY, eventually


def tier_events(stack, member):
    return [
        (e["detail"]["from_tier"], e["detail"]["to_tier"], e["detail"]["reason"])
        for e in stack.events(member, "tier.changed")
    ]


def test_an_upgrade_shows_at_once_and_a_later_tiers_run_downgrades(stack, member, unique):
    # Given a member whose purchase reaches the sample program's silver spend (5000.00)
    before = stack.call("GET", f"/v1/members/{member}").json()
    assert before["tier"]["id"] == "base"
    assert before["tier_progress"]["next_tier"]["missing"]["spend"] == "5000.00"
    bought = stack.call(
        "POST",
        "/v1/purchases",
        {"order_id": f"o-{unique}", "member_id": member, "amount": "5000.00", "currency": "CNY"},
    )
    assert bought.status_code == 201, bought.text
    assert bought.json()["tier_change"] == {"from_tier": "base", "to_tier": "silver", "reason": "qualified"}

    # Then the member view shows silver, what gold needs, and when silver is decided again
    view = stack.call("GET", f"/v1/members/{member}").json()
    assert (view["tier"]["id"], view["tier"]["names"]["zh-CN"]) == ("silver", "银卡")
    assert view["tier"]["benefits"]["free_shipping"] is True
    review_on = date.fromisoformat(view["tier"]["review_on"])
    assert view["tier_progress"]["next_tier"]["id"] == "gold"
    assert view["tier_progress"]["keep"]["until"] == review_on.isoformat()
    assert eventually(lambda: tier_events(stack, member)) == [("base", "silver", "qualified")]

    # When the tiers schedule runs on the review date (a year on: the spend has left the window),
    # and again when the 30-day grace has passed
    first = stack.call("POST", "/_local/schedules/tiers/run", {"time": f"{review_on}T02:00:00Z"}, key=None)
    graced = stack.call("GET", f"/v1/members/{member}").json()
    after_grace = (review_on + timedelta(days=30)).isoformat()
    second = stack.call("POST", "/_local/schedules/tiers/run", {"time": f"{after_grace}T02:00:00Z"}, key=None)

    # Then the member kept silver through the grace, and is back in the base tier after it
    assert (first.status_code, second.status_code) == (200, 200), (first.text, second.text)
    assert (graced["tier"]["id"], graced["tier_progress"]["keep"]["in_grace"]) == ("silver", True)
    assert second.json()["downgraded"] >= 1
    assert stack.call("GET", f"/v1/members/{member}").json()["tier"]["id"] == "base"
    assert eventually(lambda: len(tier_events(stack, member)) == 2)
    assert set(tier_events(stack, member)) == {
        ("base", "silver", "qualified"),
        ("silver", "base", "evaluation"),
    }


def test_an_admin_assigns_a_tier_over_http(stack, member):
    assigned = stack.call(
        "PUT",
        f"/v1/members/{member}/tier",
        {"tier_id": "gold", "until": "2099-12-31", "reason": "VIP invitation"},
        key=ADMIN_KEY,
    )
    refused = stack.call("PUT", f"/v1/members/{member}/tier", {"tier_id": "gold", "reason": "x"})
    unknown = stack.call(
        "PUT", f"/v1/members/{member}/tier", {"tier_id": "diamond", "reason": "x"}, key=ADMIN_KEY
    )

    assert assigned.status_code == 200, assigned.text
    shown = assigned.json()["tier"]["assigned"]
    assert (shown["tier_id"], shown["until"], shown["reason"]) == ("gold", "2099-12-31", "VIP invitation")
    assert shown["assigned_by"]  # the admin key's id
    assert stack.call("GET", f"/v1/members/{member}").json()["tier"]["id"] == "gold"
    assert refused.status_code == 403
    assert unknown.status_code == 422
    assert unknown.headers["content-type"].startswith("application/problem+json")
