"""The catalog and redemptions over the API: stock, per-member limits, windows, tiers, campaign
prices, idempotency, fulfil and cancel (points back in their original lots, stock back)."""

from __future__ import annotations

import pytest

from tests.support.ledger import assert_adds_up, member_state

PROBLEM_JSON = "application/problem+json"


@pytest.fixture
def member(api, shop):
    assert api.call("POST", "/v1/members", {"member_id": "m1"}, key=shop.server_key).status == 201
    body = {"order_id": "o1", "member_id": "m1", "amount": "300.00", "currency": "CNY"}
    assert api.call("POST", "/v1/purchases", body, key=shop.server_key).status == 201  # 400 points in all
    return "m1"


def put_reward(api, shop, reward_id="mug", **fields):
    body = {"name": "Mug", "names": {"zh-CN": "杯子", "en": "Mug"}, "points_cost": 100, "stock": 5, **fields}
    return api.call("PUT", f"/v1/rewards/{reward_id}", body, key=shop.admin_key)


def redeem(api, shop, redemption_id, reward_id="mug", quantity=1, member_id="m1"):
    body = {"redemption_id": redemption_id, "reward_id": reward_id, "quantity": quantity}
    return api.call("POST", f"/v1/members/{member_id}/redemptions", body, key=shop.server_key)


def test_the_catalog_is_put_by_admins_and_read_by_servers(api, shop):
    # Given a reward with every field the catalog knows
    put = put_reward(
        api,
        shop,
        kind="gift",
        cash="9.90",
        per_member_limit=2,
        active_from="2020-01-01T00:00:00+00:00",
        tiers=["base"],
        image_url="https://img.example.com/mug.png",
        campaign_prices=[
            {"points_cost": 80, "starts_at": "2020-01-01T00:00:00Z", "ends_at": "2099-01-01T00:00:00Z"}
        ],
    )
    assert put.status == 200, put.body
    # When a server key lists the catalog
    listed = api.call("GET", "/v1/rewards", key=shop.server_key)
    # Then the reward is there with its names, stock, co-payment and the campaign price in force
    assert listed.status == 200
    [reward] = listed.json()["items"]
    assert reward["names"] == {"zh-CN": "杯子", "en": "Mug"}
    assert (reward["stock"], reward["cash"], reward["currency"]) == (5, "9.90", "CNY")
    assert (reward["points_cost"], reward["current_points_cost"]) == (100, 80)
    assert listed.json()["next_cursor"] is None
    # And a server key may not change it; nonsense is 422 problem+json
    forbidden = api.call("PUT", "/v1/rewards/mug", {"name": "x", "points_cost": 1}, key=shop.server_key)
    assert forbidden.status == 403
    bad = api.call(
        "PUT", "/v1/rewards/mug", {"name": "x", "points_cost": -1, "stock": 1.5}, key=shop.admin_key
    )
    assert bad.status == 422
    assert bad.headers["content-type"].startswith(PROBLEM_JSON)


def test_a_redemption_takes_points_stock_and_is_idempotent(api, shop, aws, member):
    assert put_reward(api, shop, cash="5.00").status == 200

    # When the member redeems two mugs
    first = redeem(api, shop, "rd1", quantity=2)

    # Then 200 points go, the stock drops to 3, the shop learns the co-payment
    assert first.status == 201, first.body
    body = first.json()
    assert (body["points"], body["status"], body["balance"]["available"]) == (200, "requested", 200)
    assert body["cash_due"] == {"amount": "10.00", "currency": "CNY"}
    assert api.call("GET", "/v1/rewards/mug", key=shop.server_key).json()["stock"] == 3
    # And the same request again answers the same, changing nothing; another body is 409
    again = redeem(api, shop, "rd1", quantity=2)
    assert (again.status, again.json()) == (201, body)
    assert redeem(api, shop, "rd1", quantity=1).status == 409
    entries = api.call("GET", "/v1/members/m1/transactions", key=shop.server_key).json()["items"]
    assert (entries[0]["type"], entries[0]["points"], entries[0]["redemption_id"]) == ("redeem", -200, "rd1")
    assert api.call("GET", "/v1/rewards/mug", key=shop.server_key).json()["stock"] == 3
    assert_adds_up(member_state(aws.dynamodb, aws.table_name, "acme", member))


def test_out_of_stock_short_of_points_and_over_the_limit_are_409(api, shop, aws, member):
    assert put_reward(api, shop, "rare", stock=1, points_cost=10).status == 200
    assert put_reward(api, shop, "gold", stock=None, points_cost=1000).status == 200
    assert put_reward(api, shop, "pen", stock=None, points_cost=10, per_member_limit=2).status == 200

    assert redeem(api, shop, "a", "rare").status == 201
    sold_out = redeem(api, shop, "b", "rare")
    assert (sold_out.status, sold_out.json()["type"].rsplit("/", 1)[1]) == (409, "out-of-stock")
    short = redeem(api, shop, "c", "gold")
    assert (short.status, short.json()["type"].rsplit("/", 1)[1]) == (409, "insufficient-points")
    assert redeem(api, shop, "d", "pen", quantity=2).status == 201
    over = redeem(api, shop, "e", "pen")
    assert (over.status, over.json()["type"].rsplit("/", 1)[1]) == (409, "member-limit-reached")
    assert redeem(api, shop, "f", "nope").status == 404
    assert redeem(api, shop, "g", "pen", member_id="ghost").status == 404
    state = member_state(aws.dynamodb, aws.table_name, "acme", member)
    assert state.available == 400 - 10 - 20
    assert_adds_up(state)


def test_window_and_tiers_decide_who_may_redeem(api, shop, member):
    assert put_reward(api, shop, "later", active_from="2099-01-01T00:00:00Z").status == 200
    assert put_reward(api, shop, "vip", tiers=["gold"]).status == 200
    assert put_reward(api, shop, "over", active_until="2020-01-01T00:00:00Z").status == 200
    for number, reward in enumerate(["later", "vip", "over"]):
        refused = redeem(api, shop, f"w{number}", reward)
        assert refused.status == 409, reward
        assert refused.json()["type"].endswith("/reward-unavailable")


def test_cancel_gives_back_points_and_stock_fulfil_is_final(api, shop, aws, member):
    assert put_reward(api, shop).status == 200
    assert redeem(api, shop, "rd1").status == 201
    assert redeem(api, shop, "rd2").status == 201
    before = api.call("GET", "/v1/members/m1", key=shop.server_key).json()

    # When one redemption is cancelled and the other fulfilled
    cancelled = api.call("POST", "/v1/members/m1/redemptions/rd1/cancel", key=shop.server_key)
    fulfilled = api.call("POST", "/v1/members/m1/redemptions/rd2/fulfil", key=shop.server_key)

    # Then the points and the stock come back for the cancelled one, with their expiry dates
    assert cancelled.status == 200, cancelled.body
    assert (cancelled.json()["status"], cancelled.json()["points_returned"]) == ("cancelled", 100)
    after = api.call("GET", "/v1/members/m1", key=shop.server_key).json()
    assert after["balance"]["available"] == before["balance"]["available"] + 100
    assert after["expiring"] == [
        {"points": sum(item["points"] for item in before["expiring"]) + 100, "expires_on": item["expires_on"]}
        for item in before["expiring"]
    ]
    assert api.call("GET", "/v1/rewards/mug", key=shop.server_key).json()["stock"] == 4
    assert fulfilled.json()["status"] == "fulfilled"
    # And both are final: repeating answers the same, the other transition is 409
    assert (
        api.call("POST", "/v1/members/m1/redemptions/rd1/cancel", key=shop.server_key).json()
        == cancelled.json()
    )
    assert api.call("POST", "/v1/members/m1/redemptions/rd2/fulfil", key=shop.server_key).status == 200
    assert api.call("POST", "/v1/members/m1/redemptions/rd1/fulfil", key=shop.server_key).status == 409
    assert api.call("POST", "/v1/members/m1/redemptions/rd2/cancel", key=shop.server_key).status == 409
    read = api.call("GET", "/v1/members/m1/redemptions/rd2", key=shop.server_key)
    assert read.json()["status"] == "fulfilled"
    entries = api.call("GET", "/v1/members/m1/transactions", key=shop.server_key).json()["items"]
    assert [entry["type"] for entry in entries[:3]] == ["redeem_cancel", "redeem", "redeem"]
    assert_adds_up(member_state(aws.dynamodb, aws.table_name, "acme", member))


def test_another_tenant_sees_neither_rewards_nor_redemptions(api, shop, rival, member):
    assert put_reward(api, shop).status == 200
    assert redeem(api, shop, "rd1").status == 201
    assert api.call("GET", "/v1/rewards", key=rival.server_key).json()["items"] == []
    assert api.call("GET", "/v1/rewards/mug", key=rival.server_key).status == 404
    assert api.call("GET", "/v1/members/m1/redemptions/rd1", key=rival.server_key).status == 404
    assert api.call("POST", "/v1/members/m1/redemptions/rd1/cancel", key=rival.server_key).status == 404


def test_a_cancellation_after_the_points_lapsed_returns_them_due_and_a_daily_run_expires_them(
    aws, context, clock
):
    from datetime import UTC, datetime

    from loyalty.models.api import EnrollRequest
    from loyalty.models.rewards import RedemptionRequest, Reward
    from loyalty.operations import members, redemptions
    from loyalty.operations.expiry import run_expiry
    from loyalty.store.job_store import JobStore
    from loyalty.store.reward_store import RewardStore

    # Given a member whose 100 signup points last through 2028-11-30 spent them on a reward
    jobs = JobStore(aws.table_name)
    members.enroll(context, "shop", EnrollRequest(member_id="m1"))
    RewardStore(aws.table_name).put_reward("shop", "mug", Reward(name="Mug", points_cost=100), clock())
    redemptions.redeem(context, "shop", "m1", RedemptionRequest(redemption_id="rd1", reward_id="mug"))
    # And the expiry runs went past that date meanwhile
    clock.now = datetime(2028, 12, 10, 12, tzinfo=UTC)
    assert run_expiry(context, jobs, clock()).members_expired == 0

    # When the redemption is cancelled
    cancelled = redemptions.cancel(context, "shop", "m1", "rd1")

    # Then the points come back in their lot, with its original date
    assert cancelled.body["points_returned"] == 100
    state = member_state(aws.dynamodb, aws.table_name, "shop", "m1")
    assert [(str(lot["expires_on"]), lot["remaining"]) for lot in state.lots] == [("2028-11-30", 100)]
    # And the daily runs expire them within a day (they are indexed on a day no run finished)
    clock.now = datetime(2028, 12, 11, 16, 30, tzinfo=UTC)  # the schedule's time, 00:30 in Shanghai
    report = run_expiry(context, jobs, clock())
    assert (report.members_expired, report.points_expired) == (1, 100)
    state = member_state(aws.dynamodb, aws.table_name, "shop", "m1")
    assert (state.available, state.lots) == (0, [])
    assert_adds_up(state)


def test_points_given_back_on_a_day_already_over_far_ahead_of_utc_are_expired_by_the_next_runs(
    aws, context, clock
):
    from datetime import UTC, datetime

    from loyalty.models.api import EnrollRequest
    from loyalty.models.program import Program
    from loyalty.models.rewards import RedemptionRequest, Reward
    from loyalty.operations import members, redemptions
    from loyalty.operations.expiry import run_expiry
    from loyalty.store.job_store import JobStore
    from loyalty.store.reward_store import RewardStore

    # Given a program on Kiritimati (UTC+14) whose member spent its 100 signup points (last day
    # 4 December, local) on a reward
    program = {"name": "Isle", "currency": "AUD", "timezone": "Pacific/Kiritimati", "signup_bonus": 100}
    program["expiry"] = {"policy": "days", "days": 10}
    context.tenants.create_tenant("isle", "Isle", Program.model_validate(program), [], clock())
    jobs = JobStore(aws.table_name)
    members.enroll(context, "isle", EnrollRequest(member_id="m1"))
    RewardStore(aws.table_name).put_reward("isle", "mug", Reward(name="Mug", points_cost=100), clock())
    redemptions.redeem(context, "isle", "m1", RedemptionRequest(redemption_id="rd1", reward_id="mug"))
    # And an expiry run finished 4 December when it was over on Kiritimati (still 4 December in UTC)
    clock.now = datetime(2026, 12, 4, 11, tzinfo=UTC)  # 5 December, 01:00 on Kiritimati
    assert run_expiry(context, jobs, clock()).next_date == "2026-12-05"

    # When the redemption is cancelled the same UTC day: its points come back dated 4 December
    clock.now = datetime(2026, 12, 4, 12, tzinfo=UTC)
    redemptions.cancel(context, "isle", "m1", "rd1")
    state = member_state(aws.dynamodb, aws.table_name, "isle", "m1")
    assert [(str(lot["expires_on"]), lot["remaining"]) for lot in state.lots] == [("2026-12-04", 100)]

    # Then the daily runs expire them within about a day (they are not left on the finished day)
    expired = [run_expiry(context, jobs, datetime(2026, 12, day, 16, 30, tzinfo=UTC)) for day in (4, 5)]
    assert [(report.members_expired, report.points_expired) for report in expired] == [(0, 0), (1, 100)]
    state = member_state(aws.dynamodb, aws.table_name, "isle", "m1")
    assert (state.available, state.lots) == (0, [])
    assert_adds_up(state)
