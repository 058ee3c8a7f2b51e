"""Reads and transactional writes of members, lots, ledger entries and operation records."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

from loyalty.domain.ledger import NEVER, Account, Lot, LotCredit, LotWrite, Posting
from loyalty.errors import TransientError
from loyalty.store import keys
from loyalty.store.table import (
    cancellation,
    from_item,
    make_client,
    names,
    raise_if_transient,
    to_item,
    values,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


@dataclass(frozen=True)
class MemberRecord:
    tenant_id: str
    member_id: str
    profile: dict[str, Any]
    enrolled_at: datetime
    account: Account
    counters: dict[str, Any] = field(default_factory=dict)  # rolling figures the rules read (caps, limits)


@dataclass(frozen=True)
class Wallet:
    member: MemberRecord
    lots: list[Lot]


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


@dataclass(frozen=True)
class OperationUpdate:
    """A change to the state of an earlier operation, guarded by its version (refunds of a purchase)."""

    kind: str
    natural_id: str
    expected_version: int
    state: dict[str, Any]


@dataclass(frozen=True)
class MemberPosting:
    """Another member's balance change committed with the operation (a referrer's reward)."""

    member_id: str
    posting: Posting
    entry: dict[str, Any]
    counters: dict[str, Any] | None = None


@dataclass(frozen=True)
class PostingCommit:
    """Everything one ledger operation writes, all or nothing."""

    tenant_id: str
    member_id: str
    posting: Posting
    entry: dict[str, Any]
    operation: OperationRecord
    now: datetime
    new_member_profile: dict[str, Any] | None = None
    operation_update: OperationUpdate | None = None
    counters: dict[str, Any] | None = None  # the member's counters after this operation, when it changes them
    also: tuple[MemberPosting, ...] = ()


class ReplayError(Exception):
    """The natural id was taken by an earlier (or concurrent) operation: answer from its record."""

    def __init__(self, record: OperationRecord | None) -> None:
        super().__init__("operation already recorded")
        self.record = record


class ConcurrentChangeError(Exception):
    """Someone changed the member (or the purchase) between our read and our write: re-read, retry."""


class LedgerStore:
    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self.table_name = table_name
        self._client = client

    @property
    def client(self) -> DynamoDBClient:
        if self._client is None:
            self._client = make_client()
        return self._client

    # --- reads --------------------------------------------------------------------------------
    def read_member(self, tenant_id: str, member_id: str) -> MemberRecord | None:
        response = self.client.get_item(
            TableName=self.table_name,
            Key=to_item({"PK": keys.member_pk(tenant_id, member_id), "SK": keys.MEMBER_SK}),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return _member(from_item(item)) if item else None

    def read_operation(self, tenant_id: str, kind: str, natural_id: str) -> OperationRecord | None:
        response = self.client.get_item(
            TableName=self.table_name,
            Key=to_item({"PK": keys.operation_pk(tenant_id, kind, natural_id), "SK": keys.OPERATION_SK}),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return _operation(from_item(item)) if item else None

    def read_member_and_operation(
        self, tenant_id: str, member_id: str, kind: str, natural_id: str
    ) -> tuple[MemberRecord | None, OperationRecord | None]:
        """One round trip for the two things an earn needs before it writes."""
        member_key = {"PK": keys.member_pk(tenant_id, member_id), "SK": keys.MEMBER_SK}
        operation_key = {"PK": keys.operation_pk(tenant_id, kind, natural_id), "SK": keys.OPERATION_SK}
        request: dict[str, Any] = {
            self.table_name: {"Keys": [to_item(member_key), to_item(operation_key)], "ConsistentRead": True}
        }
        found: list[dict[str, Any]] = []
        for _ in range(10):
            response = self.client.batch_get_item(RequestItems=request)
            found.extend(from_item(item) for item in response.get("Responses", {}).get(self.table_name, []))
            request = dict(response.get("UnprocessedKeys") or {})
            if not request:
                break
        else:
            raise TransientError("batch read left keys unprocessed")
        member = next((_member(item) for item in found if item["SK"] == keys.MEMBER_SK), None)
        operation = next((_operation(item) for item in found if item["SK"] == keys.OPERATION_SK), None)
        return member, operation

    def read_wallet(self, tenant_id: str, member_id: str) -> Wallet | None:
        """The member item and every open lot, in one consistent Query (they share a key prefix)."""
        items = self._query_all(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues=values(pk=keys.member_pk(tenant_id, member_id), prefix=keys.MEMBER_SK),
            ConsistentRead=True,
        )
        member = next((_member(item) for item in items if item["SK"] == keys.MEMBER_SK), None)
        if member is None:
            return None
        lots = [_lot(item) for item in items if item["SK"].startswith((keys.LOT_PREFIX, keys.PENDING_PREFIX))]
        return Wallet(member=member, lots=lots)

    def list_entries(
        self, tenant_id: str, member_id: str, limit: int, before_seq: int | None
    ) -> tuple[list[dict[str, Any]], int | None]:
        """Ledger entries newest first; returns the page and the seq to continue below, if any."""
        upper = keys.entry_sk(before_seq - 1) if before_seq is not None else f"{keys.ENTRY_PREFIX}~"
        response = self.client.query(
            TableName=self.table_name,
            KeyConditionExpression="PK = :pk AND SK BETWEEN :low AND :high",
            ExpressionAttributeValues=values(
                pk=keys.member_pk(tenant_id, member_id), low=keys.ENTRY_PREFIX, high=upper
            ),
            ScanIndexForward=False,
            Limit=limit + 1,  # one more than asked tells whether another page follows
        )
        items = [from_item(item) for item in response.get("Items", [])]
        page, more = items[:limit], len(items) > limit
        return [_entry(item) for item in page], (page[-1]["seq"] if more and page else None)

    def _query_all(self, **kwargs: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            response = self.client.query(TableName=self.table_name, **kwargs)
            items.extend(from_item(item) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return items
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    # --- the one write path of the ledger -------------------------------------------------------
    def commit(self, commit: PostingCommit) -> None:
        """Write a posting as one TransactWriteItems.

        The conditions carry the invariants: the member's version is the one we read (so the
        computed balances are still right and never negative), each lot still holds what we
        read, the operation's natural id is unused, and a purchase being refunded is unchanged.
        """
        operation_index, actions = self._actions(commit)
        try:
            self.client.transact_write_items(TransactItems=cast(Any, actions))
        except ClientError as error:
            cancelled = cancellation(error)
            if cancelled is None:
                raise_if_transient(error)
                raise
            if cancelled.failed_condition(operation_index):
                stored = cancelled.items[operation_index]
                raise ReplayError(_operation(stored) if stored else None) from error
            if cancelled.conflict_or_throttle or "ConditionalCheckFailed" in cancelled.codes:
                raise ConcurrentChangeError(str(cancelled.codes)) from error
            raise

    def _actions(self, commit: PostingCommit) -> tuple[int, list[dict[str, Any]]]:
        main = MemberPosting(commit.member_id, commit.posting, commit.entry, commit.counters)
        actions: list[dict[str, Any]] = []
        for index, member_posting in enumerate((main, *commit.also)):
            profile = commit.new_member_profile if index == 0 else None
            actions.extend(self._posting_actions(commit.tenant_id, member_posting, profile, commit.now))
        if commit.operation_update is not None:
            actions.append(self._operation_update(commit.tenant_id, commit.operation_update))
        operation_index = len(actions)
        actions.append(self._operation_put(commit.tenant_id, commit.operation, commit.now))
        return operation_index, actions

    def _posting_actions(
        self, tenant: str, member_posting: MemberPosting, profile: dict[str, Any] | None, now: datetime
    ) -> list[dict[str, Any]]:
        """The member's new balance (or the new member), its ledger entry and its lot changes."""
        member, posting = member_posting.member_id, member_posting.posting
        pk = keys.member_pk(tenant, member)
        actions: list[dict[str, Any]] = []
        after = posting.after
        balance: dict[str, Any] = {
            "available": after.available,
            "pending": after.pending,
            "held": after.held,
            "debt": after.debt,
            "version": after.version,
        }
        if member_posting.counters is not None:
            balance["counters"] = member_posting.counters
        if profile is not None:
            actions.append(
                {
                    "Put": {
                        "TableName": self.table_name,
                        "Item": to_item(
                            {
                                "PK": pk,
                                "SK": keys.MEMBER_SK,
                                "tenant_id": tenant,
                                "member_id": member,
                                "enrolled_at": now.isoformat(),
                                "profile": profile,
                                **balance,
                            }
                        ),
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                }
            )
        else:
            actions.append(
                {
                    "Update": {
                        "TableName": self.table_name,
                        "Key": to_item({"PK": pk, "SK": keys.MEMBER_SK}),
                        "UpdateExpression": "SET " + ", ".join(f"#{name} = :{name}" for name in balance),
                        # The balance we computed holds only if the member is as we read it.
                        "ConditionExpression": "#version = :expected AND #available = :was_available "
                        "AND #pending = :was_pending",
                        "ExpressionAttributeNames": names(*balance),
                        "ExpressionAttributeValues": values(
                            **balance,
                            expected=posting.before.version,
                            was_available=posting.before.available,
                            was_pending=posting.before.pending,
                        ),
                    }
                }
            )
        actions.append(
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": to_item(
                        {
                            "PK": pk,
                            "SK": keys.entry_sk(posting.seq),
                            "tenant_id": tenant,
                            "member_id": member,
                            "entry_id": str(posting.seq),
                            "seq": posting.seq,
                            "points": posting.points,
                            "balance_after": after.available,
                            "created_at": now.isoformat(),
                            "debt_settled": posting.debt_settled or None,
                            "debt_incurred": posting.debt_incurred or None,
                            **member_posting.entry,
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
        )
        if posting.lot_credit is not None:
            actions.append(self._lot_credit(tenant, member, posting.lot_credit))
        actions.extend(self._lot_write(tenant, member, write) for write in posting.lot_writes)
        return actions

    def _lot_index(self, tenant: str, member: str, expires_on: date | None) -> dict[str, str]:
        if expires_on is None:
            return {}
        return {
            "GSI1PK": keys.expiry_index_pk(expires_on, tenant, member),
            "GSI1SK": keys.member_pk(tenant, member),
        }

    def _lot_key(self, tenant: str, member: str, lot: LotCredit | LotWrite) -> dict[str, Any]:
        return to_item(
            {"PK": keys.member_pk(tenant, member), "SK": keys.lot_sk(lot.expires_on, lot.available_on)}
        )

    def _lot_credit(self, tenant: str, member: str, credit: LotCredit) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            "expires_on": (credit.expires_on or NEVER).isoformat(),
            **self._lot_index(tenant, member, credit.expires_on),
        }
        if credit.available_on is not None:
            attributes["available_on"] = credit.available_on.isoformat()
        assignments = ", ".join(f"#{name} = :{name}" for name in attributes)
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": self._lot_key(tenant, member, credit),
                # ADD creates the lot or merges into the one with the same dates: no read needed.
                "UpdateExpression": f"SET {assignments} ADD #remaining :points",
                "ExpressionAttributeNames": names("remaining", *attributes),
                "ExpressionAttributeValues": values(points=credit.points, **attributes),
            }
        }

    def _lot_write(self, tenant: str, member: str, write: LotWrite) -> dict[str, Any]:
        """Set a lot to its new state, on condition it still holds what we read."""
        key = self._lot_key(tenant, member, write)
        if write.before is None:
            guard: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(PK)"}
            guard_values: dict[str, Any] = {}
        else:
            guard = {"ConditionExpression": "#remaining = :before"}
            guard_values = {"before": write.before}
        if write.after == 0:
            return {
                "Delete": {
                    "TableName": self.table_name,
                    "Key": key,
                    **guard,
                    **({"ExpressionAttributeNames": names("remaining")} if guard_values else {}),
                    **({"ExpressionAttributeValues": values(**guard_values)} if guard_values else {}),
                }
            }
        attributes: dict[str, Any] = {
            "remaining": write.after,
            "expires_on": (write.expires_on or NEVER).isoformat(),
            **self._lot_index(tenant, member, write.expires_on),
        }
        if write.available_on is not None:
            attributes["available_on"] = write.available_on.isoformat()
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": key,
                "UpdateExpression": "SET " + ", ".join(f"#{name} = :{name}" for name in attributes),
                **guard,
                "ExpressionAttributeNames": names(*attributes),
                "ExpressionAttributeValues": values(**attributes, **guard_values),
            }
        }

    def _operation_put(self, tenant: str, operation: OperationRecord, now: datetime) -> dict[str, Any]:
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
                    }
                ),
                "ConditionExpression": "attribute_not_exists(PK)",
                # On a replay the cancellation reason carries the stored record: no extra read.
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    def _operation_update(self, tenant: str, update: OperationUpdate) -> dict[str, Any]:
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


def _member(item: dict[str, Any]) -> MemberRecord:
    return MemberRecord(
        tenant_id=item["tenant_id"],
        member_id=item["member_id"],
        profile=dict(item.get("profile") or {}),
        enrolled_at=datetime.fromisoformat(item["enrolled_at"]),
        account=Account(
            available=item["available"],
            pending=item["pending"],
            held=item["held"],
            debt=item["debt"],
            version=item["version"],
        ),
        counters=dict(item.get("counters") or {}),
    )


def _lot(item: dict[str, Any]) -> Lot:
    expires_on = date.fromisoformat(item["expires_on"])
    available_on = date.fromisoformat(item["available_on"]) if item.get("available_on") else None
    return Lot(
        expires_on=None if expires_on == NEVER else expires_on,
        remaining=item["remaining"],
        available_on=available_on,
    )


def _operation(item: dict[str, Any]) -> OperationRecord:
    return OperationRecord(
        kind=item["kind"],
        natural_id=item["natural_id"],
        request_hash=item["request_hash"],
        status=item["status"],
        body=json.loads(item["body"]),
        state=dict(item.get("state") or {}),
        version=item.get("version", 1),
    )


_ENTRY_FIELDS = (
    "entry_id",
    "type",
    "points",
    "balance_after",
    "created_at",
    "source",
    "order_id",
    "refund_id",
    "adjustment_id",
    "reason",
    "debt_settled",
    "debt_incurred",
    "program_version",
    "expires_on",
    "actor",
)


def _entry(item: dict[str, Any]) -> dict[str, Any]:
    return {name: item[name] for name in _ENTRY_FIELDS if name in item}
