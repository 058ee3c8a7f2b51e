"""Fault injection at the botocore layer: throttles, transaction conflicts, lost responses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError, ReadTimeoutError

from loyalty.operations.context import default_context


def throttling(operation: str) -> ClientError:
    return ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, operation)


def transaction_conflict(items: int) -> ClientError:
    reasons = [{"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}] * items
    error = {"Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}}
    return ClientError({**error, "CancellationReasons": reasons}, "TransactWriteItems")


@contextmanager
def before_call(operation: str, fault: Callable[[dict[str, Any]], Exception | None]) -> Iterator[list[int]]:
    """Raise `fault(params)` (when not None) before the call reaches DynamoDB. Yields a call counter.

    `params` is the serialised request botocore is about to send (its JSON is in params["body"])."""
    events = default_context().ledger.client.meta.events
    calls: list[int] = []

    def hook(params: dict[str, Any], **_: Any) -> None:
        calls.append(1)
        error = fault(params)
        if error is not None:
            raise error

    events.register(f"before-call.dynamodb.{operation}", hook)
    try:
        yield calls
    finally:
        events.unregister(f"before-call.dynamodb.{operation}", hook)


@contextmanager
def lose_response_once(operation: str) -> Iterator[list[int]]:
    """The call commits, then the caller hears a timeout: the crash-after-commit case."""
    events = default_context().ledger.client.meta.events
    lost: list[int] = []

    def hook(http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
        if not lost and http_response.status_code == 200:
            lost.append(1)
            raise ReadTimeoutError(endpoint_url="dynamodb")

    events.register(f"after-call.dynamodb.{operation}", hook)
    try:
        yield lost
    finally:
        events.unregister(f"after-call.dynamodb.{operation}", hook)
