"""Idempotency records: one per natural id of an operation (T#{tenant}#OP#{kind}#{id}), holding the
request's fingerprint and the response given, written in the same transaction as the change it
records; a replay answers from it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from loyalty.store import keys
from loyalty.store.table import Guarded, TableStore, from_item, names, to_item, values


@dataclass(frozen=True)
class OperationRecord:
    """The idempotency record of one natural id: the request's fingerprint and the response given.

    `state` holds what later operations need of it (a purchase keeps what its refunds need)."""

    kind: str
    natural_id: str
    request_hash: str
    status: int
    body: dict[str, Any]
    state: dict[str, Any] = field(default_factory=dict)
    version: int = 1
    kept_until: datetime | None = None  # deleted by the table's TTL after this (None: kept for ever)


@dataclass(frozen=True)
class OperationUpdate:
    """A change to the state of an earlier operation, guarded by its version (refunds of a purchase)."""

    kind: str
    natural_id: str
    expected_version: int
    state: dict[str, Any]


class IdempotencyStore(TableStore):
    def read_operation(self, tenant_id: str, kind: str, natural_id: str) -> OperationRecord | None:
        item = self.read_item(keys.operation_pk(tenant_id, kind, natural_id), keys.OPERATION_SK)
        return operation_record(item) if item else None

    def read_operations(self, tenant_id: str, *wanted: tuple[str, str]) -> list[OperationRecord | None]:
        """Operation records by (kind, natural id), in one round trip, in the order asked."""
        partitions = [keys.operation_pk(tenant_id, kind, natural_id) for kind, natural_id in wanted]
        found = {
            item["PK"]: operation_record(item)
            for item in map(
                from_item,
                self.read_items([to_item({"PK": pk, "SK": keys.OPERATION_SK}) for pk in partitions]),
            )
        }
        return [found.get(pk) for pk in partitions]

    def put_action(self, tenant: str, operation: OperationRecord, now: datetime) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self.table_name,
                "Item": to_item(
                    {
                        "PK": keys.operation_pk(tenant, operation.kind, operation.natural_id),
                        "SK": keys.OPERATION_SK,
                        "kind": operation.kind,
                        "natural_id": operation.natural_id,
                        "request_hash": operation.request_hash,
                        "status": operation.status,
                        "body": json.dumps(operation.body, separators=(",", ":")),
                        "state": operation.state or None,
                        "version": operation.version,
                        "created_at": now.isoformat(),
                        "ttl_epoch": int(operation.kept_until.timestamp()) if operation.kept_until else None,
                    }
                ),
                "ConditionExpression": "attribute_not_exists(PK)",
                # On a replay the cancellation reason carries the stored record: no extra read.
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    def forget(self, tenant: str, kind: str, natural_id: str) -> Guarded:
        """An operation's record removed (an erased member's enrolment, whose stored answer holds
        its profile): a later request with that natural id is decided afresh."""
        key = {"PK": keys.operation_pk(tenant, kind, natural_id), "SK": keys.OPERATION_SK}
        return Guarded({"Delete": {"TableName": self.table_name, "Key": to_item(key)}})

    def update_action(self, tenant: str, update: OperationUpdate) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": to_item(
                    {"PK": keys.operation_pk(tenant, update.kind, update.natural_id), "SK": keys.OPERATION_SK}
                ),
                "UpdateExpression": "SET #state = :state, #version = :version",
                "ConditionExpression": "#version = :expected",
                "ExpressionAttributeNames": names("state", "version"),
                "ExpressionAttributeValues": values(
                    state=update.state, version=update.expected_version + 1, expected=update.expected_version
                ),
            }
        }


def operation_record(item: dict[str, Any]) -> OperationRecord:
    return OperationRecord(
        kind=item["kind"],
        natural_id=item["natural_id"],
        request_hash=item["request_hash"],
        status=item["status"],
        body=json.loads(item["body"]),
        state=dict(item.get("state") or {}),
        version=item.get("version", 1),
    )
