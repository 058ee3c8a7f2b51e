"""DynamoDB round trips and consumed units per operation on DynamoDB Local (the first rows here,
spending and the rest in bench/spending.py, the scheduled runs per member in bench/scheduled.py),
and the sizes of the items an earn and a redemption write (with the units AWS's documented rules
charge for them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from bench.items import WrittenItems, written_items
from bench.meter import Meter, OperationCost
from bench.scheduled import measure_scheduled
from bench.spending import ADMIN, measure_spending
from bench.table import TABLE, TENANT, BenchTable
from loyalty.models.api import AdjustmentRequest, EnrollRequest, PurchaseRequest, RefundRequest
from loyalty.operations import adjustments, members, purchases
from loyalty.store import keys


@dataclass(frozen=True)
class OperationFigures:
    rows: list[OperationCost]
    earn_items: WrittenItems  # what a member's first earn writes
    redemption_items: WrittenItems  # what a redemption writes


def measure_operations(table: BenchTable) -> OperationFigures:
    client = table.client()
    context = table.context(client)
    meter = Meter()
    meter.attach(client)
    rows: list[OperationCost] = []

    def run(name: str, operation: Callable[[], object]) -> None:
        rows.append(OperationCost.of(name, meter.read(operation)[1]))

    purchase = PurchaseRequest(order_id="o1", member_id="m1", amount=Decimal("129.90"), currency="CNY")
    run("enroll (with signup bonus)", lambda: members.enroll(context, TENANT, EnrollRequest(member_id="m1")))
    run("earn (purchase)", lambda: purchases.record_purchase(context, TENANT, purchase))
    run("earn replay (same order id)", lambda: purchases.record_purchase(context, TENANT, purchase))
    refund = RefundRequest(refund_id="r1", amount=Decimal("29.90"))
    run("refund (partial)", lambda: purchases.refund_purchase(context, TENANT, "o1", refund))
    grant = AdjustmentRequest(adjustment_id="a1", points=50, reason="bench")
    run("adjustment (grant)", lambda: adjustments.adjust(context, ADMIN, "m1", grant))
    deduct = AdjustmentRequest(adjustment_id="a2", points=-20, reason="bench")
    run("adjustment (deduction)", lambda: adjustments.adjust(context, ADMIN, "m1", deduct))
    run("member read", lambda: members.read_member(context, TENANT, "m1"))
    run("transactions page", lambda: members.list_transactions(context, TENANT, "m1", 50, None))

    spending, redemption_items = measure_spending(context, meter, "m1")
    rows += spending
    rows += measure_scheduled(table, client, meter)

    # A second member's first earn: the items as that earn left them.
    members.enroll(context, TENANT, EnrollRequest(member_id="m2"))
    earned = purchases.record_purchase(
        context,
        TENANT,
        PurchaseRequest(order_id="o2", member_id="m2", amount=Decimal("129.90"), currency="CNY"),
    )
    member_pk = keys.member_pk(TENANT, "m2")
    earn_items = written_items(
        client,
        TABLE,
        {
            "member": {"PK": member_pk, "SK": keys.MEMBER_SK},
            "ledger entry": {"PK": member_pk, "SK": keys.entry_sk(int(earned.body["entry_id"]))},
            "operation record": {
                "PK": keys.operation_pk(TENANT, "purchase", "o2"),
                "SK": keys.OPERATION_SK,
            },
        },
    )
    return OperationFigures(rows, earn_items, redemption_items)
