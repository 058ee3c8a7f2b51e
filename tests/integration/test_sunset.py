"""A program's sunset on the real table: purchases and activities after the last earning day are
recorded and earn nothing (with the reason), members with points get each notice once, and after
the last redeeming day the expiry run takes everything left with a `sunset` entry, found through
the tenant's members (not the expiry index), exactly once, whether it runs twice or stops half way."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from loyalty.errors import InvalidRequestError, ProgramEndedError
from loyalty.events import event_for_item
from loyalty.models.api import ActivityRequest, AdjustmentRequest, EnrollRequest, PurchaseRequest
from loyalty.models.program import Program, default_program
from loyalty.models.rewards import HoldRefundRequest, HoldRequest
from loyalty.operations import activities, adjustments, hold_refunds, holds, members, programs, purchases
from loyalty.operations.context import Principal
from loyalty.operations.expiry import run_expiry
from loyalty.operations.sunset import run_sunset_notices
from loyalty.store import keys
from loyalty.store.job_store import JobStore
from loyalty.store.table import from_item
from tests.support.ledger import assert_adds_up, member_state

ADMIN = Principal(tenant_id="shop", scope="admin", key_id="key_test")
# The clock starts 2026-11-23 20:00 in Shanghai.
LAST_EARNING, LAST_REDEEMING = date(2026, 12, 31), date(2027, 1, 31)


def shanghai(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - timedelta(hours=8)


@pytest.fixture
def jobs(aws):
    return JobStore(aws.table_name)


@pytest.fixture
def sunset(context):
    """Members m1 (signup points, and undated points: never in the expiry index), m2 (signup
    points), m3 (nothing left); then the program's end is published. A tenant without a sunset
    has a member too."""
    document = context.programs.get("shop", fresh=True).model_dump(mode="json")
    document["expiry"]["by_source"] = {"adjustment": {"policy": "never"}}
    programs.publish_program(context, ADMIN, Program.model_validate(document))
    for member_id in ("m1", "m2", "m3"):
        members.enroll(context, "shop", EnrollRequest(member_id=member_id))
    grant = AdjustmentRequest(adjustment_id="a-1", points=400, reason="goodwill")
    adjustments.adjust(context, ADMIN, "m1", grant)
    adjustments.adjust(context, ADMIN, "m3", AdjustmentRequest(adjustment_id="a-3", points=-100, reason="x"))
    context.tenants.create_tenant("other", "Other", default_program("Other"), [], context.clock())
    members.enroll(context, "other", EnrollRequest(member_id="m1"))
    document = context.programs.get("shop", fresh=True).model_dump(mode="json")
    document["sunset"] = {
        "last_earning_day": LAST_EARNING.isoformat(),
        "last_redeeming_day": LAST_REDEEMING.isoformat(),
        "notices": [30, 7],
    }
    programs.publish_program(context, ADMIN, Program.model_validate(document))


def state(aws, member_id, tenant="shop"):
    return member_state(aws.dynamodb, aws.table_name, tenant, member_id)


def test_a_purchase_after_the_last_earning_day_is_recorded_and_earns_nothing(aws, context, clock, sunset):
    clock.advance(days=40)  # 2027-01-02 in Shanghai
    request = PurchaseRequest(order_id="o-late", member_id="m2", amount=Decimal("80.00"), currency="CNY")

    first = purchases.record_purchase(context, "shop", request)
    again = purchases.record_purchase(context, "shop", request)
    drive = activities.record_activity(
        context, "shop", ActivityRequest(activity_id="d-1", member_id="m2", type="test_drive")
    )

    assert (first.status, first.body["points_earned"], first.body["reason"]) == (201, 0, "program_ended")
    assert "last earning day was 2026-12-31" in first.body["explanation"][0]
    assert (again.replayed, again.body) == (True, first.body)
    assert (drive.body["points_earned"], drive.body["reason"]) == (0, "program_ended")
    after = state(aws, "m2")
    assert after.available == 100
    assert [(e["source"], e["points"], e.get("reason")) for e in after.entries[-2:]] == [
        ("purchase", 0, "program_ended"),
        ("activity", 0, "program_ended"),
    ]
    assert_adds_up(after)


def test_members_with_points_get_each_notice_once(aws, context, jobs, sunset):
    thirty = run_sunset_notices(context, jobs, shanghai(LAST_REDEEMING - timedelta(days=30), 9))
    thirty_again = run_sunset_notices(context, jobs, shanghai(LAST_REDEEMING - timedelta(days=29), 9))
    seven = run_sunset_notices(context, jobs, shanghai(LAST_REDEEMING - timedelta(days=7), 9))

    assert (thirty.notices_sent, thirty_again.notices_sent, seven.notices_sent) == (2, 0, 2)
    notices = [item for item in _member_items(aws, "m1") if item["SK"].startswith("SUNSET#")]
    events = [event_for_item(item) for item in notices]
    assert [(e["detail-type"], e["detail"]["days_before"], e["detail"]["points"]) for e in events] == [
        ("program.sunset_notice", 7, 500),
        ("program.sunset_notice", 30, 500),
    ]
    assert not [item for item in _member_items(aws, "m3") if item["SK"].startswith("SUNSET#")]


def test_after_the_last_redeeming_day_everything_left_expires_once_as_sunset(aws, context, jobs, sunset):
    on_last_day = run_expiry(context, jobs, shanghai(LAST_REDEEMING, 23))
    moment = shanghai(LAST_REDEEMING + timedelta(days=1), 0)
    after = run_expiry(context, jobs, moment)
    snapshot = [state(aws, member_id) for member_id in ("m1", "m2", "m3")]
    again = run_expiry(context, jobs, moment + timedelta(hours=5))

    assert on_last_day.sunset_members_expired == 0
    assert (after.sunset_members_expired, after.sunset_points_expired) == (2, 600)
    assert again.sunset_members_expired == 0
    assert [state(aws, member_id) for member_id in ("m1", "m2", "m3")] == snapshot
    for member in snapshot:
        assert (member.available, member.lots) == (0, [])
        assert_adds_up(member)
    last = snapshot[0].entries[-1]
    assert (last["type"], last["points"], last["reason"]) == ("sunset", -500, "program_ended")
    assert event_for_item(last)["detail-type"] == "points.expired"
    assert state(aws, "m1", tenant="other").available == 100  # another program goes on


def test_a_sunset_run_stopped_half_way_completes_on_the_next_run(aws, context, jobs, sunset):
    moment = shanghai(LAST_REDEEMING + timedelta(days=2), 3)
    calls = iter(range(100))

    stopped = run_expiry(context, jobs, moment, should_stop=lambda: next(calls) >= 1)
    resumed = run_expiry(context, jobs, moment)

    assert stopped.sunset_members_expired + resumed.sunset_members_expired == 2
    assert stopped.sunset_points_expired + resumed.sunset_points_expired == 600
    for member_id in ("m1", "m2", "m3"):
        member = state(aws, member_id)
        assert [e["type"] for e in member.entries].count("sunset") == (member_id != "m3")
        assert member.available == 0
        assert_adds_up(member)


def test_no_grant_after_the_end(context, clock, sunset):
    clock.advance(days=70)
    with pytest.raises(InvalidRequestError):
        adjustments.adjust(
            context, ADMIN, "m2", AdjustmentRequest(adjustment_id="late", points=5, reason="x")
        )


def _member_items(aws, member_id):
    response = aws.dynamodb.query(
        TableName=aws.table_name,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": keys.member_pk("shop", member_id)}},
        ConsistentRead=True,
    )
    return [from_item(item) for item in response["Items"]]


def test_after_the_last_redeeming_day_points_cannot_be_spent(aws, context, sunset, clock):
    from loyalty.errors import ProgramEndedError
    from loyalty.models.rewards import HoldRequest
    from loyalty.operations import holds

    clock.now = shanghai(LAST_REDEEMING, 23)
    reserved = holds.reserve(context, "shop", "m1", HoldRequest(hold_id="h-in-time", points=10))
    assert reserved.status == 201

    clock.now = shanghai(LAST_REDEEMING + timedelta(days=1), 0)
    with pytest.raises(ProgramEndedError):
        holds.reserve(context, "shop", "m1", HoldRequest(hold_id="h-late", points=10))


def test_points_on_a_hold_open_at_the_sunset_expire_with_the_rest_and_the_hold_closes(
    aws, context, jobs, sunset, clock
):
    from loyalty.errors import HoldClosedError, ProgramEndedError
    from loyalty.models.rewards import CaptureRequest, HoldRequest
    from loyalty.operations import holds

    # Given m1 (500 points) puts 50 on a hold on the last redeeming day, open for two days, and
    # m2 puts all its 100 points on a hold
    clock.now = shanghai(LAST_REDEEMING, 22)
    day = 2 * 24 * 3600
    assert (
        holds.reserve(context, "shop", "m1", HoldRequest(hold_id="h-1", points=50, ttl_seconds=day)).status
        == 201
    )
    assert (
        holds.reserve(context, "shop", "m2", HoldRequest(hold_id="h-2", points=100, ttl_seconds=day)).status
        == 201
    )
    # And a capture after the last redeeming day is refused: spending ended with the program
    clock.now = shanghai(LAST_REDEEMING + timedelta(days=1), 0)
    with pytest.raises(ProgramEndedError):
        holds.capture_hold(context, "shop", "h-1", CaptureRequest(order_id="o-late"))

    # When the sunset runs (twice: the second finds nothing to do)
    after = run_expiry(context, jobs, clock.now)
    again = run_expiry(context, jobs, clock.now + timedelta(hours=5))

    # Then every point ended, the held ones included, in the one sunset entry of each member
    assert (after.sunset_members_expired, after.sunset_points_expired) == (2, 600)
    assert again.sunset_members_expired == 0
    for member_id, total, held in (("m1", 500, 50), ("m2", 100, 100)):
        member = state(aws, member_id)
        assert (member.available, member.pending, member.held, member.lots, member.held_lots) == (
            0,
            0,
            0,
            [],
            [],
        )
        assert_adds_up(member)
        last = member.entries[-1]
        assert (last["type"], last["points"], last["held"], last["reason"]) == (
            "sunset",
            -total,
            -held,
            "program_ended",
        )
        assert [e["type"] for e in member.entries].count("sunset") == 1
    assert holds.read_hold(context, "shop", "h-1").body["status"] == "released"
    # And releasing or capturing the hold afterwards gives nothing back
    with pytest.raises(HoldClosedError):
        holds.release_hold(context, "shop", "h-1")
    with pytest.raises(HoldClosedError):
        holds.capture_hold(context, "shop", "h-2", CaptureRequest(order_id="o-late"))
    clock.advance(days=3)  # and the hold's own expiry sweep finds it closed
    assert holds.sweep_expired_holds(context, clock.now).holds_released == 0
    for member_id in ("m1", "m2"):
        member = state(aws, member_id)
        assert (member.available, member.held) == (0, 0)
        assert_adds_up(member)


def test_holds_beyond_what_one_transaction_closes_are_released_first_then_expire(
    aws, context, jobs, sunset, clock, monkeypatch
):
    from loyalty.models.rewards import HoldRequest
    from loyalty.operations import holds
    from loyalty.operations import sunset as sunset_run

    # Given m1 has three open holds and the sunset's transaction closes at most one
    monkeypatch.setattr(sunset_run, "HOLDS_PER_SUNSET", 1)
    clock.now = shanghai(LAST_REDEEMING, 22)
    for index in range(3):
        request = HoldRequest(hold_id=f"h-{index}", points=10, ttl_seconds=3 * 24 * 3600)
        assert holds.reserve(context, "shop", "m1", request).status == 201

    # When the sunset runs
    after = run_expiry(context, jobs, shanghai(LAST_REDEEMING + timedelta(days=1), 1))

    # Then every hold is closed and all 500 points ended in m1's one sunset entry
    assert (after.sunset_members_expired, after.sunset_points_expired) == (2, 600)
    member = state(aws, "m1")
    assert (member.available, member.held, member.lots, member.held_lots) == (0, 0, [], [])
    assert_adds_up(member)
    assert [e["type"] for e in member.entries].count("sunset") == 1
    assert member.entries[-1]["points"] == -500
    assert {holds.read_hold(context, "shop", f"h-{i}").body["status"] for i in range(3)} == {"released"}


def test_after_the_last_redeeming_day_a_captured_holds_points_do_not_come_back(aws, context, clock, sunset):
    # Given m2's hold of 60 points captured before the end
    holds.reserve(context, "shop", "m2", HoldRequest(hold_id="h1", points=60))
    holds.capture_hold(context, "shop", "h1")
    before = state(aws, "m2")

    # When the order is refunded after the last redeeming day
    clock.now = datetime(
        LAST_REDEEMING.year, LAST_REDEEMING.month, LAST_REDEEMING.day, tzinfo=UTC
    ) + timedelta(days=2)

    # Then it is refused as the program ended, and nothing comes back
    with pytest.raises(ProgramEndedError):
        hold_refunds.refund_points(context, "shop", "h1", HoldRefundRequest(refund_id="r1", points=60))
    assert state(aws, "m2") == before


def test_a_frozen_members_withheld_points_end_in_its_sunset_entry(aws, context, jobs, sunset, clock):
    from loyalty.models.api import StatusRequest
    from loyalty.operations import risk

    # Given m2 (100 points) and m3 (nothing) frozen, each with a purchase's points withheld
    for member_id in ("m2", "m3"):
        request = StatusRequest(status="frozen", reason="fraud")
        risk.set_status(
            context,
            Principal(tenant_id="shop", scope="admin", key_id="k", request_id=member_id),
            member_id,
            request,
        )
        purchase = PurchaseRequest(
            order_id=f"o-{member_id}", member_id=member_id, amount=Decimal("40.00"), currency="CNY"
        )
        assert purchases.record_purchase(context, "shop", purchase).status == 201
    assert (state(aws, "m2").withheld, state(aws, "m3").withheld) == (40, 40)

    # When the sunset runs
    after = run_expiry(context, jobs, shanghai(LAST_REDEEMING + timedelta(days=1), 0))

    # Then the withheld points ended with the rest, in the one sunset entry, and it all adds up
    assert (after.sunset_members_expired, after.sunset_points_expired) == (3, 500 + 140 + 40)
    for member_id, total in (("m2", 140), ("m3", 40)):
        member = state(aws, member_id)
        assert (member.available, member.withheld, member.lots) == (0, 0, [])
        assert_adds_up(member)
        last = member.entries[-1]
        assert (last["type"], last["points"], last["withheld"]) == ("sunset", -total, -40)
