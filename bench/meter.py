"""Counts DynamoDB round trips and the capacity DynamoDB reports for them (a botocore hook), and
turns what it counted into results.md's rows (per operation, or per due member of a scheduled run)."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

CAPACITY_OPERATIONS = {"GetItem", "BatchGetItem", "Query", "TransactWriteItems", "PutItem", "UpdateItem"}
READS = {"GetItem", "BatchGetItem", "Query"}
T = TypeVar("T")


@dataclass(frozen=True)
class Reading:
    """What a stretch of work cost: its calls in order, and the units DynamoDB reported."""

    calls: tuple[str, ...]
    read_units: float
    write_units: float


@dataclass(frozen=True)
class OperationCost:
    """One row of results.md's table; round trips are fractional in per-member rows."""

    name: str
    round_trips: float
    read_units: float
    write_units: float
    calls: str

    @classmethod
    def of(cls, name: str, reading: Reading) -> OperationCost:
        return cls(name, len(reading.calls), reading.read_units, reading.write_units, describe(reading.calls))

    @classmethod
    def per_member(cls, name: str, loaded: Reading, empty: Reading, members: int) -> OperationCost:
        """What one more due member adds to a scheduled run: (the run over `members` due members
        minus the same run over none) divided by `members`."""
        extra = Counter(loaded.calls)
        extra.subtract(Counter(empty.calls))
        calls = " + ".join(
            call if count == members else f"{count / members:g}x {call}"
            for call, count in extra.items()
            if count
        )
        return cls(
            name,
            sum(extra.values()) / members,
            (loaded.read_units - empty.read_units) / members,
            (loaded.write_units - empty.write_units) / members,
            calls or "none",
        )


def describe(calls: Iterable[str]) -> str:
    """The calls in order, a repeated call once with its count: "GetItem + 8x Query"."""
    runs = [(call, len(list(group))) for call, group in itertools.groupby(calls)]
    return " + ".join(call if count == 1 else f"{count}x {call}" for call, count in runs)


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

    def read(self, work: Callable[[], T]) -> tuple[T, Reading]:
        """Run `work`: its result, and what its calls cost."""
        self.reset()
        result = work()
        return result, Reading(tuple(self.calls), self.read_units, self.write_units)

    def reset(self) -> None:
        self.calls.clear()
        self.read_units = self.write_units = 0.0
