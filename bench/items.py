"""Item sizes as DynamoDB bills them, and the write units AWS's documented rules give for them.

DynamoDB Local reports consumed capacity, but its transaction accounting is not AWS's: a one-item
TransactWriteItems of a 100-byte item reports 4 units where AWS documents 2 (one to prepare, one
to commit, per started KB). So results.md shows both: what Local measured, and what the measured
item sizes cost under the documented rules.
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

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
