"""The ledger's one write path: a posting (a member's balance change, its entry, its idempotency
record and whatever else the operation writes) as one TransactWriteItems, all or nothing.

The items belong to their stores (members, entries, idempotency records, holds, rewards, ...);
this module puts them in one transaction and turns a cancellation into what the operation does
next: answer a replay, raise the business refusal, or re-read and retry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from loyalty.domain.ledger import Posting
from loyalty.models.ledger import EntryDetail
from loyalty.store import keys
from loyalty.store.entry_store import EntryStore
from loyalty.store.idempotency_store import (
    IdempotencyStore,
    OperationRecord,
    OperationUpdate,
    operation_record,
)
from loyalty.store.member_store import MemberRecord, MemberStore, TierUpdate, member_record
from loyalty.store.table import Guarded, TableStore, from_item, to_item


@dataclass(frozen=True)
class MemberPosting:
    """Another member's balance change committed with the operation (a referrer's reward)."""

    member_id: str
    posting: Posting
    entry: EntryDetail
    counters: dict[str, Any] | None = None


@dataclass(frozen=True)
class PostingCommit:
    """Everything one ledger operation writes, all or nothing."""

    tenant_id: str
    member_id: str
    posting: Posting
    entry: EntryDetail
    operation: OperationRecord
    now: datetime
    new_member_profile: dict[str, Any] | None = None
    operation_update: OperationUpdate | None = None
    counters: dict[str, Any] | None = None  # the member's counters after this operation, when it changes them
    also: tuple[MemberPosting, ...] = ()
    tier: TierUpdate | None = None
    extra: tuple[Guarded, ...] = ()
    # Entries of the member's postings made before `posting` in the same write (a partial capture's
    # release): `posting` then spans them all, from the member as read to the member as written.
    earlier: tuple[tuple[Posting, EntryDetail], ...] = ()


class ReplayError(Exception):
    """The natural id was taken by an earlier (or concurrent) operation: answer from its record."""

    def __init__(self, record: OperationRecord | None) -> None:
        super().__init__("operation already recorded")
        self.record = record


class ConcurrentChangeError(Exception):
    """Someone changed the member (or the purchase) between our read and our write: re-read, retry."""


class LedgerStore(TableStore):
    """The write path, and the stores whose items it writes (on one client)."""

    @cached_property
    def members(self) -> MemberStore:
        return MemberStore(self.table_name, self.client)

    @cached_property
    def entries(self) -> EntryStore:
        return EntryStore(self.table_name, self.client)

    @cached_property
    def idempotency(self) -> IdempotencyStore:
        return IdempotencyStore(self.table_name, self.client)

    def read_member_and_operation(
        self, tenant_id: str, member_id: str, kind: str, natural_id: str
    ) -> tuple[MemberRecord | None, OperationRecord | None]:
        """One round trip for the two things an earn needs before it writes."""
        member_key = {"PK": keys.member_pk(tenant_id, member_id), "SK": keys.MEMBER_SK}
        operation_key = {"PK": keys.operation_pk(tenant_id, kind, natural_id), "SK": keys.OPERATION_SK}
        found = [from_item(item) for item in self.read_items([to_item(member_key), to_item(operation_key)])]
        member = next((member_record(item) for item in found if item["SK"] == keys.MEMBER_SK), None)
        operation = next((operation_record(item) for item in found if item["SK"] == keys.OPERATION_SK), None)
        return member, operation

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
        self._transact([self.idempotency.put_action(tenant_id, operation, now)], 0, extra)

    def commit_tier(
        self, member: MemberRecord, tier: TierUpdate, now: datetime, extra: tuple[Guarded, ...] = ()
    ) -> None:
        """A tier decision that moves no points (evaluation, assignment): the member item's tier
        status, the history item of a change (and an assignment's audit entry), all or nothing."""
        self._transact(self.members.tier_actions(member, tier, now), None, extra)

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
            raise ReplayError(operation_record(stored) if stored else None)
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
        actions.extend(
            self.entries.put_action(commit.tenant_id, commit.member_id, posting, entry, commit.now)
            for posting, entry in commit.earlier
        )
        if commit.operation_update is not None:
            actions.append(self.idempotency.update_action(commit.tenant_id, commit.operation_update))
        operation_index = len(actions)
        actions.append(self.idempotency.put_action(commit.tenant_id, commit.operation, commit.now))
        return operation_index, actions

    def _posting_actions(
        self,
        tenant: str,
        member_posting: MemberPosting,
        profile: dict[str, Any] | None,
        now: datetime,
        tier: TierUpdate | None = None,
    ) -> list[dict[str, Any]]:
        """The member's new balance (or the new member), its tier change, and its ledger entry."""
        member, posting = member_posting.member_id, member_posting.posting
        return [
            *self.members.posting_actions(
                tenant, member, posting, member_posting.counters, profile, now, tier
            ),
            self.entries.put_action(tenant, member, posting, member_posting.entry, now),
        ]
