"""DynamoDB round trips and consumed units per operation on DynamoDB Local, and the sizes of the
three items an earn writes (with the units AWS's documented rules charge for them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from bench.items import item_size, write_units
from bench.meter import Meter
from bench.table import TABLE, TENANT, BenchTable
from loyalty.models.api import AdjustmentRequest, EnrollRequest, PurchaseRequest, RefundRequest
from loyalty.operations import adjustments, members, purchases
from loyalty.operations.context import Principal
from loyalty.store import keys
from loyalty.store.table import to_item


@dataclass(frozen=True)
class OperationCost:
    name: str
    round_trips: int
    read_units: float
    write_units: float
    calls: str


@dataclass(frozen=True)
class EarnItems:
    """The items one earn writes, sized as DynamoDB bills them."""

    sizes: dict[str, int]  # item -> bytes
    indexed: tuple[str, ...]  # items the (ALL-projected) expiry index GSI1 also stores

    @property
    def table_units(self) -> int:
        return sum(write_units(size, transactional=True) for size in self.sizes.values())

    @property
    def index_units(self) -> int:
        return sum(write_units(self.sizes[name]) for name in self.indexed)


def measure_operations(table: BenchTable) -> tuple[list[OperationCost], EarnItems]:
    client = table.client()
    context = table.context(client)
    meter = Meter()
    meter.attach(client)
    admin = Principal(TENANT, "admin", "key_bench")
    rows: list[OperationCost] = []

    def run(name: str, operation: Callable[[], object]) -> None:
        meter.reset()
        operation()
        rows.append(
            OperationCost(
                name, len(meter.calls), meter.read_units, meter.write_units, " + ".join(meter.calls)
            )
        )

    purchase = PurchaseRequest(order_id="o1", member_id="m1", amount=Decimal("129.90"), currency="CNY")
    run("enroll (with signup bonus)", lambda: members.enroll(context, TENANT, EnrollRequest(member_id="m1")))
    run("earn (purchase)", lambda: purchases.record_purchase(context, TENANT, purchase))
    run("earn replay (same order id)", lambda: purchases.record_purchase(context, TENANT, purchase))
    refund = RefundRequest(refund_id="r1", amount=Decimal("29.90"))
    run("refund (partial)", lambda: purchases.refund_purchase(context, TENANT, "o1", refund))
    grant = AdjustmentRequest(adjustment_id="a1", points=50, reason="bench")
    run("adjustment (grant)", lambda: adjustments.adjust(context, admin, "m1", grant))
    deduct = AdjustmentRequest(adjustment_id="a2", points=-20, reason="bench")
    run("adjustment (deduction)", lambda: adjustments.adjust(context, admin, "m1", deduct))
    run("member read", lambda: members.read_member(context, TENANT, "m1"))
    run("transactions page", lambda: members.list_transactions(context, TENANT, "m1", 50, None))

    # A second member's first earn: the items as that earn left them.
    members.enroll(context, TENANT, EnrollRequest(member_id="m2"))
    earned = purchases.record_purchase(
        context,
        TENANT,
        PurchaseRequest(order_id="o2", member_id="m2", amount=Decimal("129.90"), currency="CNY"),
    )
    member_pk = keys.member_pk(TENANT, "m2")
    wanted = {
        "member": {"PK": member_pk, "SK": keys.MEMBER_SK},
        "ledger entry": {"PK": member_pk, "SK": keys.entry_sk(int(earned.body["entry_id"]))},
        "operation record": {"PK": keys.operation_pk(TENANT, "purchase", "o2"), "SK": keys.OPERATION_SK},
    }
    sizes = {
        name: item_size(client.get_item(TableName=TABLE, Key=to_item(key), ConsistentRead=True)["Item"])
        for name, key in wanted.items()
    }
    return rows, EarnItems(sizes=sizes, indexed=("member",))
