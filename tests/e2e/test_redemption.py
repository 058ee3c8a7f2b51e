"""Redemption over real HTTP: the catalog, a redemption and its cancellation (points.redeemed on
the bus), checkout holds captured, released and expired by the holds schedule, the preview."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.e2e.helpers import ADMIN_KEY, eventually

PROBLEM_JSON = "application/problem+json"


def test_catalog_redemption_and_cancellation(stack, member, unique):
    # Given a reward in the catalog with one left
    reward_id = f"mug-{unique}"
    put = stack.call(
        "PUT", f"/v1/rewards/{reward_id}", {"name": "Mug", "points_cost": 60, "stock": 1}, key=ADMIN_KEY
    )
    assert put.status_code == 200, put.text
    listed = stack.call("GET", "/v1/rewards?limit=100").json()
    assert reward_id in [item["reward_id"] for item in listed["items"]] or listed["next_cursor"]

    # When the member redeems it, and another redemption finds no stock
    body = {"redemption_id": f"rd-{unique}", "reward_id": reward_id}
    redeemed = stack.call("POST", f"/v1/members/{member}/redemptions", body)
    again = stack.call("POST", f"/v1/members/{member}/redemptions", body)
    sold_out = stack.call(
        "POST",
        f"/v1/members/{member}/redemptions",
        {"redemption_id": f"rd2-{unique}", "reward_id": reward_id},
    )

    # Then 60 points went once, the second is 409 problem+json, and points.redeemed is published
    assert redeemed.status_code == 201, redeemed.text
    assert (again.status_code, again.json()) == (201, redeemed.json())
    assert redeemed.json()["balance"]["available"] == 40
    assert sold_out.status_code == 409
    assert sold_out.headers["content-type"].startswith(PROBLEM_JSON)

    def redeemed_event():
        return stack.events(member, "points.redeemed")

    [event] = eventually(redeemed_event)
    assert (event["detail"]["points"], event["detail"]["reward_id"]) == (-60, reward_id)

    # And a cancellation gives back the points and the stock
    cancelled = stack.call("POST", f"/v1/members/{member}/redemptions/rd-{unique}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["balance"]["available"] == 100
    assert stack.call("GET", f"/v1/rewards/{reward_id}").json()["stock"] == 1
    assert stack.call("POST", f"/v1/members/{member}/redemptions/rd-{unique}/fulfil").status_code == 409


def test_holds_capture_release_and_the_preview(stack, member, unique):
    hold = stack.call("POST", f"/v1/members/{member}/holds", {"hold_id": f"h1-{unique}", "points": 70})
    assert hold.status_code == 201, hold.text
    assert hold.json()["balance"] == {"available": 30, "pending": 0, "held": 70, "withheld": 0}
    assert (
        stack.call(
            "POST", f"/v1/members/{member}/holds", {"hold_id": f"h2-{unique}", "points": 31}
        ).status_code
        == 409
    )

    captured = stack.call("POST", f"/v1/holds/h1-{unique}/capture", {"order_id": f"o-{unique}"})
    assert (captured.status_code, captured.json()["status"]) == (200, "captured")
    entries = stack.call("GET", f"/v1/members/{member}/transactions").json()["items"]
    assert (entries[0]["type"], entries[0]["points"], entries[0]["order_id"]) == (
        "redeem",
        -70,
        f"o-{unique}",
    )

    assert (
        stack.call(
            "POST", f"/v1/members/{member}/holds", {"hold_id": f"h3-{unique}", "points": 30}
        ).status_code
        == 201
    )
    released = stack.call("POST", f"/v1/holds/h3-{unique}/release")
    assert released.json()["balance"] == {"available": 30, "pending": 0, "held": 0, "withheld": 0}
    assert stack.call("POST", f"/v1/holds/h3-{unique}/capture", {"order_id": "o"}).status_code == 409

    preview = stack.call(
        "POST", f"/v1/members/{member}/checkout-preview", {"amount": "100.00", "currency": "CNY"}
    )
    assert preview.status_code == 200, preview.text
    assert preview.json()["max_points"] == 30


def test_the_holds_schedule_releases_an_expired_hold(stack, member, unique):
    # Given a hold of 10 minutes
    hold = stack.call(
        "POST", f"/v1/members/{member}/holds", {"hold_id": f"hx-{unique}", "points": 100, "ttl_seconds": 600}
    )
    assert hold.status_code == 201, hold.text

    # When the holds schedule runs as if an hour later
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    run = stack.call("POST", "/_local/schedules/holds/run", {"time": later}, key=None)

    # Then the hold is released, its points available again, and a capture is 409
    assert run.status_code == 200, run.text
    assert run.json()["holds_released"] >= 1
    view = stack.call("GET", f"/v1/members/{member}").json()
    assert view["balance"] == {"available": 100, "pending": 0, "held": 0, "withheld": 0}
    assert stack.call("GET", f"/v1/holds/hx-{unique}").json()["status"] == "released"
    assert stack.call("POST", f"/v1/holds/hx-{unique}/capture", {"order_id": "o"}).status_code == 409


def test_a_coupon_bought_with_points_is_used_once(stack, member, unique):
    template = {"name": "5 off", "kind": "amount_off", "amount_off": "5.00", "points_cost": 50}
    assert stack.call("PUT", f"/v1/coupon-templates/t-{unique}", template, key=ADMIN_KEY).status_code == 200
    bought = stack.call(
        "POST",
        f"/v1/members/{member}/coupons",
        {"issue_id": f"i-{unique}", "template_id": f"t-{unique}", "pay_with_points": True},
    )
    assert bought.status_code == 201, bought.text
    code = bought.json()["code"]
    order = {"member_id": member, "amount": "30.00", "currency": "CNY"}
    used = stack.call("POST", f"/v1/coupons/{code}/use", {**order, "order_id": f"o1-{unique}"})
    assert (used.status_code, used.json()["discount"]["amount"]) == (200, "5.00")
    second = stack.call("POST", f"/v1/coupons/{code}/use", {**order, "order_id": f"o2-{unique}"})
    assert second.status_code == 409
    assert second.headers["content-type"].startswith(PROBLEM_JSON)
    assert stack.call("GET", f"/v1/members/{member}").json()["balance"]["available"] == 50


def test_a_lottery_draw_is_paid_recorded_and_limited(stack, member, unique):
    table = {
        "name": "Draw",
        "points_cost": 30,
        "prizes": [{"prize_id": "mug", "name": "Mug", "weight": 1, "stock": 1}],
        "empty_weight": 1,
        "daily_limit": 1,
    }
    assert stack.call("PUT", f"/v1/lotteries/l-{unique}", table, key=ADMIN_KEY).status_code == 200
    drawn = stack.call(
        "POST", f"/v1/members/{member}/draws", {"draw_id": f"d1-{unique}", "lottery_id": f"l-{unique}"}
    )
    assert drawn.status_code == 201, drawn.text
    assert drawn.json()["prize_id"] in {"mug", None}
    assert drawn.json()["balance"]["available"] == 70
    audit = stack.call("GET", f"/v1/members/{member}/draws/d1-{unique}").json()
    assert (audit["roll"], audit["total_weight"]) == (drawn.json()["roll"], 2)
    again = stack.call(
        "POST", f"/v1/members/{member}/draws", {"draw_id": f"d2-{unique}", "lottery_id": f"l-{unique}"}
    )
    assert (again.status_code, again.json()["type"].rsplit("/", 1)[1]) == (409, "member-limit-reached")
