"""The DynamoDB client, item (de)serialisation and transaction outcome parsing."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import ClientError

from loyalty.errors import TransientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

# Standard retry mode retries throttling with backoff; TransactionConflict inside a cancelled
# transaction is not retried by botocore, the operations layer retries those itself.
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=3, read_timeout=10)


def make_client() -> DynamoDBClient:
    """A client honouring AWS_ENDPOINT_URL(_DYNAMODB), which is how local stacks point us elsewhere."""
    return boto3.client("dynamodb", config=CLIENT_CONFIG)


class TableStore:
    """A store over the one table: its name, and a client made on first use (then kept for the
    warm Lambda), or one given (tests, benchmarks)."""

    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self.table_name = table_name
        self._client = client

    @property
    def client(self) -> DynamoDBClient:
        if self._client is None:
            self._client = make_client()
        return self._client

    def transact(self, actions: Sequence[Mapping[str, Any]]) -> Cancellation | None:
        """One TransactWriteItems. None when it committed; why it was cancelled (per item, in the
        order sent) when a condition or a race stopped it; TransientError for throttling and
        service errors, which are worth retrying later."""
        try:
            self.client.transact_write_items(TransactItems=cast(Any, list(actions)))
        except ClientError as error:
            cancelled = cancellation(error)
            if cancelled is None:
                raise_if_transient(error)
                raise
            return cancelled
        return None

    def put_once(self, item: dict[str, Any]) -> bool:
        """Put an item that may exist only once (a notice sent, a new webhook); False when it
        already does."""
        try:
            self.client.put_item(
                TableName=self.table_name, Item=to_item(item), ConditionExpression="attribute_not_exists(PK)"
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def read_item(self, pk: str, sk: str) -> dict[str, Any] | None:
        """One item by key, read consistently, as plain values; None when there is none."""
        response = self.client.get_item(
            TableName=self.table_name, Key=to_item({"PK": pk, "SK": sk}), ConsistentRead=True
        )
        item = response.get("Item")
        return from_item(item) if item else None

    def index_items(
        self, index: str, condition: str, condition_values: dict[str, Any]
    ) -> Iterator[dict[str, Any]]:
        """The items a keys-only index names, page by page, each page read back from the table
        consistently in one batch (the index itself is eventually consistent and holds no more
        than keys, so a posting never writes to it)."""
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": condition_values,
            "Limit": 100,  # BatchGetItem's limit: one page, one batch
        }
        for page in self.query_pages(request):
            yield from self.read_items([{"PK": item["PK"], "SK": item["SK"]} for item in page])

    def query_pages(self, request: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
        """Every page of one Query (raw items), following LastEvaluatedKey to the end."""
        request = {"TableName": self.table_name, **request}
        while True:
            response = self.client.query(**request)
            yield response.get("Items", [])
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def query_page(
        self, pk: str, prefix: str, limit: int, after: str | None, *, consistent: bool = True
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of a list: the items (plain values) under `pk` whose sort key is `prefix` +
        an id, in id order, after the id `after`; and the id to continue after, when more follow.
        `after` only ever names a key under this same `pk` and `prefix` (another tenant's list
        is another partition)."""
        request: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": values(pk=pk, prefix=prefix),
            "ConsistentRead": consistent,
            "Limit": limit + 1,  # one more than asked tells whether another page follows
        }
        if after is not None:
            request["ExclusiveStartKey"] = to_item({"PK": pk, "SK": prefix + after})
        items: list[dict[str, Any]] = []
        for raw in self.query_pages(request):  # a 1 MB response may hold fewer than asked
            items.extend(from_item(item) for item in raw)
            if len(items) > limit:
                break
        shown = items[:limit]
        return shown, (str(shown[-1]["SK"])[len(prefix) :] if len(items) > limit else None)

    def query_all(self, request: dict[str, Any]) -> list[dict[str, Any]]:
        """Every item of one Query, as plain values (for the few-item partitions read whole)."""
        return [from_item(item) for page in self.query_pages(request) for item in page]

    def read_items(self, item_keys: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Up to 100 items by key (raw), read consistently; those that no longer exist are absent."""
        request: dict[str, Any] = (
            {self.table_name: {"Keys": item_keys, "ConsistentRead": True}} if item_keys else {}
        )
        for _ in range(10):
            if not request:
                return
            response = self.client.batch_get_item(RequestItems=request)
            yield from response.get("Responses", {}).get(self.table_name, [])
            request = dict(response.get("UnprocessedKeys") or {})
        raise TransientError("batch read left keys unprocessed")


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _serializer.serialize(value) for key, value in values.items() if value is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _plain(_deserializer.deserialize(value)) for key, value in item.items()}


def _plain(value: Any) -> Any:
    # DynamoDB numbers arrive as Decimal, at every depth of a map or list; every number we store
    # is an integer (points, versions, weights), so a read gives plain JSON-ready values.
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, dict):
        return {key: _plain(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_plain(inner) for inner in value]
    return value


def pick(item: Mapping[str, Any], *required: str, optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """Attributes of an item as a record's keyword arguments: `required` ones must be there."""
    return {name: item[name] for name in required} | {name: item.get(name) for name in optional}


def values(**named: Any) -> dict[str, Any]:
    """ExpressionAttributeValues from keyword arguments: values(available=3) -> {":available": ...}."""
    return {f":{name}": _serializer.serialize(value) for name, value in named.items()}


def names(*attributes: str) -> dict[str, str]:
    return {f"#{attribute}": attribute for attribute in attributes}


def put(
    table: str,
    item: Mapping[str, Any],
    condition: str | None = None,
    attribute_names: Mapping[str, str] | None = None,
    attribute_values: Mapping[str, Any] | None = None,
    *,
    return_old: bool = False,
) -> dict[str, Any]:
    """A TransactWriteItems Put of `item` (plain values), written only if `condition` holds;
    `return_old`: a failed condition returns the stored item (what a refusal reads)."""
    return {
        "Put": {
            "TableName": table,
            "Item": to_item(item),
            **_guard(condition, attribute_names, attribute_values, return_old),
        }
    }


def update(
    table: str,
    key: Mapping[str, Any],
    expression: str,
    condition: str | None = None,
    attribute_names: Mapping[str, str] | None = None,
    attribute_values: Mapping[str, Any] | None = None,
    *,
    return_old: bool = False,
) -> dict[str, Any]:
    """A TransactWriteItems Update of the item under `key` (plain values) by `expression`, only
    if `condition` holds (names and values as `names()` and `values()` give them)."""
    return {
        "Update": {
            "TableName": table,
            "Key": to_item(key),
            "UpdateExpression": expression,
            **_guard(condition, attribute_names, attribute_values, return_old),
        }
    }


def delete(table: str, key: Mapping[str, Any], condition: str | None = None) -> dict[str, Any]:
    """A TransactWriteItems Delete of the item under `key` (plain values), only if `condition` holds."""
    return {"Delete": {"TableName": table, "Key": to_item(key), **_guard(condition, None, None, False)}}


def _guard(
    condition: str | None,
    attribute_names: Mapping[str, str] | None,
    attribute_values: Mapping[str, Any] | None,
    return_old: bool,
) -> dict[str, Any]:
    # DynamoDB refuses empty maps of names or values: what is not given is left out.
    guard: dict[str, Any] = {}
    if condition is not None:
        guard["ConditionExpression"] = condition
    if attribute_names:
        guard["ExpressionAttributeNames"] = dict(attribute_names)
    if attribute_values:
        guard["ExpressionAttributeValues"] = dict(attribute_values)
    if return_old:
        guard["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    return guard


@dataclass(frozen=True)
class Guarded:
    """One more item written with a posting (stock, a limit counter, a hold, a redemption record).

    Its store builds `action` (a TransactWriteItems element). When its condition fails, `refusal`
    is given the stored item (if the action returns it) and answers the business error to raise,
    or None for "changed meanwhile": re-read and retry."""

    action: dict[str, Any]
    refusal: Callable[[dict[str, Any] | None], Exception | None] = lambda stored: None


@dataclass(frozen=True)
class Cancellation:
    """Why a TransactWriteItems was cancelled, per item, in the order the items were sent."""

    codes: list[str]
    items: list[dict[str, Any] | None]

    def failed_condition(self, index: int) -> bool:
        return index < len(self.codes) and self.codes[index] == "ConditionalCheckFailed"

    @property
    def conflict_or_throttle(self) -> bool:
        return any(
            code in {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}
            for code in self.codes
        )


def cancellation(error: ClientError) -> Cancellation | None:
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return None
    reasons: Sequence[Mapping[str, Any]] = error.response.get("CancellationReasons", [])
    return Cancellation(
        codes=[str(reason.get("Code", "None")) for reason in reasons],
        items=[from_item(reason["Item"]) if reason.get("Item") else None for reason in reasons],
    )


TRANSIENT_CODES = {
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionInProgressException",
}


def raise_if_transient(error: ClientError) -> None:
    if error.response.get("Error", {}).get("Code") in TRANSIENT_CODES:
        raise TransientError(str(error)) from error
