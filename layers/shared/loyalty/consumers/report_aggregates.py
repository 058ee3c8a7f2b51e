"""The report aggregates, kept from the table stream (see `store.report_store` for why exactly once).

The function's event source has a tumbling window only so that Lambda names the stream shard in
each event (`shardId`): the checkpoint is per shard. Its state is not used (every invocation
writes what it counted), so the answer carries an empty one, as a windowed source requires."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from loyalty.domain.analytics import (
    MemberDay,
    StreamChange,
    answered,
    changes_to_tally,
    cue_of,
    day_sk,
    report_shard,
    response_field,
    spend_of,
)
from loyalty.errors import TenantNotFoundError, TransientError
from loyalty.observability import logger
from loyalty.operations.context import Context, default_context
from loyalty.store.report_store import CountedRecord, ReportStore, padded
from loyalty.store.table import from_item


class MissingShardError(Exception):
    """The event names no stream shard: the event source needs TumblingWindowInSeconds."""


def default_reports() -> ReportStore:
    """On the ledger's client (one client per warm Lambda)."""
    return default_context().reports


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


def count_changes(
    changes: list[StreamChange], zone_for: Callable[[str], ZoneInfo], store: ReportStore
) -> list[CountedRecord]:
    """Each change's counts, in order, with the cues it writes or answers: a member's cues are read
    once per batch and then followed in memory, so a reminder and a purchase in one batch meet."""
    cues: dict[tuple[str, str], dict[tuple[str, date], bool]] = {}

    def member_cues(who: MemberDay) -> dict[tuple[str, date], bool]:
        key = (who.tenant_id, who.member_id)
        if key not in cues:
            cues[key] = store.cues(who.tenant_id, who.member_id)
        return cues[key]

    counted = []
    for change in changes:
        tally, extra = changes_to_tally(change, zone_for), []
        sent = cue_of(change, zone_for)
        if sent is not None:
            kind, who = sent
            known = member_cues(who)
            if (kind, who.day) not in known:
                known[(kind, who.day)] = False
                extra.append(store.put_cue(who.tenant_id, who.member_id, kind, who.day))
                tally.add(
                    (who.tenant_id, report_shard(who.tenant_id, who.member_id), day_sk(who.day)),
                    f"cue|{kind}",
                    1,
                )
        spent = spend_of(change, zone_for)
        if spent is not None:
            known = member_cues(spent)
            for kind, day in answered(known, spent.day):
                known[(kind, day)] = True
                extra.append(store.answer_cue(spent.tenant_id, spent.member_id, kind, day, spent.day))
                shard = report_shard(spent.tenant_id, spent.member_id)
                tally.add(
                    (spent.tenant_id, shard, day_sk(day)), response_field(kind, (spent.day - day).days), 1
                )
        counted.append(CountedRecord(padded(change.sequence), tally, tuple(extra)))
    return counted


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
    reports = store or default_reports()
    try:
        through = reports.applied_through(stream_arn, str(shard_id))
        changes = sorted(
            (stream_change(record) for record in records), key=lambda change: padded(change.sequence)
        )
        fresh = [change for change in changes if through is None or padded(change.sequence) > through]
        reports.apply(stream_arn, str(shard_id), count_changes(fresh, zone_for, reports))
    except TransientError:
        logger.warning("report aggregates: batch not applied, the stream will retry it")
        first = min(records, key=lambda record: padded(str(record["dynamodb"]["SequenceNumber"])))
        return {"state": {}, "batchItemFailures": [{"itemIdentifier": first["dynamodb"]["SequenceNumber"]}]}
    return {"state": {}, "batchItemFailures": []}
