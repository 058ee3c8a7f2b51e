"""Idempotency records: one per natural id of an operation (T#{tenant}#OP#{kind}#{id}), holding the
request's fingerprint and the response given, written in the same transaction as the change it
records; a replay answers from it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from loyalty.store import keys
from loyalty.store.codec import JsonText, decode
from loyalty.store.table import Guarded, TableStore, delete, from_item, names, put, to_item, update, values


@dataclass(frozen=True)
class OperationRecord:
    """The idempotency record of one natural id: the request's fingerprint and the response given.

    `state` holds what later operations need of it (a purchase keeps what its refunds need)."""

    kind: str
    natural_id: str
    request_hash: str
    status: int
    body: JsonText[dict[str, Any]]
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
        item = {
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
        # On a replay the cancellation reason carries the stored record: no extra read.
        return put(self.table_name, item, "attribute_not_exists(PK)", return_old=True)

    def forget(self, tenant: str, kind: str, natural_id: str) -> Guarded:
        """An operation's record removed (an erased member's enrolment, whose stored answer holds
        its profile): a later request with that natural id is decided afresh."""
        key = {"PK": keys.operation_pk(tenant, kind, natural_id), "SK": keys.OPERATION_SK}
        return Guarded(delete(self.table_name, key))

    def update_action(self, tenant: str, change: OperationUpdate) -> dict[str, Any]:
        return update(
            self.table_name,
            {"PK": keys.operation_pk(tenant, change.kind, change.natural_id), "SK": keys.OPERATION_SK},
            "SET #state = :state, #version = :version",
            "#version = :expected",
            names("state", "version"),
            values(state=change.state, version=change.expected_version + 1, expected=change.expected_version),
        )


def operation_record(item: dict[str, Any]) -> OperationRecord:
    return decode(OperationRecord, item)
