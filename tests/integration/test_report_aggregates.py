"""Reports from the table stream: designed data through the real stream of moto and DynamoDB Local,
counted by the ReportAggregator function into aggregates, read back by the report operations.
Each figure is asserted against hand-computed values and against the members' own balances; a
stream delivered twice, reordered across shards or cut by a crash counts each record once."""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from infra.lambdas import invoke, load_handler
from infra.template_model import load_template
from loyalty.consumers.report_aggregates import count_batch
from loyalty.models.api import AdjustmentRequest, EnrollRequest, PurchaseRequest, RefundRequest
from loyalty.models.rewards import CaptureRequest, HoldRequest
from loyalty.operations import adjustments, holds, members, purchases, reports
from loyalty.operations.context import Principal
from loyalty.operations.expiry import run_expiry
from loyalty.store.job_store import JobStore
from loyalty.store.report_store import ReportStore
from tests.support.ledger import member_state
from tests.support.streams import stream_records, windowed_event

pytestmark = pytest.mark.stream

FUNCTION = "ReportAggregatorFunction"
ADMIN = Principal(tenant_id="shop", scope="admin", key_id="key_test")
WINDOW = (date(2026, 11, 1), date(2026, 12, 31))


def shanghai(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - timedelta(hours=8)


def buy(context, order_id, member_id, amount):
    request = PurchaseRequest(order_id=order_id, member_id=member_id, amount=Decimal(amount), currency="CNY")
    assert purchases.record_purchase(context, "shop", request).status == 201


def adjust(context, adjustment_id, member_id, points, **extra):
    request = AdjustmentRequest(adjustment_id=adjustment_id, points=points, reason="test", **extra)
    assert adjustments.adjust(context, ADMIN, member_id, request).status == 201


def designed_program_year(aws, context, clock):
    """Three members on 2026-11-23 (Shanghai), an expiry run and a hold on 2026-12-11."""
    for member_id in ("m1", "m2", "m3"):
        members.enroll(context, "shop", EnrollRequest(member_id=member_id))  # 100 signup points each
    buy(context, "o1", "m1", "800.00")
    buy(context, "o2", "m2", "800.00")
    buy(context, "o3", "m3", "400.00")
    buy(context, "o4", "m1", "4300.00")  # m1 reaches silver (5,100 spent)
    refund = RefundRequest(refund_id="r1", amount=Decimal("100.00"))
    assert purchases.refund_purchase(context, "shop", "o2", refund).status == 201  # 100 clawed back
    assert holds.reserve(context, "shop", "m2", HoldRequest(hold_id="h1", points=30)).status == 201
    assert holds.capture_hold(context, "shop", "h1", CaptureRequest(order_id="o9")).status == 200
    adjust(context, "a1", "m3", 50, source="import", expires_on=date(2026, 12, 10))
    adjust(context, "a2", "m3", -10)  # taken from the import lot: 40 left, due on 12-11
    adjust(context, "a3", "m1", 70, source="import", expires_on=date(2027, 1, 5))
    adjust(context, "a4", "m2", 25, source="import", expires_on=date(2027, 2, 20))
    clock.now = shanghai(date(2026, 12, 11), 1)
    run_expiry(context, JobStore(aws.table_name), clock.now)  # m3's 40 imported points expire
    assert holds.reserve(context, "shop", "m2", HoldRequest(hold_id="h2", points=20)).status == 201


def deliver(aws, endpoint, batches):
    spec = load_template().function(FUNCTION)
    handler = load_handler(spec)
    for shard_id, arn, records in batches:
        assert invoke(spec, handler, windowed_event(records, arn, shard_id)) == {
            "state": {},
            "batchItemFailures": [],
        }


def shards_of(aws, endpoint, size=7):
    """The stream split as DynamoDB would: each item's records in one shard, in order (here two
    shards by item key), delivered in batches of `size`."""
    arn, records = stream_records(aws, endpoint, FUNCTION)
    by_shard: dict[str, list] = {"shard-a": [], "shard-b": []}
    for record in records:
        key = record["dynamodb"]["Keys"]["PK"]["S"]
        by_shard["shard-a" if hashlib.sha256(key.encode()).digest()[0] % 2 else "shard-b"].append(record)
    return arn, {
        shard: [shard_records[i : i + size] for i in range(0, len(shard_records), size)]
        for shard, shard_records in by_shard.items()
    }


def in_order(arn, shards):
    return [(shard, arn, batch) for shard, batches in shards.items() for batch in batches]


@pytest.fixture
def endpoint(backend, request):
    return request.getfixturevalue("dynamodb_local").endpoint if backend == "dynamodb-local" else None


def summary(context):
    return reports.summary(context, "shop", *WINDOW)


def test_the_summary_adds_up_to_the_designed_ledger_and_to_the_members_balances(
    aws, context, clock, endpoint
):
    # Given a designed month of the program, delivered from the table stream
    designed_program_year(aws, context, clock)
    arn, shards = shards_of(aws, endpoint)
    deliver(aws, endpoint, in_order(arn, shards))

    # When the owner reads the summary of November and December
    body = summary(context)

    # Then every flow is the designed one
    assert body["points"] == {
        "issued": 6745,
        "issued_by_source": {"import": 145, "purchase": 6300, "signup": 300},
        "redeemed": 30,
        "expired": 40,
        "clawed_back": 100,
        "adjusted": -10,
    }
    assert (body["breakage_rate"], body["redemption_rate"]) == (0.0059, 0.0044)
    # And liability is what is left, in points and in money (100 points = 1.00 CNY)
    assert body["liability"] == {
        "points": 6565,
        "available": 6545,
        "pending": 0,
        "held": 20,
        "value": {"amount": "65.65", "currency": "CNY"},
    }
    # And it equals the sum of the members' own available + pending + held
    states = [member_state(aws.dynamodb, aws.table_name, "shop", m) for m in ("m1", "m2", "m3")]
    assert sum(s.available + s.pending + s.held for s in states) == 6565
    # And the forecast counts lots by their last day (the held 20 points are not forecast)
    assert body["expiring"] == {"next_30_days": 70, "next_90_days": 75, "next_365_days": 75}
    assert body["members"] == {
        "total": 3,
        "new": 3,
        "active": None,
        "by_tier": {"base": 2, "silver": 1, "gold": 0},
    }
    # And a window long past (read with a Query for its days and one for the state) has no flows
    # but the same liability and members
    past = reports.summary(context, "shop", date(2026, 9, 1), date(2026, 10, 1))
    assert (past["points"]["issued"], past["liability"], past["members"]["total"]) == (
        0,
        body["liability"],
        3,
    )
    assert body["purchases"] == {
        "count": 4,
        "revenue": {"amount": "6300.00", "currency": "CNY"},
        "refunds": 1,
        "refunded": {"amount": "100.00", "currency": "CNY"},
    }


def test_tiers_campaigns_and_flows_by_period(aws, context, clock, endpoint):
    designed_program_year(aws, context, clock)
    arn, shards = shards_of(aws, endpoint)
    deliver(aws, endpoint, in_order(arn, shards))

    tiers = reports.tiers(context, "shop", *WINDOW)
    assert tiers["members_by_tier"] == {"base": 2, "silver": 1, "gold": 0}
    assert tiers["movements"] == [{"from": "base", "to": "silver", "members": 1, "direction": "up"}]
    assert (tiers["ups"], tiers["downs"]) == (1, 0)

    campaigns = reports.campaigns(context, "shop", *WINDOW)
    assert campaigns["items"] == [
        {"rule_id": "base", "points": 6300, "credits": 4, "purchases": 4, "revenue": "6300.00"},
        {"rule_id": "signup", "points": 300, "credits": 3, "purchases": 0, "revenue": "0.00"},
    ]

    monthly = reports.flows(context, "shop", *WINDOW, "month")
    assert [(row["period"], row["issued"], row["expired"], row["revenue"]) for row in monthly["items"]] == [
        ("2026-11-01", 6745, 0, "6300.00"),
        ("2026-12-01", 0, 40, "0.00"),
    ]
    daily = reports.flows(context, "shop", date(2026, 11, 22), date(2026, 11, 24), "day")
    assert [row["issued"] for row in daily["items"]] == [0, 6745, 0]
    # And the liability's changes add up to the liability (6,605 on 11-23, -40 expired on 12-11)
    assert sum(row["liability_change"] for row in monthly["items"]) == 6565
    assert [row["liability_change"] for row in monthly["items"]] == [6605, -40]


def test_a_redelivered_a_reordered_and_a_crashed_stream_count_each_record_once(aws, context, clock, endpoint):
    designed_program_year(aws, context, clock)
    arn, shards = shards_of(aws, endpoint, size=5)

    # Given shard b delivered before shard a, each batch's records shuffled
    batches = [(shard, arn, batch) for shard in ("shard-b", "shard-a") for batch in shards[shard]]
    rng = random.Random(7)
    shuffled = [(shard, arn, rng.sample(batch, len(batch))) for shard, arn, batch in batches]
    # And a crash after the first transaction of a batch (one transaction per record here)
    store = ReportStore(aws.table_name)
    real_transact, calls = store.transact, {"n": 0}

    def crash_on_second(actions):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("the function died mid-batch")
        return real_transact(actions)

    import loyalty.store.report_store as report_store

    original_max = report_store.MAX_ITEMS
    report_store.MAX_ITEMS = 1
    store.transact = crash_on_second  # type: ignore[method-assign]
    shard, _, first_batch = shuffled[0]
    with pytest.raises(RuntimeError):
        count_batch(windowed_event(first_batch, arn, shard), context, store)
    report_store.MAX_ITEMS = original_max

    # When every batch is delivered (the crashed one again), then all of them a second time
    deliver(aws, endpoint, shuffled)
    once = summary(context)
    deliver(aws, endpoint, shuffled)
    deliver(aws, endpoint, in_order(arn, shards))

    # Then the figures are those of one delivery in order
    assert summary(context) == once
    assert once["liability"]["points"] == 6565
    assert once["points"]["issued"] == 6745
    assert once["members"]["total"] == 3


def test_response_to_reminders_and_birthdays_counts_each_member_who_bought_or_spent_in_time(
    aws, context, clock, endpoint
):
    from loyalty.operations.birthdays import run_birthdays
    from loyalty.operations.reminders import run_reminders

    # Given three members whose imported points expire on 12-20, reminded on 11-23 (Shanghai)
    for member_id in ("m1", "m2", "m3"):
        members.enroll(context, "shop", EnrollRequest(member_id=member_id))
        adjust(context, f"a-{member_id}", member_id, 50, source="import", expires_on=date(2026, 12, 20))
    # And m4 whose birthday it is
    members.enroll(context, "shop", EnrollRequest(member_id="m4", birthday=date(1990, 11, 23)))
    assert run_reminders(context, clock()).reminders_sent == 3
    run_birthdays(context, JobStore(aws.table_name), clock())
    # When m4 buys the next day, m1 two days later, m2 spends 12 days later and m3 does nothing
    clock.now = shanghai(date(2026, 11, 24), 12)
    buy(context, "o4", "m4", "10.00")
    clock.now = shanghai(date(2026, 11, 25), 12)
    buy(context, "o1", "m1", "10.00")
    buy(context, "o1b", "m1", "10.00")  # a second purchase answers nothing more
    clock.now = shanghai(date(2026, 12, 5), 12)
    assert holds.reserve(context, "shop", "m2", HoldRequest(hold_id="h1", points=10)).status == 201
    assert holds.capture_hold(context, "shop", "h1", CaptureRequest(order_id="o9")).status == 200
    # And the stream is delivered twice
    arn, shards = shards_of(aws, endpoint)
    deliver(aws, endpoint, in_order(arn, shards))
    deliver(aws, endpoint, in_order(arn, shards))

    # Then within 7 days 1 of 3 reminded members responded, within 30 days 2; the birthday 1 of 1
    week = reports.reminders(context, "shop", *WINDOW, 7)
    assert week["reminders"] == {"members": 3, "responded": 1, "response_rate": 0.3333}
    assert week["birthdays"] == {"members": 1, "responded": 1, "response_rate": 1.0}
    month = reports.reminders(context, "shop", *WINDOW, 30)
    assert month["reminders"] == {"members": 3, "responded": 2, "response_rate": 0.6667}
