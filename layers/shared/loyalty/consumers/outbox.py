"""The table stream as an outbox: every committed ledger entry and enrolment becomes an event.

Because the event is derived from what the transaction committed, a function that dies right
after its write loses no event; a record that cannot be published raises, so the stream retries
it (and only it) through the partial batch response."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from loyalty.events import event_for_item
from loyalty.settings import get_settings
from loyalty.store.messaging import EventBus


class PublishError(Exception):
    """EventBridge refused the event; the stream will deliver the record again."""


@lru_cache(maxsize=1)
def default_bus() -> EventBus:
    return EventBus(get_settings().event_bus_name)


def publish_record(record: DynamoDBRecord, bus: EventBus | None = None) -> None:
    if record.dynamodb is None or not record.dynamodb.new_image:
        return
    event = event_for_item(plain_image(record.dynamodb.new_image))
    if event is None:
        return
    if (bus or default_bus()).publish([event]):
        raise PublishError(f"EventBridge refused {event['detail-type']} {event['detail']['event_id']}")


def plain_image(image: dict[str, Any]) -> dict[str, Any]:
    """A stream image as the store reads items: every number we store is an integer."""
    return {key: _number(value) for key, value in image.items()}


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, dict):
        return plain_image(value)
    return value
