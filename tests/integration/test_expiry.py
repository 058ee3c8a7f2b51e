"""The expiry run on the real table: exactly what is left of each lot past its day expires, once,
in the program's time zone, catching up on missed days, at a cost proportional to the work."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from loyalty.domain.ledger import Lot
from loyalty.models.api import AdjustmentRequest, EnrollRequest, PurchaseRequest
from loyalty.operations import adjustments, members, purchases
from loyalty.operations.context import Principal, ProgramCache
from loyalty.operations.expiry import run_expiry, run_expiry_shard, shard_job
from loyalty.store import keys
from loyalty.store.job_store import JobStore
from loyalty.store.member_store import lots_map
from loyalty.store.table import to_item
from tests.support.ledger import assert_adds_up, member_state
from tests.support.reads import items_read

ADMIN = Principal(tenant_id="shop", scope="admin", key_id="key_test")
# The clock starts 2026-11-23 12:00 UTC; the sample program keeps points 24 months, to the end of
# the month, in Asia/Shanghai: they are spendable through 2028-11-30 (local).
LAST_DAY = date(2028, 11, 30)


def shanghai(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - timedelta(hours=8)


@pytest.fixture
def jobs(aws):
    return JobStore(aws.table_name)


def enrol_and_buy(context, member_id, amount="50.00"):
    members.enroll(context, "shop", EnrollRequest(member_id=member_id))
    request = PurchaseRequest(
        order_id=f"o-{member_id}", member_id=member_id, amount=Decimal(amount), currency="CNY"
    )
    purchases.record_purchase(context, "shop", request)


def test_points_expire_the_day_after_their_last_day_in_the_programs_zone(aws, context, jobs):
    enrol_and_buy(context, "m1")

    on_last_day = run_expiry(context, jobs, shanghai(LAST_DAY, 23))
    assert on_last_day.members_expired == 0
    after = run_expiry(context, jobs, shanghai(LAST_DAY + timedelta(days=1), 0))

    assert (after.members_expired, after.points_expired) == (1, 150)
    state = member_state(aws.dynamodb, aws.table_name, "shop", "m1")
    assert (state.available, state.lots) == (0, [])
    assert [entry["type"] for entry in state.entries][-1] == "expire"
    assert_adds_up(state)


def test_running_again_for_the_same_time_changes_nothing(aws, context, jobs):
    enrol_and_buy(context, "m1")
    moment = shanghai(LAST_DAY + timedelta(days=2), 9)
    run_expiry(context, jobs, moment)
    before = member_state(aws.dynamodb, aws.table_name, "shop", "m1")

    again = run_expiry(context, jobs, moment)

    assert again.members_expired == 0
    assert member_state(aws.dynamodb, aws.table_name, "shop", "m1") == before


def test_spent_points_do_not_expire_only_what_is_left(aws, context, jobs):
    enrol_and_buy(context, "m1")
    adjustments.adjust(
        context, ADMIN, "m1", AdjustmentRequest(adjustment_id="spend", points=-120, reason="gift")
    )

    report = run_expiry(context, jobs, shanghai(LAST_DAY + timedelta(days=1), 1))

    assert report.points_expired == 30
    assert_adds_up(member_state(aws.dynamodb, aws.table_name, "shop", "m1"))


def same_shard(*candidates: str) -> tuple[str, str]:
    """Two member ids in one shard of the expiry index (a stopped walk is a stopped shard)."""
    return next(
        (a, b)
        for a in candidates
        for b in candidates
        if a < b and keys.expiry_shard("shop", a) == keys.expiry_shard("shop", b)
    )


def test_a_missed_schedule_catches_up_and_a_stopped_run_resumes(aws, context, jobs, clock):
    early, later = same_shard(*(f"m{number}" for number in range(20)))
    enrol_and_buy(context, early)
    clock.advance(days=40)  # earned in January 2027: spendable through 2029-01-31
    enrol_and_buy(context, later)
    run_expiry(context, jobs, shanghai(LAST_DAY - timedelta(days=3), 12))  # checkpoint before both

    def early_done() -> bool:  # stop half way: after the first due date, before the second
        return member_state(aws.dynamodb, aws.table_name, "shop", early).available == 0

    stopped = run_expiry(context, jobs, shanghai(date(2029, 2, 2), 12), should_stop=early_done)
    resumed = run_expiry(context, jobs, shanghai(date(2029, 2, 2), 12))
    again = run_expiry(context, jobs, shanghai(date(2029, 2, 2), 12))

    # the missed dates, weeks apart, caught up by one run that stopped half way and one that resumed
    assert (stopped.members_expired, resumed.members_expired, again.members_expired) == (1, 1, 0)
    for member in (early, later):
        assert member_state(aws.dynamodb, aws.table_name, "shop", member).available == 0


@pytest.mark.parametrize("backend", ["dynamodb-local"], indirect=True)
def test_the_run_reads_items_in_proportion_to_the_members_due(aws, context, jobs):
    # Given 20,000 lots on 10,000 members, of which 200 lots (100 members) are due
    due_day, later = date(2027, 3, 31), date(2028, 3, 31)
    requests: list[dict[str, Any]] = []
    for number in range(10_000):
        member = f"s{number}"
        first = due_day if number < 100 else later
        lots = [
            Lot(first, 5),
            Lot(first - timedelta(days=31), 5) if number < 100 else Lot(date(2028, 6, 30), 5),
        ]
        item = {
            "PK": keys.member_pk("shop", member),
            "SK": keys.MEMBER_SK,
            "tenant_id": "shop",
            "member_id": member,
            "enrolled_at": "2026-01-01T00:00:00+00:00",
            "profile": {},
            "available": 10,
            "pending": 0,
            "held": 0,
            "debt": 0,
            "version": 1,
            "lots": lots_map(lots),
            "GSI1PK": keys.expiry_index_pk(min(lot.expires_on for lot in lots), "shop", member),
            "GSI1SK": keys.member_pk("shop", member),
        }
        requests.append({"PutRequest": {"Item": to_item(item)}})
    for start in range(0, len(requests), 25):
        batch = {aws.table_name: requests[start : start + 25]}
        while batch:
            batch = aws.dynamodb.batch_write_item(RequestItems=batch).get("UnprocessedItems") or {}
    for shard in range(keys.EXPIRY_SHARDS):
        jobs.advance(shard_job(shard), due_day - timedelta(days=40))

    # When the run passes the due day
    context.programs = ProgramCache(context.tenants, 60)  # as deployed: a warm Lambda reads it once
    with items_read(context.ledger.client, context.tenants.client, jobs.client) as read:
        report = run_expiry(context, jobs, shanghai(due_day + timedelta(days=1), 2))

    # Then it expired exactly the 200 due lots, reading at most 250 items
    assert (report.members_expired, report.points_expired) == (100, 1000)
    print(f"expiry run read {sum(read)} items and {sum(read.index_keys)} index keys in {len(read)} calls")
    assert sum(read) + sum(read.index_keys) <= 250


def test_a_shard_is_walked_alone_from_its_own_checkpoint(aws, context, jobs):
    # Given two members whose points are due on the same day, in different shards
    first = "m0"
    other = next(
        f"m{n}"
        for n in range(1, 50)
        if keys.expiry_shard("shop", f"m{n}") != keys.expiry_shard("shop", first)
    )
    for member in (first, other):
        enrol_and_buy(context, member)
    moment = shanghai(LAST_DAY + timedelta(days=1), 1)

    # When only the first member's shard is walked (twice, as a redelivered message would)
    walked = run_expiry_shard(context, jobs, moment, keys.expiry_shard("shop", first))
    again = run_expiry_shard(context, jobs, moment, keys.expiry_shard("shop", first))

    # Then that member's points expired once, the other's are untouched until its shard is walked
    assert (walked.members_expired, again.members_expired) == (1, 0)
    assert member_state(aws.dynamodb, aws.table_name, "shop", other).available > 0
    assert jobs.next_date(shard_job(keys.expiry_shard("shop", other))) is None
    assert run_expiry(context, jobs, moment).members_expired == 1
    for member in (first, other):
        state = member_state(aws.dynamodb, aws.table_name, "shop", member)
        assert state.available == 0
        assert_adds_up(state)
