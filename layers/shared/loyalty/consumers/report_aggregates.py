"""The report aggregates, kept from the table stream (see `store.report_store` for why exactly once).

The function's event source has a tumbling window only so that Lambda names the stream shard in
each event (`shardId`): the checkpoint is per shard. Its state is not used (every invocation
writes what it counted), so the answer carries an empty one, as a windowed source requires."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from loyalty.domain.analytics import StreamChange, changes_to_tally
from loyalty.errors import TenantNotFoundError, TransientError
from loyalty.observability import logger
from loyalty.operations.context import Context, default_context
from loyalty.store.report_store import CountedRecord, ReportStore, padded
from loyalty.store.table import from_item


class MissingShardError(Exception):
    """The event names no stream shard: the event source needs TumblingWindowInSeconds."""


def default_reports() -> ReportStore:
    """On the ledger's client (one client per warm Lambda)."""
    ledger = default_context().ledger
    return ReportStore(ledger.table_name, ledger.client)


def stream_change(record: Mapping[str, Any]) -> StreamChange:
    body = record.get("dynamodb") or {}
    new, old = body.get("NewImage"), body.get("OldImage")
    return StreamChange(
        sequence=str(body["SequenceNumber"]),
        event_name=str(record.get("eventName")),
        new=from_item(new) if new else None,
        old=from_item(old) if old else None,
        at=datetime.fromtimestamp(float(body.get("ApproximateCreationDateTime") or 0), UTC),
    )


def zones(context: Context) -> Callable[[str], ZoneInfo]:
    def zone_for(tenant_id: str) -> ZoneInfo:
        try:
            return ZoneInfo(context.programs.get(tenant_id).timezone)
        except TenantNotFoundError:
            return ZoneInfo("UTC")

    return zone_for


def count_batch(
    event: Mapping[str, Any], context: Context | None = None, store: ReportStore | None = None
) -> dict[str, Any]:
    """Count one stream batch into the aggregates; the answer Lambda expects of a windowed source."""
    records = list(event.get("Records") or [])
    if not records:
        return {"state": {}, "batchItemFailures": []}
    shard_id = event.get("shardId")
    if not shard_id:
        raise MissingShardError("the stream event names no shardId: set TumblingWindowInSeconds")
    stream_arn = str(event.get("eventSourceARN") or records[0]["eventSourceARN"])
    zone_for = zones(context or default_context())
    counted = []
    for record in records:
        change = stream_change(record)
        counted.append(CountedRecord(padded(change.sequence), changes_to_tally(change, zone_for)))
    try:
        (store or default_reports()).apply(stream_arn, str(shard_id), counted)
    except TransientError:
        logger.warning("report aggregates: batch not applied, the stream will retry it")
        first = min(records, key=lambda record: padded(str(record["dynamodb"]["SequenceNumber"])))
        return {"state": {}, "batchItemFailures": [{"itemIdentifier": first["dynamodb"]["SequenceNumber"]}]}
    return {"state": {}, "batchItemFailures": []}
