"""Counts DynamoDB round trips and the capacity DynamoDB reports for them (a botocore hook)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CAPACITY_OPERATIONS = {"GetItem", "BatchGetItem", "Query", "TransactWriteItems", "PutItem", "UpdateItem"}
READS = {"GetItem", "BatchGetItem", "Query"}


@dataclass
class Meter:
    """Asks every call for `ReturnConsumedCapacity=TOTAL` and sums what comes back."""

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
                if model.name in READS:
                    self.read_units += units
                else:
                    self.write_units += units

    def reset(self) -> None:
        self.calls.clear()
        self.read_units = self.write_units = 0.0
