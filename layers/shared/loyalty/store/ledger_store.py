"""Reads and transactional writes of members, lots, ledger entries and operation records."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from loyalty.domain.ledger import NEVER, Account, Lot, Posting, next_expiry
from loyalty.domain.tiers import TierChange, TierStatus
from loyalty.store import keys
from loyalty.store.table import (
    TableStore,
    from_item,
    names,
    to_item,
    values,
)
from loyalty.store.tier_items import tier_map, tier_status


@dataclass(frozen=True)
class MemberRecord:
    tenant_id: str
    member_id: str
    profile: dict[str, Any]
    enrolled_at: datetime
    account: Account
    counters: dict[str, Any] = field(default_factory=dict)  # rolling figures the rules read (caps, limits)
    lots: list[Lot] = field(default_factory=list)
    tier: TierStatus = field(default_factory=TierStatus)


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
class TierUpdate:
    """The member's tier status after an operation, written only if it is still the one read
    (`expected_revision`); a change on the ladder also writes its history item (tier.changed)."""

    status: TierStatus
    expected_revision: int
    change: TierChange | None = None


@dataclass(frozen=True)
class MemberPosting:
    """Another member's balance change committed with the operation (a referrer's reward)."""

    member_id: str
    posting: Posting
    entry: dict[str, Any]
    counters: dict[str, Any] | None = None


@dataclass(frozen=True)
class Guarded:
    """One more item written with a posting (stock, a limit counter, a hold, a redemption record).

    Its store builds `action` (a TransactWriteItems element). When its condition fails, `refusal`
    is given the stored item (if the action returns it) and answers the business error to raise,
    or None for "changed meanwhile": re-read and retry."""

    action: dict[str, Any]
    refusal: Callable[[dict[str, Any] | None], Exception | None] = lambda stored: None


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
    tier: TierUpdate | None = None
    extra: tuple[Guarded, ...] = ()


class ReplayError(Exception):
    """The natural id was taken by an earlier (or concurrent) operation: answer from its record."""

    def __init__(self, record: OperationRecord | None) -> None:
        super().__init__("operation already recorded")
        self.record = record


class ConcurrentChangeError(Exception):
    """Someone changed the member (or the purchase) between our read and our write: re-read, retry."""


# The expiry run never moves its checkpoint past the UTC date of now + 14 h (the zone furthest ahead).
UNFINISHED_AHEAD = timedelta(hours=14)


class LedgerStore(TableStore):
    # --- reads --------------------------------------------------------------------------------
    def read_member(self, tenant_id: str, member_id: str) -> MemberRecord | None:
        response = self.client.get_item(
            TableName=self.table_name,
            Key=to_item({"PK": keys.member_pk(tenant_id, member_id), "SK": keys.MEMBER_SK}),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return member_record(from_item(item)) if item else None

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
        found = [from_item(item) for item in self.read_items([to_item(member_key), to_item(operation_key)])]
        member = next((member_record(item) for item in found if item["SK"] == keys.MEMBER_SK), None)
        operation = next((_operation(item) for item in found if item["SK"] == keys.OPERATION_SK), None)
        return member, operation

    def read_operations(self, tenant_id: str, *wanted: tuple[str, str]) -> list[OperationRecord | None]:
        """Operation records by (kind, natural id), in one round trip, in the order asked."""
        partitions = [keys.operation_pk(tenant_id, kind, natural_id) for kind, natural_id in wanted]
        found = {
            item["PK"]: _operation(item)
            for item in map(
                from_item,
                self.read_items([to_item({"PK": pk, "SK": keys.OPERATION_SK}) for pk in partitions]),
            )
        }
        return [found.get(pk) for pk in partitions]

    def members_due(
        self, expires_on: date, shards: Iterable[int] = range(keys.EXPIRY_SHARDS)
    ) -> Iterator[MemberRecord]:
        """Members whose next points expire on `expires_on`, in the given shards (all by default),
        page by page.

        The index is eventually consistent: what it yields is a candidate, and the expiring
        transaction's version condition decides (a stale candidate is re-read and retried)."""
        return self._index_members(
            "GSI1", "GSI1PK", [keys.expiry_index_pk_for_shard(expires_on, shard) for shard in shards]
        )

    def members_born_on(self, month_day: str) -> Iterator[MemberRecord]:
        """Members whose birthday is `month_day` ("MM-DD"), every shard, page by page."""
        return self._index_members(
            "GSI2",
            "GSI2PK",
            [keys.birthday_index_pk_for_shard(month_day, shard) for shard in range(keys.EXPIRY_SHARDS)],
        )

    def members_due_review(self, review_on: date) -> Iterator[MemberRecord]:
        """Members whose tier evaluation falls on `review_on`, every shard, page by page (a
        candidate: the evaluation re-reads the member and its version condition decides)."""
        return self._index_members(
            "GSI3",
            "GSI3PK",
            [keys.tier_review_index_pk_for_shard(review_on, shard) for shard in range(keys.EXPIRY_SHARDS)],
        )

    def tenant_members(self, tenant_id: str) -> Iterator[MemberRecord]:
        """Every member of one tenant, every shard, page by page."""
        return self._index_members(
            "GSI4",
            "GSI4PK",
            [keys.tenant_members_pk_for_shard(tenant_id, shard) for shard in range(keys.EXPIRY_SHARDS)],
        )

    def has_members(self, tenant_id: str) -> bool:
        """Whether the tenant has any member: one keys-only query of one item per shard of the
        tenant's member index, stopping at the first hit (at most 8 small reads, for the rare
        call that needs it). The index is eventually consistent: a member enrolled a moment ago
        may not be seen yet."""
        for shard in range(keys.EXPIRY_SHARDS):
            response = self.client.query(
                TableName=self.table_name,
                IndexName="GSI4",
                KeyConditionExpression="GSI4PK = :partition",
                ExpressionAttributeValues=values(
                    partition=keys.tenant_members_pk_for_shard(tenant_id, shard)
                ),
                Limit=1,
            )
            if response.get("Items"):
                return True
        return False

    def record_sunset_notice(
        self,
        tenant_id: str,
        member_id: str,
        last_redeeming_day: date,
        offset_days: int,
        points: int,
        now: datetime,
    ) -> bool:
        """Record that a sunset notice goes out; False when it already did (never twice). The
        stream turns the new item into the program.sunset_notice event."""
        item = {
            "PK": keys.member_pk(tenant_id, member_id),
            "SK": keys.sunset_notice_sk(last_redeeming_day, offset_days),
            "tenant_id": tenant_id,
            "member_id": member_id,
            "last_redeeming_day": last_redeeming_day.isoformat(),
            "days_before": offset_days,
            "points": points,
            "created_at": now.isoformat(),
        }
        return self._put_once(item)

    def _put_once(self, item: dict[str, Any]) -> bool:
        """Put an item that may exist only once (a notice sent); False when it already does."""
        try:
            self.client.put_item(
                TableName=self.table_name, Item=to_item(item), ConditionExpression="attribute_not_exists(PK)"
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def _index_members(self, index: str, attribute: str, partitions: list[str]) -> Iterator[MemberRecord]:
        """The members in some partitions of an index, as the table holds them now. Every index
        holds keys only: a posting never changes a member's index keys, so it writes to none (an
        index of whole items would add a write unit to every earn of every member in it)."""
        for partition in partitions:
            for item in self.index_items(index, f"{attribute} = :partition", values(partition=partition)):
                yield member_record(from_item(item))

    def record_reminder(
        self,
        tenant_id: str,
        member_id: str,
        expires_on: date,
        window_days: int,
        detail: dict[str, Any],
        now: datetime,
    ) -> bool:
        """Record that a reminder goes out; False when it already did (never twice). The stream
        turns the new item into the points.expiring event."""
        item = {
            "PK": keys.member_pk(tenant_id, member_id),
            "SK": keys.reminder_sk(expires_on, window_days),
            "tenant_id": tenant_id,
            "member_id": member_id,
            "expires_on": expires_on.isoformat(),
            "window_days": window_days,
            "created_at": now.isoformat(),
            **detail,
        }
        return self._put_once(item)

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

    # --- the one write path of the ledger -------------------------------------------------------
    def commit(self, commit: PostingCommit) -> None:
        """Write a posting as one TransactWriteItems.

        The conditions carry the invariants: the member's version is the one we read (so the
        computed balances are still right and never negative), each lot still holds what we
        read, the operation's natural id is unused, and a purchase being refunded is unchanged.
        """
        operation_index, actions = self._actions(commit)
        self._transact(actions, operation_index, commit.extra)

    def record(
        self, tenant_id: str, operation: OperationRecord, now: datetime, extra: tuple[Guarded, ...]
    ) -> None:
        """An operation that moves no points (a coupon given away): its idempotency record and its
        items, one transaction, the same answers as `commit` (replay, refusal, retry)."""
        self._transact([self._operation_put(tenant_id, operation, now)], 0, extra)

    def _transact(
        self, actions: list[dict[str, Any]], operation_index: int | None, extra: tuple[Guarded, ...] = ()
    ) -> None:
        """One transaction; a failed condition becomes a replay (the operation record exists), a
        guarded item's refusal, or a concurrent change to retry."""
        first_extra = len(actions)
        actions = [*actions, *(guarded.action for guarded in extra)]
        cancelled = self.transact(actions)
        if cancelled is None:
            return
        if operation_index is not None and cancelled.failed_condition(operation_index):
            stored = cancelled.items[operation_index]
            raise ReplayError(_operation(stored) if stored else None)
        for offset, guarded in enumerate(extra):
            if cancelled.failed_condition(first_extra + offset):
                refused = guarded.refusal(cancelled.items[first_extra + offset])
                if refused is not None:
                    raise refused
        if cancelled.conflict_or_throttle or "ConditionalCheckFailed" in cancelled.codes:
            # A condition of ours failed (someone changed the member), or the transaction lost a race.
            raise ConcurrentChangeError(str(cancelled.codes))
        raise RuntimeError(f"transaction refused: {cancelled.codes}")  # a bug (e.g. an item too large)

    def _actions(self, commit: PostingCommit) -> tuple[int, list[dict[str, Any]]]:
        main = MemberPosting(commit.member_id, commit.posting, commit.entry, commit.counters)
        actions: list[dict[str, Any]] = []
        for index, member_posting in enumerate((main, *commit.also)):
            profile = commit.new_member_profile if index == 0 else None
            tier = commit.tier if index == 0 else None
            actions.extend(self._posting_actions(commit.tenant_id, member_posting, profile, commit.now, tier))
        if commit.operation_update is not None:
            actions.append(self._operation_update(commit.tenant_id, commit.operation_update))
        operation_index = len(actions)
        actions.append(self._operation_put(commit.tenant_id, commit.operation, commit.now))
        return operation_index, actions

    def _posting_actions(
        self,
        tenant: str,
        member_posting: MemberPosting,
        profile: dict[str, Any] | None,
        now: datetime,
        tier: TierUpdate | None = None,
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
        balance["lots"] = lots_map(posting.lots_after)
        due = next_expiry(posting.lots_after)
        unfinished = (now + UNFINISHED_AHEAD).date()
        if due is not None and due < unfinished:
            # Points given back with a date already past (a cancelled redemption, a released hold)
            # are indexed on a day no expiry run has finished yet, so the next runs expire them.
            # A run may have finished every day before the UTC date of now + 14 h (where the day
            # is over furthest ahead), not only those before today's UTC date; and any later
            # write must keep the member there, or it would move it back onto a finished day.
            due = unfinished
        index = {"GSI1PK": keys.expiry_index_pk(due, tenant, member), "GSI1SK": pk} if due else {}
        if profile is not None:
            item = {
                "PK": pk,
                "SK": keys.MEMBER_SK,
                "tenant_id": tenant,
                "member_id": member,
                "enrolled_at": now.isoformat(),
                "profile": profile,
                **balance,
                **index,
            }
            item["GSI4PK"], item["GSI4SK"] = keys.tenant_members_pk(tenant, member), pk
            if profile.get("birthday"):  # "YYYY-MM-DD": indexed by month and day
                item["GSI2PK"] = keys.birthday_index_pk(str(profile["birthday"])[5:], tenant, member)
                item["GSI2SK"] = pk
            actions.append(
                {
                    "Put": {
                        "TableName": self.table_name,
                        "Item": to_item(item),
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                }
            )
        else:
            removals = [] if index else ["GSI1PK", "GSI1SK"]  # no dated points left: out of the sparse index
            tier_assignments, tier_removals = _tier_assignments(tenant, member, tier)
            assignments = {**balance, **index, **tier_assignments}
            actions.append(
                self._member_update(
                    pk,
                    assignments,
                    removals + tier_removals,
                    posting.before.version,
                    tier.expected_revision if tier else None,
                )
            )
        if tier is not None and tier.change is not None:
            actions.append(self._tier_change_put(tenant, member, tier, now))
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
        return actions

    def _member_update(
        self,
        pk: str,
        assignments: dict[str, Any],
        removals: list[str],
        expected_version: int,
        expected_tier_revision: int | None,
    ) -> dict[str, Any]:
        # The balance and lots we computed hold only if the member is as we read it; a tier
        # decision only if its status is (the tier run changes it without a ledger entry).
        update = "SET " + ", ".join(f"#{name} = :{name}" for name in assignments)
        if removals:
            update += " REMOVE " + ", ".join(f"#{name}" for name in removals)
        condition = "#version = :expected"
        revision: dict[str, Any] = {}
        if expected_tier_revision is not None:
            condition += (
                " AND (attribute_not_exists(#tier_revision) OR #tier_revision = :expected_tier)"
                if expected_tier_revision == 0
                else " AND #tier_revision = :expected_tier"
            )
            revision["expected_tier"] = expected_tier_revision
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": to_item({"PK": pk, "SK": keys.MEMBER_SK}),
                "UpdateExpression": update,
                "ConditionExpression": condition,
                "ExpressionAttributeNames": names(
                    "version", *assignments, *removals, *(["tier_revision"] if revision else [])
                ),
                "ExpressionAttributeValues": values(**assignments, expected=expected_version, **revision),
            }
        }

    def _tier_change_put(self, tenant: str, member: str, tier: TierUpdate, now: datetime) -> dict[str, Any]:
        change = tier.change
        assert change is not None
        return {
            "Put": {
                "TableName": self.table_name,
                "Item": to_item(
                    {
                        "PK": keys.member_pk(tenant, member),
                        "SK": keys.tier_change_sk(tier.status.revision),
                        "tenant_id": tenant,
                        "member_id": member,
                        "from_tier": change.from_tier,
                        "to_tier": change.to_tier,
                        "reason": change.reason,
                        "detail": change.detail,
                        "assignment_reason": change.note,
                        "actor": change.actor,
                        "created_at": now.isoformat(),
                    }
                ),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }

    def commit_tier(self, member: MemberRecord, tier: TierUpdate, now: datetime) -> None:
        """A tier decision that moves no points (evaluation, assignment): the member item's tier
        status, and the history item of a change, all or nothing."""
        pk = keys.member_pk(member.tenant_id, member.member_id)
        assignments, removals = _tier_assignments(member.tenant_id, member.member_id, tier)
        actions = [
            self._member_update(pk, assignments, removals, member.account.version, tier.expected_revision)
        ]
        if tier.change is not None:
            actions.append(self._tier_change_put(member.tenant_id, member.member_id, tier, now))
        self._transact(actions, None)

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


def member_record(item: dict[str, Any]) -> MemberRecord:
    """A member item as read (plain values) -> the record the operations work on."""
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
        lots=lots_from_map(item.get("lots") or {}),
        tier=tier_status(item),
    )


def _tier_assignments(tenant: str, member: str, tier: TierUpdate | None) -> tuple[dict[str, Any], list[str]]:
    """The member item's tier attributes, and its place in the sparse review index (or none)."""
    if tier is None:
        return {}, []
    status = tier.status
    assignments: dict[str, Any] = {"tier": tier_map(status), "tier_revision": status.revision}
    if status.review_on is None:
        return assignments, ["GSI3PK", "GSI3SK"]
    pk = keys.member_pk(tenant, member)
    review_pk = keys.tier_review_index_pk(status.review_on, tenant, member)
    return assignments | {"GSI3PK": review_pk, "GSI3SK": pk}, []


def lots_map(lots: tuple[Lot, ...] | list[Lot]) -> dict[str, int]:
    """Lots as stored on the member item: "A#{expires_on}" or "P#{available_on}#{expires_on}" -> points."""
    stored: dict[str, int] = {}
    for lot in lots:
        expiry = (lot.expires_on or NEVER).isoformat()
        key = f"P#{lot.available_on.isoformat()}#{expiry}" if lot.available_on else f"A#{expiry}"
        stored[key] = lot.remaining
    return stored


def lots_from_map(stored: dict[str, Any]) -> list[Lot]:
    lots = []
    for key, remaining in stored.items():
        parts = key.split("#")
        expires_on = date.fromisoformat(parts[-1])
        available_on = date.fromisoformat(parts[1]) if parts[0] == "P" else None
        lots.append(Lot(None if expires_on == NEVER else expires_on, int(remaining), available_on))
    return lots


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
    "redemption_id",
    "reward_id",
    "hold_id",
    "held",
    "coupon_code",
    "draw_id",
)


def _entry(item: dict[str, Any]) -> dict[str, Any]:
    return {name: item[name] for name in _ENTRY_FIELDS if name in item}
