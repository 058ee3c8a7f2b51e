"""Counting the items DynamoDB hands back to a client (a botocore hook), for the tests that pin
what a scheduled run reads."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def items_read(*clients: Any) -> Iterator[list[int]]:
    """Yields a list that gets, per call on any of the clients, how many items it returned
    (queries, gets, batch gets): pass every store's client, so nothing read goes uncounted."""
    read: list[int] = []

    def count_items(parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in ("Query", "Scan"):
            read.append(len(parsed.get("Items", [])))
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
