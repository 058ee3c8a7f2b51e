"""The stores' records read back from their items by one decoder (declared field types): what a
store writes reads back as the same record, and items written in an older shape (attributes a
later version added are absent) still read, as they did when each store decoded by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from loyalty.domain.ledger import Lot
from loyalty.models.rewards import CouponTemplate
from loyalty.store.coupon_store import CouponRecord
from loyalty.store.export_store import BulkJob, ChunkState, ChunkStep
from loyalty.store.hold_store import HoldRecord
from loyalty.store.idempotency_store import OperationRecord
from loyalty.store.membership_store import MembershipRecord
from loyalty.store.reward_store import RedemptionRecord
from loyalty.store.tenant_store import ApiKeyRecord

NOW = datetime(2026, 12, 5, 3, 49, 20, 123456, tzinfo=UTC)
LOTS = [Lot(date(2027, 12, 31), 70), Lot(date(2028, 1, 31), 30, date(2026, 12, 20))]


def _lots_sorted(record):
    """The record with its lots in one order (a map's order is the backend's)."""
    return replace(record, lots=sorted(record.lots, key=repr))


def _put_raw(aws, item):
    aws.dynamodb.put_item(TableName=aws.table_name, Item=item)


def test_given_records_of_every_kind_when_written_and_read_back_then_each_is_the_same_record(aws, context):
    # Given a record of each kind the decoder reads, with its optional attributes set
    template = CouponTemplate.model_validate({"name": "10 off", "kind": "amount_off", "amount_off": "10.00"})
    coupon = CouponRecord("C1", "t1", template, "m1", "issued", NOW + timedelta(days=30), NOW, 100)
    redemption = RedemptionRecord(
        redemption_id="r1",
        member_id="m1",
        reward_id="mug",
        quantity=2,
        points=100,
        cash="9.90",
        currency="CNY",
        status="requested",
        lots=LOTS,
        entry_id="7",
        created_at=NOW,
        version=1,
        stock_taken=True,
    )
    hold = HoldRecord("shop", "h1", "m1", 100, "held", LOTS, NOW + timedelta(minutes=15), "o1", 1)
    membership = MembershipRecord(
        "shop", "m1", "ms1", "gold-year", "gold", date(2026, 12, 5), date(2027, 12, 5), "o2",
        Decimal("199.00"), "CNY", NOW,
    )  # fmt: skip
    job = BulkJob("shop", "export", "j1", "hash", {"format": "csv"}, "queued", 2, NOW, {"job_id": "j1"})
    operation = OperationRecord("earn", "e1", "hash", 201, {"points": 5}, {"kept": [1, 2]}, 1)
    api_key = ApiKeyRecord("k1", "shop", "server", "a" * 64, "till")

    # When each is written by its store and read back
    cancelled = context.rewards.transact(
        [
            *(guarded.action for guarded in context.coupons.put_coupon("shop", coupon, NOW)),
            context.rewards.put_redemption("shop", redemption).action,
            context.holds.put_hold(hold, NOW).action,
            context.memberships.put(membership).action,
            context.idempotency.put_action("shop", operation, NOW),
        ]
    )
    assert cancelled is None
    context.exports.create_job(job)
    step = ChunkStep(chunk=0, page=0, cursor={"after": "m9"}, rows=3, done=False)
    context.exports.commit_step("shop", "export", "j1", step, NOW)
    context.tenants.put_api_key(api_key, NOW)

    # Then each reads back as the record written, typed (dates, instants, decimals, JSON text)
    assert context.coupons.read_coupon("shop", "C1") == coupon
    assert context.coupons.member_coupons("shop", "m1", 10, None) == ([coupon], None)
    assert _lots_sorted(context.rewards.read_redemption("shop", "m1", "r1")) == _lots_sorted(redemption)
    assert _lots_sorted(context.holds.read_hold("shop", "m1", "h1")) == _lots_sorted(hold)
    assert context.memberships.read("shop", "m1", "ms1") == membership
    assert str(context.memberships.read("shop", "m1", "ms1").amount) == "199.00"
    assert context.idempotency.read_operation("shop", "earn", "e1") == operation
    read_job = context.exports.read_job("shop", "export", "j1")
    assert read_job == BulkJob(**{**job.__dict__, "status": "running", "rows": 3})
    assert context.exports.read_chunk("shop", "export", "j1", 0) == ChunkState(0, 1, {"after": "m9"}, 3)
    assert context.exports.read_chunk("shop", "export", "j1", 1) == ChunkState(1)
    assert context.tenants.read_api_key("a" * 64) == api_key


def test_given_items_written_before_later_attributes_existed_when_read_then_the_defaults_fill_in(
    aws, context
):
    # Given items in their oldest shapes: a coupon before prices and discounts, a redemption
    # before stock was noted or it was updated, a hold captured before partial captures, a job
    # not yet finished, an operation without state or version, a key without a name
    _put_raw(aws, {
        "PK": {"S": "T#shop#COUPON#C0"}, "SK": {"S": "COUPON"}, "code": {"S": "C0"},
        "template_id": {"S": "t1"}, "member_id": {"S": "m1"}, "status": {"S": "issued"},
        "document": {"S": '{"name":"old","kind":"percent_off","percent_off":5}'},
        "valid_until": {"S": "2027-01-01T00:00:00+00:00"}, "issued_at": {"S": "2026-01-01T00:00:00+00:00"},
    })  # fmt: skip
    _put_raw(aws, {
        "PK": {"S": "T#shop#M#m1"}, "SK": {"S": "REDEMPTION#r0"}, "redemption_id": {"S": "r0"},
        "member_id": {"S": "m1"}, "reward_id": {"S": "mug"}, "quantity": {"N": "1"},
        "points": {"N": "50"}, "currency": {"S": "CNY"}, "status": {"S": "requested"},
        "entry_id": {"S": "3"}, "created_at": {"S": "2026-01-01T08:00:00+08:00"}, "version": {"N": "1"},
    })  # fmt: skip
    _put_raw(aws, {
        "PK": {"S": "T#shop#M#m1"}, "SK": {"S": "HOLD#h0"}, "tenant_id": {"S": "shop"},
        "hold_id": {"S": "h0"}, "member_id": {"S": "m1"}, "points": {"N": "40"},
        "status": {"S": "captured"}, "lots": {"M": {"A#2027-12-31": {"N": "40"}}},
        "expires_at": {"S": "2026-01-01T00:15:00+00:00"}, "version": {"N": "2"},
    })  # fmt: skip
    _put_raw(aws, {
        "PK": {"S": "T#shop#OP#earn#e0"}, "SK": {"S": "OP"}, "kind": {"S": "earn"},
        "natural_id": {"S": "e0"}, "request_hash": {"S": "h"}, "status": {"N": "201"},
        "body": {"S": '{"points":1}'},
    })  # fmt: skip
    _put_raw(aws, {
        "PK": {"S": "KEY#" + "b" * 64}, "SK": {"S": "KEY"}, "key_id": {"S": "k0"},
        "tenant_id": {"S": "shop"}, "scope": {"S": "admin"},
    })  # fmt: skip

    # When they are read
    coupon = context.coupons.read_coupon("shop", "C0")
    redemption = context.rewards.read_redemption("shop", "m1", "r0")
    hold = context.holds.read_hold("shop", "m1", "h0")

    # Then what is absent takes the value it always read as
    assert coupon is not None
    assert (coupon.points_paid, coupon.order_id, coupon.discount) == (0, None, Decimal("0.00"))
    assert coupon.valid_until == datetime(2027, 1, 1, tzinfo=UTC)
    assert redemption is not None
    assert (redemption.cash, redemption.lots, redemption.stock_taken, redemption.updated_at) == (
        None, [], False, None,
    )  # fmt: skip
    assert redemption.created_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert redemption.created_at.isoformat() == "2026-01-01T08:00:00+08:00"
    assert hold is not None
    assert (hold.captured, hold.refunded, hold.order_id) == (40, 0, None)
    assert hold.lots == [Lot(date(2027, 12, 31), 40)]
    assert context.idempotency.read_operation("shop", "earn", "e0") == OperationRecord(
        "earn", "e0", "h", 201, {"points": 1}
    )
    assert context.tenants.read_api_key("b" * 64) == ApiKeyRecord("k0", "shop", "admin", "b" * 64)
