"""Tiers on a real table: upgrade at once in the earn's own transaction, the refund that waits for
the evaluation, the `tiers` run (window, grace, one level down, assigned floors), and a run that
reads in proportion to the members due, not to all members."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from loyalty.models.api import EnrollRequest, PurchaseRequest, RefundRequest, TierAssignmentRequest
from loyalty.models.program import Program
from loyalty.operations import members, purchases
from loyalty.operations.context import Context, Principal, ProgramCache
from loyalty.operations.tiers import assign_tier, run_tiers
from loyalty.store import keys
from loyalty.store.job_store import JobStore
from loyalty.store.ledger_store import LedgerStore
from loyalty.store.table import from_item, to_item
from loyalty.store.tenant_store import TenantStore
from tests.support.ledger import assert_adds_up, member_state
from tests.support.reads import items_read

ENROLLED = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
ADMIN = Principal(tenant_id="club", scope="admin", key_id="key_admin")


def shanghai(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - timedelta(hours=8)


def club_program(**tier_rules: Any) -> Program:
    return Program.model_validate(
        {
            "name": "Club",
            "earn": {"points_per_unit": 1},
            "signup_bonus": 0,
            "tiers": [
                {"id": "regular", "name": "Regular", "names": {"zh-CN": "普通会员", "en": "Regular"}},
                {"id": "silver", "name": "Silver", "earn_multiplier": "2", "qualify": {"spend": "1000.00"}},
                {"id": "gold", "name": "Gold", "earn_multiplier": "3", "qualify": {"spend": "3000.00"}},
                {
                    "id": "platinum",
                    "name": "Platinum",
                    "earn_multiplier": "4",
                    "qualify": {"spend": "10000.00"},
                },
                {"id": "vip", "name": "VIP", "earn_multiplier": "5", "benefits": {"priority_service": True}},
            ],
            "tier_rules": tier_rules,
        }
    )


@pytest.fixture
def club(aws, clock):
    """Tenant `club` with a five-tier ladder, on the test clock (which starts at ENROLLED)."""
    clock.now = ENROLLED

    def make(**tier_rules: Any) -> Context:
        tenants = TenantStore(aws.table_name)
        tenants.create_tenant("club", "Club", club_program(**tier_rules), [], clock())
        return Context(
            ledger=LedgerStore(aws.table_name),
            tenants=tenants,
            programs=ProgramCache(tenants, 0),
            clock=clock,
            sleep=lambda seconds: None,
        )

    return make


@pytest.fixture
def jobs(aws):
    return JobStore(aws.table_name)


def buy(context: Context, member: str, order: str, amount: str) -> dict[str, Any]:
    request = PurchaseRequest(order_id=order, member_id=member, amount=Decimal(amount), currency="CNY")
    return purchases.record_purchase(context, "club", request).body


def view(context: Context, member: str) -> dict[str, Any]:
    return members.read_member(context, "club", member).body


def tier_events(aws, member: str) -> list[tuple[str, str, str]]:
    page = aws.dynamodb.query(
        TableName=aws.table_name,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :tier)",
        ExpressionAttributeValues=to_item({":pk": keys.member_pk("club", member), ":tier": "TIER#"}),
        ConsistentRead=True,
    )
    return [(item["from_tier"], item["to_tier"], item["reason"]) for item in map(from_item, page["Items"])]


def test_a_purchase_reaching_the_threshold_upgrades_at_once_and_the_next_earn_uses_the_new_multiplier(
    aws, club
):
    context = club()
    members.enroll(context, "club", EnrollRequest(member_id="ann"))

    below = buy(context, "ann", "o-1", "999.99")
    assert below["tier_change"] is None
    assert view(context, "ann")["tier"]["id"] == "regular"

    crossing = buy(context, "ann", "o-2", "0.01")
    assert crossing["tier_change"] == {"from_tier": "regular", "to_tier": "silver", "reason": "qualified"}
    assert view(context, "ann")["tier"]["id"] == "silver"
    assert tier_events(aws, "ann") == [("regular", "silver", "qualified")]

    next_earn = buy(context, "ann", "o-3", "100.00")
    assert next_earn["points_earned"] == 200  # silver's x2, from the earn after the upgrade
    assert "tier:silver" in next_earn["rule_ids"]
    # And a replay of the crossing purchase changes nothing and says the same
    assert buy(context, "ann", "o-2", "0.01") == crossing
    assert tier_events(aws, "ann") == [("regular", "silver", "qualified")]
    assert_adds_up(member_state(aws.dynamodb, aws.table_name, "club", "ann"))


def test_a_refund_below_the_threshold_waits_for_the_evaluation(aws, club, clock, jobs):
    # Given two members who reach silver in June 2027, well inside the window of their November review
    context = club()
    for member in ("bob", "kim"):
        members.enroll(context, "club", EnrollRequest(member_id=member))
    clock.now = shanghai(date(2027, 6, 1))
    buy(context, "bob", "o-bob", "1200.00")
    buy(context, "kim", "o-kim", "1200.00")
    # When bob gets 500.00 back (his spend falls below silver's 1000.00), kim nothing
    refund = RefundRequest(refund_id="r-1", amount=Decimal("500.00"))
    purchases.refund_purchase(context, "club", "o-bob", refund)

    # Then bob stays silver for now, and the view says what the refund cost him
    shown = view(context, "bob")
    assert shown["tier"]["id"] == "silver"  # not at once
    assert shown["tier_progress"]["figures"] == {"spend": "700.00", "purchases": 1, "points": 700}
    assert shown["tier_progress"]["keep"] == {
        "until": "2027-11-23",
        "in_grace": False,
        "missing": {"spend": "300.00", "purchases": None, "points": None},
    }

    # And the evaluation on the review date counts the refund: bob goes down, kim keeps silver
    report = run_tiers(context, jobs, shanghai(date(2027, 11, 23)))

    assert (report.members_evaluated, report.downgraded) == (2, 1)
    assert (view(context, "bob")["tier"]["id"], view(context, "kim")["tier"]["id"]) == ("regular", "silver")
    assert tier_events(aws, "bob") == [
        ("regular", "silver", "qualified"),
        ("silver", "regular", "evaluation"),
    ]


def test_spend_that_left_the_window_downgrades_at_the_evaluation_not_before(aws, club, jobs):
    context = club()
    members.enroll(context, "club", EnrollRequest(member_id="cat"))
    buy(context, "cat", "o-1", "1500.00")

    early = run_tiers(context, jobs, shanghai(date(2027, 11, 22)))
    assert (early.members_evaluated, view(context, "cat")["tier"]["id"]) == (0, "silver")

    on_the_day = run_tiers(context, jobs, shanghai(date(2027, 11, 23)))
    again = run_tiers(context, jobs, shanghai(date(2027, 11, 23), 20))

    assert (on_the_day.downgraded, again.members_evaluated) == (1, 0)
    shown = view(context, "cat")
    assert shown["tier"]["id"] == "regular"
    assert shown["tier"]["review_on"] is None
    assert shown["tier_progress"]["keep"] is None


def test_the_grace_period_keeps_the_tier_then_the_member_goes_down_one_level(aws, club, jobs):
    context = club(grace_days=30)
    members.enroll(context, "club", EnrollRequest(member_id="dan"))
    buy(context, "dan", "o-1", "12000.00")
    assert view(context, "dan")["tier"]["id"] == "platinum"

    graced = run_tiers(context, jobs, shanghai(date(2027, 11, 23)))
    shown = view(context, "dan")
    assert (graced.in_grace, shown["tier"]["id"], shown["tier"]["review_on"]) == (1, "platinum", "2027-12-23")
    assert shown["tier_progress"]["keep"]["in_grace"] is True

    after_grace = run_tiers(context, jobs, shanghai(date(2027, 12, 23)))

    assert after_grace.downgraded == 1
    assert view(context, "dan")["tier"]["id"] == "gold"  # one level, though the figures reach none


def test_an_assigned_tier_is_held_until_its_end(aws, club, clock, jobs):
    context = club()
    members.enroll(context, "club", EnrollRequest(member_id="eve"))
    assigned = assign_tier(
        context,
        ADMIN,
        "eve",
        TierAssignmentRequest(tier_id="vip", until=date(2028, 1, 31), reason="invited"),
    )
    assert assigned.body["tier"]["id"] == "vip"
    assert assigned.body["tier"]["assigned"] == {
        "tier_id": "vip",
        "until": "2028-01-31",
        "reason": "invited",
        "assigned_by": "key_admin",
    }
    assert buy(context, "eve", "o-1", "10.00")["points_earned"] == 50

    run_tiers(context, jobs, shanghai(date(2027, 11, 23)))
    held = view(context, "eve")
    assert (held["tier"]["id"], held["tier"]["review_on"]) == ("vip", "2028-02-01")

    run_tiers(context, jobs, shanghai(date(2028, 2, 1)))
    clock.now = shanghai(date(2028, 2, 1))
    fallen = view(context, "eve")
    assert (fallen["tier"]["id"], fallen["tier"]["assigned"]) == ("platinum", None)
    assert tier_events(aws, "eve") == [("regular", "vip", "assigned"), ("vip", "platinum", "evaluation")]


def test_a_run_stopped_half_way_or_run_twice_ends_the_same(aws, club, jobs):
    context = club()
    for number, day in enumerate((date(2026, 11, 23), date(2026, 11, 24))):
        member = f"m{number}"
        context.clock = lambda day=day: shanghai(day, 4)
        members.enroll(context, "club", EnrollRequest(member_id=member))
        buy(context, member, f"o-{number}", "1000.00")
    later = shanghai(date(2027, 11, 24), 12)

    # The first run walks from 31 days before its latest day (24 November): stop before the 24th
    days = itertools.count()
    stopped = run_tiers(context, jobs, later, should_stop=lambda: next(days) >= 31)
    resumed = run_tiers(context, jobs, later)
    again = run_tiers(context, jobs, later)

    assert (stopped.downgraded, resumed.downgraded) == (1, 1)
    assert again.members_evaluated == 0
    for member in ("m0", "m1"):
        assert tier_events(aws, member) == [
            ("regular", "silver", "qualified"),
            ("silver", "regular", "evaluation"),
        ]


def test_a_member_raised_after_the_run_walked_its_review_day_is_still_reviewed_on_it(aws, club, clock, jobs):
    # Given a program reviewing everyone on 24 November, whose run at 11:00 UTC on the 23rd walked
    # the 24th already (it has begun on UTC+14) and found nobody due on it
    context = club(evaluate_on="date", evaluation_date="11-24")
    members.enroll(context, "club", EnrollRequest(member_id="m1"))
    clock.now = datetime(2026, 11, 23, 11, tzinfo=UTC)  # 19:00 on the 23rd in Shanghai
    assert run_tiers(context, jobs, clock()).members_evaluated == 0

    # When the member reaches silver that evening: its review is the next day, the 24th
    clock.now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    buy(context, "m1", "o-1", "1000.00")
    assert view(context, "m1")["tier"]["review_on"] == "2026-11-24"

    # Then the next daily run reviews it on that day (it keeps silver, reviewed again a year on)
    report = run_tiers(context, jobs, datetime(2026, 11, 24, 18, tzinfo=UTC))  # 02:00 on the 25th
    assert (report.members_evaluated, view(context, "m1")["tier"]["review_on"]) == (1, "2027-11-24")


@pytest.mark.parametrize("backend", ["dynamodb-local"], indirect=True)
def test_the_run_reads_items_in_proportion_to_the_members_due(aws, club, jobs):
    # Given 10,000 members above the base tier, of which 100 are due on one day
    context = club()
    context.programs = ProgramCache(context.tenants, 60)  # as deployed: a warm Lambda reads it once
    members.enroll(context, "club", EnrollRequest(member_id="s0"))  # due on its anniversary
    buy(context, "s0", "o-1", "1000.00")
    template = from_item(
        aws.dynamodb.get_item(
            TableName=aws.table_name,
            Key=to_item({"PK": keys.member_pk("club", "s0"), "SK": keys.MEMBER_SK}),
        )["Item"]
    )
    due_day = date(2027, 11, 23)
    requests: list[dict[str, Any]] = []
    for number in range(1, 10_000):
        member = f"s{number}"
        review_on = due_day if number < 100 else due_day + timedelta(days=1 + number % 200)
        item = template | {
            "PK": keys.member_pk("club", member),
            "member_id": member,
            "tier": template["tier"] | {"review_on": review_on.isoformat()},
            "GSI3PK": keys.tier_review_index_pk(review_on, "club", member),
            "GSI3SK": keys.member_pk("club", member),
            # each member under its own shard of the other indexes too, as the store files it
            "GSI1PK": keys.expiry_index_pk(
                date.fromisoformat(template["GSI1PK"].split("#")[1]), "club", member
            ),
            "GSI1SK": keys.member_pk("club", member),
            "GSI4PK": keys.tenant_members_pk("club", member),
            "GSI4SK": keys.member_pk("club", member),
        }
        requests.append({"PutRequest": {"Item": to_item(item)}})
    for start in range(0, len(requests), 25):
        batch = {aws.table_name: requests[start : start + 25]}
        while batch:
            batch = aws.dynamodb.batch_write_item(RequestItems=batch).get("UnprocessedItems") or {}
    jobs.advance("tiers", due_day)

    # When the run evaluates the due day
    with items_read(context.ledger.client, context.tenants.client, jobs.client) as read:
        report = run_tiers(context, jobs, shanghai(due_day, 12))

    # Then it evaluated exactly the 100 due members (all downgraded: their spend left the window),
    # reading at most 125 items, the program and the checkpoint included (plus the keys-only
    # index's entries, one per due member, that say which members to read)
    assert (report.members_evaluated, report.downgraded) == (100, 100)
    print(f"tier run read {sum(read)} items and {sum(read.index_keys)} index keys in {len(read)} calls")
    assert sum(read) <= 125
    assert sum(read.index_keys) == 100


def tier_history(aws, member: str) -> list[dict[str, Any]]:
    page = aws.dynamodb.query(
        TableName=aws.table_name,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :tier)",
        ExpressionAttributeValues=to_item({":pk": keys.member_pk("club", member), ":tier": "TIER#"}),
        ConsistentRead=True,
    )
    wanted = ("from_tier", "to_tier", "reason", "assignment_reason", "actor")
    return [{name: item.get(name) for name in wanted} for item in map(from_item, page["Items"])]


def test_every_assignment_keeps_its_reason_and_its_key_in_the_tier_history(aws, club):
    # Given a gold member (by spend)
    context = club()
    members.enroll(context, "club", EnrollRequest(member_id="fay"))
    buy(context, "fay", "o-1", "3000.00")
    other_admin = Principal(tenant_id="club", scope="admin", key_id="key_other")

    # When one admin raises her to VIP, another assigns silver (below her tier: a floor only),
    # and the assignment is withdrawn
    raised = assign_tier(context, ADMIN, "fay", TierAssignmentRequest(tier_id="vip", reason="board member"))
    floor = TierAssignmentRequest(tier_id="silver", until=date(2027, 6, 30), reason="complaint goodwill")
    floored = assign_tier(context, other_admin, "fay", floor)
    assign_tier(context, ADMIN, "fay", TierAssignmentRequest(tier_id=None, reason="left the board"))

    # Then the member view shows the assignment in force with its reason and key
    assert raised.body["tier"]["assigned"] == {
        "tier_id": "vip",
        "until": None,
        "reason": "board member",
        "assigned_by": "key_admin",
    }
    assert (floored.body["tier"]["id"], floored.body["tier"]["assigned"]) == (
        "vip",  # a floor below the tier held lowers nothing
        {
            "tier_id": "silver",
            "until": "2027-06-30",
            "reason": "complaint goodwill",
            "assigned_by": "key_other",
        },
    )
    assert (view(context, "fay")["tier"]["id"], view(context, "fay")["tier"]["assigned"]) == ("vip", None)
    # And the history keeps every assignment, moved or not, with its reason and the acting key
    assert tier_history(aws, "fay") == [
        {
            "from_tier": "regular",
            "to_tier": "gold",
            "reason": "qualified",
            "assignment_reason": None,
            "actor": None,
        },
        {
            "from_tier": "gold",
            "to_tier": "vip",
            "reason": "assigned",
            "assignment_reason": "board member",
            "actor": "key_admin",
        },
        {
            "from_tier": "vip",
            "to_tier": "vip",
            "reason": "assigned",
            "assignment_reason": "complaint goodwill",
            "actor": "key_other",
        },
        {
            "from_tier": "vip",
            "to_tier": "vip",
            "reason": "assignment_withdrawn",
            "assignment_reason": "left the board",
            "actor": "key_admin",
        },
    ]


def test_an_assignment_over_http_names_the_admin_key_that_made_it(api, shop):
    # Given a member and an admin key issued for the assignment
    assert api.call("POST", "/v1/members", {"member_id": "m1"}, key=shop.server_key).status == 201
    issued = api.call("POST", "/v1/keys", {"scope": "admin", "name": "crm"}, key=shop.admin_key).json()

    # When it assigns gold
    body = {"tier_id": "gold", "until": "2099-12-31", "reason": "VIP event"}
    assigned = api.call("PUT", "/v1/members/m1/tier", body, key=issued["key"])

    # Then the member's assignment says why and which key
    assert assigned.status == 200, assigned.body
    shown = api.call("GET", "/v1/members/m1", key=shop.server_key).json()["tier"]
    assert (shown["id"], shown["assigned"]) == (
        "gold",
        {"tier_id": "gold", "until": "2099-12-31", "reason": "VIP event", "assigned_by": issued["key_id"]},
    )
