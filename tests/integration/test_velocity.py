"""Velocity rules: an earn (a purchase or an activity, not a bonus or an adjustment) that takes a
member past a rule's window limit is recorded with its points withheld and opens a review (or adds
to the member's open one); a `freeze` rule freezes the member too; an admin resolves the review,
releasing or forfeiting the points, exactly once and audited. Counted in the earn's own
transaction on the member item: concurrent earns never slip past the limit."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from loyalty.errors import IdempotencyConflictError, MemberFrozenError
from loyalty.models.api import ActivityRequest, AdjustmentRequest, EnrollRequest, PurchaseRequest
from loyalty.models.audit import AuditQuery
from loyalty.models.program import Program
from loyalty.models.rewards import HoldRequest
from loyalty.models.risk import ResolveReviewRequest
from loyalty.operations import activities, adjustments, holds, members, programs, purchases, reviews
from loyalty.operations.context import Principal
from tests.support.ledger import assert_adds_up, member_state
from tests.support.races import Race

ADMIN = Principal(tenant_id="shop", scope="admin", key_id="key_admin", request_id="req-1")


def admin(request_id):
    """The admin in another API request (each request's audit entry is its own)."""
    return Principal(tenant_id="shop", scope="admin", key_id="key_admin", request_id=request_id)


def with_rules(context, *rules):
    document = context.programs.get("shop", fresh=True).model_dump(mode="json")
    document["risk"] = {"velocity": list(rules)}
    programs.publish_program(context, ADMIN, Program.model_validate(document))


def buy(context, order_id, amount="50.00", member_id="m1"):
    request = PurchaseRequest(order_id=order_id, member_id=member_id, amount=Decimal(amount), currency="CNY")
    return purchases.record_purchase(context, "shop", request)


def state(aws, member_id="m1", tenant="shop"):
    return member_state(aws.dynamodb, aws.table_name, tenant, member_id)


@pytest.fixture
def member(context):
    members.enroll(context, "shop", EnrollRequest(member_id="m1"))  # 100 signup points: not counted
    return "m1"


def test_an_earn_past_the_limit_is_withheld_and_opens_one_review_which_an_admin_releases(
    aws, context, clock, member
):
    # Given at most 2 earns an hour
    with_rules(context, {"window_minutes": 60, "max_earns": 2, "action": "review"})

    # When the member buys twice, then a third time, does an activity, and gets an adjustment
    first, second, third = buy(context, "o1"), buy(context, "o2"), buy(context, "o3")
    clock.advance(minutes=5)
    survey = activities.record_activity(
        context, "shop", ActivityRequest(activity_id="s1", member_id="m1", type="survey")
    )
    adjustments.adjust(
        context, admin("req-2"), "m1", AdjustmentRequest(adjustment_id="a1", points=10, reason="x")
    )

    # Then the first two earn, the third and the activity are withheld under one open review
    assert [b.body["balance"]["withheld"] for b in (first, second, third)] == [0, 0, 50]
    assert survey.body["balance"]["withheld"] == 50 + survey.body["points_earned"] > 50
    after = state(aws)
    assert_adds_up(after)
    assert (after.available, after.withheld) == (100 + 100 + 10, 50 + survey.body["points_earned"])
    withheld_entries = [e for e in after.entries if e.get("withheld")]
    assert [e.get("order_id") or e.get("activity_id") for e in withheld_entries] == ["o3", "s1"]
    review_id = withheld_entries[0]["review_id"]
    assert {e["review_id"] for e in withheld_entries} == {review_id}
    listed = reviews.list_reviews(context, "shop", "open", 50, None).body["items"]
    assert [(r["review_id"], r["member_id"], r["points"], r["earns"], r["action"]) for r in listed] == [
        (review_id, "m1", after.withheld, 2, "review")
    ]
    assert listed[0]["rules"] == ["more than 2 earns in 60 minutes"]
    # And a replay of the third purchase answers the same, withholding nothing twice
    assert buy(context, "o3").body == third.body
    assert state(aws).withheld == after.withheld

    # When an admin releases the review (and the request is repeated)
    request = ResolveReviewRequest(release=True, reason="a real customer")
    resolved = reviews.resolve_review(context, ADMIN, review_id, request)
    again = reviews.resolve_review(context, ADMIN, review_id, request)

    # Then the points are available, with a `review` entry; the review is closed; it is audited
    assert (resolved.status, resolved.body["released"], resolved.body["forfeited"]) == (
        200,
        after.withheld,
        0,
    )
    assert again.body == resolved.body
    final = state(aws)
    assert_adds_up(final)
    assert (final.available, final.withheld) == (after.available + after.withheld, 0)
    last = final.entries[-1]
    assert (last["type"], last["points"], last["withheld"], last["status"]) == (
        "review",
        0,
        -after.withheld,
        "released",
    )
    assert reviews.list_reviews(context, "shop", "open", 50, None).body["items"] == []
    assert (
        reviews.list_reviews(context, "shop", "released", 50, None).body["items"][0]["resolved_by"]
        == "key_admin"
    )
    logged = context.audit.list_entries("shop", AuditQuery(limit=10, member_id="m1"), None)[0]
    assert [(e.action, e.detail["points"]) for e in logged if e.action == "review.resolved"] == [
        ("review.resolved", after.withheld)
    ]
    # And resolving it differently afterwards is refused
    with pytest.raises(IdempotencyConflictError):
        reviews.resolve_review(context, ADMIN, review_id, ResolveReviewRequest(release=False))


def test_the_window_slides_and_a_rejected_review_forfeits_its_points(aws, context, clock, member):
    # Given at most 120 points in 30 minutes
    with_rules(context, {"window_minutes": 30, "max_points": 120})
    assert buy(context, "o1", "100.00").body["balance"]["withheld"] == 0

    # When 40 more points come 10 minutes later (past the limit), then 40 once the first left the window
    clock.advance(minutes=10)
    over = buy(context, "o2", "40.00")
    clock.advance(minutes=21)
    later = buy(context, "o3", "40.00")

    # Then only the second is withheld
    assert (over.body["balance"]["withheld"], later.body["balance"]["withheld"]) == (40, 40)
    assert state(aws).available == 100 + 100 + 40

    # When an admin rejects the review, the 40 points are forfeited by an entry
    review = reviews.list_reviews(context, "shop", None, 50, None).body["items"][0]
    rejected = reviews.resolve_review(
        context, ADMIN, review["review_id"], ResolveReviewRequest(release=False)
    )
    assert (rejected.body["released"], rejected.body["forfeited"]) == (0, 40)
    final = state(aws)
    assert_adds_up(final)
    assert (final.available, final.withheld, final.entries[-1]["points"]) == (240, 0, -40)
    with pytest.raises(IdempotencyConflictError):  # resolved once: another resolution is 409
        reviews.resolve_review(
            context,
            admin("req-3"),
            review["review_id"],
            ResolveReviewRequest(release=True, reason="x"),
        )


def test_a_freeze_rule_freezes_the_member_and_its_review_waits_for_the_unfreeze(aws, context, member):
    # Given a rule freezing a member past 2 earns in 10 minutes
    with_rules(context, {"window_minutes": 10, "max_earns": 2, "action": "freeze"})

    # When the member earns three times
    for order_id in ("o1", "o2", "o3"):
        buy(context, order_id)

    # Then it is frozen, its third earn withheld: it cannot spend, and releasing the review is 409
    after = state(aws)
    assert_adds_up(after)
    assert (after.available, after.withheld) == (200, 50)
    view = members.read_member(context, "shop", "m1").body
    assert view["status"] == "frozen"
    with pytest.raises(MemberFrozenError):
        holds.reserve(context, "shop", "m1", HoldRequest(hold_id="h1", points=10))
    review = reviews.list_reviews(context, "shop", "open", 50, None).body["items"][0]
    assert review["action"] == "freeze"
    with pytest.raises(MemberFrozenError):
        reviews.resolve_review(context, ADMIN, review["review_id"], ResolveReviewRequest(release=True))


@pytest.mark.parametrize("backend", ["dynamodb-local"], indirect=True)
def test_concurrent_earns_never_slip_past_the_limit(aws, context, member):
    # Given at most 3 earns an hour, and 8 purchases of one member arriving at once
    with_rules(context, {"window_minutes": 60, "max_earns": 3})
    race = Race(aws.table_name, parties=8)

    def deliver(number: int) -> int:
        request = PurchaseRequest(
            order_id=f"c{number}", member_id="m1", amount=Decimal("10.00"), currency="CNY"
        )
        return purchases.record_purchase(race.context(), "shop", request).status

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(deliver, range(8)))

    # Then they collided, and exactly 3 earned: the other 5 are withheld under one review
    assert race.refused >= 7
    assert statuses == [201] * 8
    after = state(aws)
    assert_adds_up(after)
    assert (after.available, after.withheld) == (100 + 30, 50)
    review = reviews.list_reviews(context, "shop", "open", 50, None).body["items"]
    assert [(r["points"], r["earns"]) for r in review] == [(50, 5)]


def test_reviews_over_http_are_for_the_tenants_admin_only(api, shop, rival):
    # Given a program with a velocity rule and a member past it
    program = api.call("GET", "/v1/program", key=shop.admin_key).json()
    program["risk"] = {"velocity": [{"window_minutes": 60, "max_earns": 1}]}
    published = api.call("PUT", "/v1/program", program, key=shop.admin_key)
    assert published.status == 200, published.body
    assert api.call("POST", "/v1/members", {"member_id": "m1"}, key=shop.server_key).status == 201
    for order_id in ("o1", "o2"):
        body = {"order_id": order_id, "member_id": "m1", "amount": "20.00", "currency": "CNY"}
        assert api.call("POST", "/v1/purchases", body, key=shop.server_key).status == 201

    # When the admin, a server key and another tenant's admin list and resolve it
    listed = api.call("GET", "/v1/reviews", key=shop.admin_key, query="status=open")
    as_server = api.call("GET", "/v1/reviews", key=shop.server_key)
    review_id = listed.json()["items"][0]["review_id"]
    path = f"/v1/reviews/{review_id}/resolve"
    by_rival = api.call("POST", path, {"release": True}, key=rival.admin_key)
    by_server = api.call("POST", path, {"release": True}, key=shop.server_key)
    resolved = api.call("POST", path, {"release": True}, key=shop.admin_key)

    # Then only the tenant's admin sees and resolves it
    assert (listed.status, as_server.status, by_rival.status, by_server.status) == (200, 403, 404, 403)
    assert api.call("GET", "/v1/reviews", key=rival.admin_key).json()["items"] == []
    assert resolved.status == 200, resolved.body
    assert (resolved.json()["released"], resolved.json()["balance"]["withheld"]) == (20, 0)
    assert api.call("GET", "/v1/reviews", key=shop.admin_key, query="status=nope").status == 422
    bad_rule = {**program, "risk": {"velocity": [{"window_minutes": 60, "action": "review"}]}}
    assert api.call("PUT", "/v1/program", bad_rule, key=shop.admin_key).status == 422
