"""Counting the items DynamoDB hands back to a client (a botocore hook), for the tests that pin
what a scheduled run reads."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Reads(list[int]):
    """Per call, how many items it returned; index entries that carry only keys (a keys-only
    index's page, read back from the table afterwards) are counted apart, in `index_keys`."""

    def __init__(self) -> None:
        super().__init__()
        self.index_keys: list[int] = []


def _keys_only(item: dict[str, Any]) -> bool:
    return all(name in ("PK", "SK") or re.fullmatch(r"GSI\d+(PK|SK)", name) for name in item)


@contextmanager
def items_read(*clients: Any) -> Iterator[Reads]:
    """Yields a `Reads` that gets, per call on any of the clients, how many items it returned
    (queries, gets, batch gets): pass every store's client, so nothing read goes uncounted."""
    read = Reads()

    def count_items(parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in ("Query", "Scan"):
            items = parsed.get("Items", [])
            read.index_keys.append(sum(map(_keys_only, items)))
            read.append(len(items) - read.index_keys[-1])
        elif model.name == "GetItem":
            read.append(1 if parsed.get("Item") else 0)
        elif model.name == "BatchGetItem":
            read.append(sum(len(items) for items in parsed.get("Responses", {}).values()))

    for client in clients:
        client.meta.events.register("after-call.dynamodb.*", count_items)
    try:
        yield read
    finally:
        for client in clients:
            client.meta.events.unregister("after-call.dynamodb.*", count_items)
