"""Benchmarks (`make bench`): DynamoDB round trips and consumed capacity per operation, measured on
DynamoDB Local, and the cold import time of each function module against a bare boto3 + client.

Writes bench/results.md. Targets live here and in the closing notes, never in timed tests.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "shared")]
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
os.environ["POWERTOOLS_TRACE_DISABLED"] = "1"

CAPACITY_OPERATIONS = {"GetItem", "BatchGetItem", "Query", "TransactWriteItems", "PutItem", "UpdateItem"}


@dataclass
class Meter:
    """Counts DynamoDB round trips and sums the capacity DynamoDB reports for them."""

    calls: list[str] = field(default_factory=list)
    read_units: float = 0.0
    write_units: float = 0.0

    def attach(self, client: Any) -> None:
        client.meta.events.register("provide-client-params.dynamodb.*", self._ask_for_capacity)
        client.meta.events.register("after-call.dynamodb.*", self._count)

    def _ask_for_capacity(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in CAPACITY_OPERATIONS:
            params.setdefault("ReturnConsumedCapacity", "TOTAL")

    def _count(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls.append(model.name)
        consumed = parsed.get("ConsumedCapacity") or []
        for capacity in consumed if isinstance(consumed, list) else [consumed]:
            self.read_units += capacity.get("ReadCapacityUnits", 0) or 0
            self.write_units += capacity.get("WriteCapacityUnits", 0) or 0
            if not capacity.get("ReadCapacityUnits") and not capacity.get("WriteCapacityUnits"):
                # TOTAL without a split: reads report only CapacityUnits
                units = capacity.get("CapacityUnits", 0) or 0
                if model.name in {"GetItem", "BatchGetItem", "Query"}:
                    self.read_units += units
                else:
                    self.write_units += units

    def reset(self) -> None:
        self.calls.clear()
        self.read_units = self.write_units = 0.0


def measure_operations() -> list[tuple[str, int, float, float, str]]:
    import boto3

    from infra.dynamodb_local import DynamoDBLocal
    from infra.template_model import load_template
    from loyalty.models.api import AdjustmentRequest, EnrollRequest, PurchaseRequest, RefundRequest
    from loyalty.models.program import default_program
    from loyalty.operations import adjustments, members, purchases
    from loyalty.operations.context import Context, Principal, ProgramCache
    from loyalty.store.ledger_store import LedgerStore
    from loyalty.store.tenant_store import TenantStore

    rows: list[tuple[str, int, float, float, str]] = []
    with DynamoDBLocal() as server:
        client = boto3.client("dynamodb", endpoint_url=server.endpoint)
        spec = next(table for table in load_template().tables if table.logical_id == "LoyaltyTable")
        client.create_table(TableName="bench", **spec.create_table_kwargs)
        tenants = TenantStore("bench", client)
        tenants.create_tenant("bench", "Bench", default_program(), [], datetime.now(UTC))
        context = Context(
            ledger=LedgerStore("bench", client), tenants=tenants, programs=ProgramCache(tenants, 300)
        )
        context.programs.get("bench")  # a warm Lambda has the program cached
        meter = Meter()
        meter.attach(client)
        admin = Principal("bench", "admin", "key_bench")

        def run(name: str, operation: Callable[[], object]) -> None:
            meter.reset()
            operation()
            rows.append(
                (name, len(meter.calls), meter.read_units, meter.write_units, " + ".join(meter.calls))
            )

        purchase = PurchaseRequest(order_id="o1", member_id="m1", amount=Decimal("129.90"), currency="CNY")
        run(
            "enroll (with signup bonus)",
            lambda: members.enroll(context, "bench", EnrollRequest(member_id="m1")),
        )
        run("earn (purchase)", lambda: purchases.record_purchase(context, "bench", purchase))
        run("earn replay (same order id)", lambda: purchases.record_purchase(context, "bench", purchase))
        refund = RefundRequest(refund_id="r1", amount=Decimal("29.90"))
        run("refund (partial)", lambda: purchases.refund_purchase(context, "bench", "o1", refund))
        grant = AdjustmentRequest(adjustment_id="a1", points=50, reason="bench")
        run("adjustment (grant)", lambda: adjustments.adjust(context, admin, "m1", grant))
        deduct = AdjustmentRequest(adjustment_id="a2", points=-20, reason="bench")
        run("adjustment (deduction)", lambda: adjustments.adjust(context, admin, "m1", deduct))
        run("member read", lambda: members.read_member(context, "bench", "m1"))
        run("transactions page", lambda: members.list_transactions(context, "bench", "m1", 50, None))
    return rows


def _import_seconds(statement: str) -> float:
    code = (
        "import sys, time; sys.path[:0] = [{root!r}, {layer!r}]; start = time.perf_counter(); {statement}; "
        "print(time.perf_counter() - start)"
    ).format(root=str(ROOT), layer=str(ROOT / "layers" / "shared"), statement=statement)
    output = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT
    )
    return float(output.stdout.strip().splitlines()[-1])


def measure_imports(runs: int = 7) -> list[tuple[str, float, float]]:
    bare = "import boto3; boto3.client('dynamodb')"
    baseline = statistics.median(_import_seconds(bare) for _ in range(runs))
    rows = [("bare `import boto3` + DynamoDB client", baseline, 1.0)]
    for function in ("earn", "members", "admin", "authorizer", "event_publisher"):
        statement = f"import functions.{function}.app; import boto3; boto3.client('dynamodb')"
        median = statistics.median(_import_seconds(statement) for _ in range(runs))
        rows.append((f"functions/{function} (+ its DynamoDB client)", median, median / baseline))
    return rows


def main() -> None:
    started = time.perf_counter()
    operations = measure_operations()
    imports = measure_imports()
    lines = [
        "# Benchmark results",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, by `make bench` ({time.perf_counter() - started:.0f} s).",
        "",
        "## DynamoDB per operation (DynamoDB Local 1.25, `ReturnConsumedCapacity=TOTAL`, warm program cache)",
        "",
        "| operation | round trips | read units | write units | calls |",
        "|---|---:|---:|---:|---|",
        *[
            f"| {name} | {calls} | {reads:g} | {writes:g} | {detail} |"
            for name, calls, reads, writes, detail in operations
        ],
        "",
        "Targets (issue 7): earn at most 2 round trips and 6 write units.",
        "",
        "## Cold import (median of 7 fresh interpreters, module import + first DynamoDB client)",
        "",
        "| module | seconds | ratio to bare boto3 + client |",
        "|---|---:|---:|",
        *[f"| {name} | {seconds:.3f} | {ratio:.2f} |" for name, seconds, ratio in imports],
        "",
        "Target (issue 7): at most 1.3x bare boto3 + client.",
        "",
    ]
    (ROOT / "bench" / "results.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
