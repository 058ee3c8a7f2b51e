"""Lambda event filtering (``FilterCriteria``) for the local pollers: which records reach the function.

Lambda drops the records that match none of the source's filter patterns before invoking. A
pattern uses EventBridge's pattern syntax against the record as Lambda sees it (for DynamoDB
Streams: ``eventName``, ``dynamodb.NewImage.<attr>.S``...). Supported here: exact values,
``prefix``, ``suffix``, ``equals-ignore-case``, ``anything-but``, ``exists`` and ``numeric``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

_MISSING = object()


def record_passes(patterns: Sequence[str], record: dict[str, Any]) -> bool:
    """True when there are no patterns, or the record matches at least one."""
    return not patterns or any(matches(json.loads(pattern), record) for pattern in patterns)


def matches(pattern: Any, value: Any) -> bool:
    if isinstance(pattern, dict):
        if not isinstance(value, dict):
            return False
        return all(_field_matches(rule, value.get(key, _MISSING)) for key, rule in pattern.items())
    return _field_matches(pattern, value)


def _field_matches(rule: Any, value: Any) -> bool:
    if isinstance(rule, dict):
        return value is not _MISSING and matches(rule, value)
    if not isinstance(rule, list):
        raise ValueError(f"a filter pattern value must be a list or an object, not {rule!r}")
    return any(_one_matches(item, value) for item in rule)


def _one_matches(item: Any, value: Any) -> bool:
    if isinstance(item, dict) and set(item) == {"exists"}:
        return (value is not _MISSING) == bool(item["exists"])
    if value is _MISSING:
        return False
    candidates = value if isinstance(value, list) else [value]
    return any(_scalar_matches(item, candidate) for candidate in candidates)


def _scalar_matches(item: Any, value: Any) -> bool:
    if not isinstance(item, dict):
        return bool(item == value)
    (operator, operand), *_ = item.items()
    if operator == "prefix":
        return isinstance(value, str) and value.startswith(str(operand))
    if operator == "suffix":
        return isinstance(value, str) and value.endswith(str(operand))
    if operator == "equals-ignore-case":
        return isinstance(value, str) and value.lower() == str(operand).lower()
    if operator == "anything-but":
        excluded = operand if isinstance(operand, list) else [operand]
        return not any(_scalar_matches(other, value) for other in excluded)
    if operator == "numeric":
        return _numeric(operand, value)
    raise ValueError(f"unsupported filter operator {operator!r}")


def _numeric(conditions: list[Any], value: Any) -> bool:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    checks = {
        "=": number.__eq__,
        ">": number.__gt__,
        ">=": number.__ge__,
        "<": number.__lt__,
        "<=": number.__le__,
    }
    pairs = zip(conditions[0::2], conditions[1::2], strict=True)
    return all(bool(checks[operator](float(bound))) for operator, bound in pairs)
