"""Item sizes as DynamoDB bills them, and the write units AWS's documented rules give for them.

DynamoDB Local reports consumed capacity, but its transaction accounting is not AWS's: a one-item
TransactWriteItems of a 100-byte item reports 4 units where AWS documents 2 (one to prepare, one
to commit, per started KB). So results.md shows both: what Local measured, and what the measured
item sizes cost under the documented rules.
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from infra.template_model import load_template
from loyalty.store.table import to_item

KB = 1024
TRANSACTION_FACTOR = 2  # a transactional write is two underlying writes (prepare and commit)


def attribute_size(value: dict[str, Any]) -> int:
    """The size of one AttributeValue (wire shape: {"S": ...}, {"N": ...}, {"M": {...}}, ...)."""
    (kind, content), *_ = value.items()
    if kind == "S":
        return len(content.encode())
    if kind == "N":
        digits = Decimal(content).normalize().as_tuple().digits
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(content)
    if kind in {"BOOL", "NULL"}:
        return 1
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + attribute_size(inner) for name, inner in content.items())
    if kind == "L":
        return 3 + sum(1 + attribute_size(inner) for inner in content)
    if kind == "SS":
        return sum(len(member.encode()) for member in content)
    if kind == "NS":
        return sum(attribute_size({"N": member}) for member in content)
    return sum(len(member) for member in content)  # BS


def item_size(item: dict[str, Any]) -> int:
    """Attribute names plus values, as DynamoDB counts an item against the 1 KB write unit."""
    return sum(len(name.encode()) + attribute_size(value) for name, value in item.items())


def write_units(size: int, *, transactional: bool = False) -> int:
    return math.ceil(size / KB) * (TRANSACTION_FACTOR if transactional else 1)


@dataclass(frozen=True)
class WrittenItems:
    """The items one operation writes in its transaction, sized as DynamoDB bills them."""

    sizes: dict[str, int]  # item -> bytes (an update is billed on the larger of before and after)
    indexed: dict[str, tuple[str, ...]]  # item -> the ALL-projected indexes that also store it

    @property
    def table_units(self) -> int:
        return sum(write_units(size, transactional=True) for size in self.sizes.values())

    @property
    def index_units(self) -> int:
        return sum(write_units(self.sizes[name]) * len(found) for name, found in self.indexed.items())

    @property
    def total_units(self) -> int:
        return self.table_units + self.index_units


def all_projected_indexes() -> dict[str, str]:
    """The template's ALL-projected indexes, partition key attribute -> index name: an item that
    carries the attribute is copied there on every write (a KEYS_ONLY index only when its keys
    change, which no posting does)."""
    spec = next(table for table in load_template().tables if table.logical_id == "LoyaltyTable")
    indexes = cast(list[dict[str, Any]], spec.create_table_kwargs.get("GlobalSecondaryIndexes", []))
    return {
        next(key["AttributeName"] for key in index["KeySchema"] if key["KeyType"] == "HASH"): index[
            "IndexName"
        ]
        for index in indexes
        if index["Projection"]["ProjectionType"] == "ALL"
    }


def written_items(client: Any, table: str, wanted: dict[str, dict[str, str]]) -> WrittenItems:
    """Read back (consistently) the items an operation wrote, by name -> key, and size them."""
    indexes = all_projected_indexes()
    items = {
        name: client.get_item(TableName=table, Key=to_item(key), ConsistentRead=True)["Item"]
        for name, key in wanted.items()
    }
    return WrittenItems(
        sizes={name: item_size(item) for name, item in items.items()},
        indexed={
            name: found
            for name, item in items.items()
            if (found := tuple(index for attribute, index in indexes.items() if attribute in item))
        },
    )
