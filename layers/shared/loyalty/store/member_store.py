"""Members: the member item (balance, counters, lots, tier status, index keys), its reads and the
keys-only indexes that find members (expiry, birthdays, tier reviews, a tenant's members), and the
transaction items a posting writes to it. The lot codec ("A#{expires_on}" / "P#{available_on}#
{expires_on}" -> points) is here too: holds and redemptions store their lots the same way."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from loyalty.domain.expiry import index_day
from loyalty.domain.ledger import NEVER, Account, Lot, Posting
from loyalty.domain.tiers import MembershipEvent, TierChange, TierStatus
from loyalty.store import keys
from loyalty.store.membership_store import membership_event_puts
from loyalty.store.table import Guarded, TableStore, from_item, names, pick, put, update, values
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
    profile_revision: int = 0  # moved by every profile correction (its version condition)


@dataclass(frozen=True)
class TierUpdate:
    """The member's tier status after an operation, written only if it is still the one read
    (`expected_revision`); a change on the ladder also writes its history item (tier.changed)."""

    status: TierStatus
    expected_revision: int
    change: TierChange | None = None
    membership_events: tuple[MembershipEvent, ...] = ()


class MemberStore(TableStore):
    # --- reads --------------------------------------------------------------------------------
    def read_member(self, tenant_id: str, member_id: str) -> MemberRecord | None:
        item = self.read_item(keys.member_pk(tenant_id, member_id), keys.MEMBER_SK)
        return member_record(item) if item else None

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

    def _index_members(self, index: str, attribute: str, partitions: list[str]) -> Iterator[MemberRecord]:
        """The members in some partitions of an index, as the table holds them now. Every index
        holds keys only: a posting never changes a member's index keys, so it writes to none (an
        index of whole items would add a write unit to every earn of every member in it)."""
        for partition in partitions:
            for item in self.index_items(index, f"{attribute} = :partition", values(partition=partition)):
                yield member_record(from_item(item))

    # --- what a posting writes to the member ----------------------------------------------------
    def posting_actions(
        self,
        tenant: str,
        member: str,
        posting: Posting,
        counters: dict[str, Any] | None,
        profile: dict[str, Any] | None,
        now: datetime,
        tier: TierUpdate | None = None,
    ) -> list[dict[str, Any]]:
        """The member's new balance and lots (or the new member), and its tier change's history."""
        pk = keys.member_pk(tenant, member)
        actions: list[dict[str, Any]] = []
        after = posting.after
        balance: dict[str, Any] = {
            "available": after.available,
            "pending": after.pending,
            "held": after.held,
            "debt": after.debt,
            "version": after.version,
            "withheld": after.withheld,
            "status": after.status,
        }
        if counters is not None:
            balance["counters"] = counters
        balance["lots"] = lots_map(posting.lots_after)
        due = index_day(posting.lots_after, now)
        index = {"GSI1PK": keys.expiry_index_pk(due, tenant, member), "GSI1SK": pk} if due else {}
        tier_assignments, tier_removals = _tier_assignments(tenant, member, tier)
        if profile is not None:  # an enrolment (an imported member may come with an assigned tier)
            actions.append(self._enrolment(tenant, member, profile, now, balance | index | tier_assignments))
        else:
            removals = [] if index else ["GSI1PK", "GSI1SK"]  # no dated points left: out of the sparse index
            if after.status == "erased":  # the person's data, and the indexes that would find it
                removals += ["profile", "profile_revision", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK"]
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
        return actions

    def profile_action(self, member: MemberRecord, profile: dict[str, Any]) -> Guarded:
        """The member's corrected profile, only over the profile as read (`profile_revision`), and
        its place in the birthday index moved with it; a lost race is re-read and retried."""
        pk = keys.member_pk(member.tenant_id, member.member_id)
        assignments: dict[str, Any] = {"profile": profile, "profile_revision": member.profile_revision + 1}
        removals: list[str] = []
        if profile.get("birthday"):
            month_day = str(profile["birthday"])[5:]
            assignments["GSI2PK"] = keys.birthday_index_pk(month_day, member.tenant_id, member.member_id)
            assignments["GSI2SK"] = pk
        else:
            removals = ["GSI2PK", "GSI2SK"]
        expression = "SET " + ", ".join(f"#{name} = :{name}" for name in assignments)
        if removals:
            expression += " REMOVE " + ", ".join(f"#{name}" for name in removals)
        read = {"read": member.profile_revision} if member.profile_revision else {}
        condition = (
            "attribute_exists(PK) AND attribute_not_exists(#profile_revision)"
            if member.profile_revision == 0
            else "#profile_revision = :read"
        )
        return Guarded(
            update(
                self.table_name,
                {"PK": pk, "SK": keys.MEMBER_SK},
                expression,
                condition,
                names(*assignments, *removals),
                values(**assignments, **read),
            )
        )

    def tier_actions(self, member: MemberRecord, tier: TierUpdate, now: datetime) -> list[dict[str, Any]]:
        """A tier decision that moves no points (evaluation, assignment): the member item's tier
        status, and the history item of a change."""
        pk = keys.member_pk(member.tenant_id, member.member_id)
        assignments, removals = _tier_assignments(member.tenant_id, member.member_id, tier)
        actions = [
            self._member_update(pk, assignments, removals, member.account.version, tier.expected_revision)
        ]
        if tier.change is not None:
            actions.append(self._tier_change_put(member.tenant_id, member.member_id, tier, now))
        tenant, member_id = member.tenant_id, member.member_id
        revision, events = tier.status.revision, tier.membership_events
        actions += membership_event_puts(self.table_name, tenant, member_id, revision, events, now)
        return actions

    def _enrolment(
        self, tenant: str, member: str, profile: dict[str, Any], now: datetime, balance: dict[str, Any]
    ) -> dict[str, Any]:
        pk = keys.member_pk(tenant, member)
        item = {
            "PK": pk,
            "SK": keys.MEMBER_SK,
            "tenant_id": tenant,
            "member_id": member,
            "enrolled_at": now.isoformat(),
            "profile": profile,
            **balance,
        }
        item["GSI4PK"], item["GSI4SK"] = keys.tenant_members_pk(tenant, member), pk
        if profile.get("birthday"):  # "YYYY-MM-DD": indexed by month and day
            item["GSI2PK"] = keys.birthday_index_pk(str(profile["birthday"])[5:], tenant, member)
            item["GSI2SK"] = pk
        return put(self.table_name, item, "attribute_not_exists(PK)")

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
        expression = "SET " + ", ".join(f"#{name} = :{name}" for name in assignments)
        if removals:
            expression += " REMOVE " + ", ".join(f"#{name}" for name in removals)
        condition = "#version = :expected"
        revision: dict[str, Any] = {}
        if expected_tier_revision is not None:
            condition += (
                " AND (attribute_not_exists(#tier_revision) OR #tier_revision = :expected_tier)"
                if expected_tier_revision == 0
                else " AND #tier_revision = :expected_tier"
            )
            revision["expected_tier"] = expected_tier_revision
        return update(
            self.table_name,
            {"PK": pk, "SK": keys.MEMBER_SK},
            expression,
            condition,
            names("version", *assignments, *removals, *(["tier_revision"] if revision else [])),
            values(**assignments, expected=expected_version, **revision),
        )

    def _tier_change_put(self, tenant: str, member: str, tier: TierUpdate, now: datetime) -> dict[str, Any]:
        change = tier.change
        assert change is not None
        item = {
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
        return put(self.table_name, item, "attribute_not_exists(PK)")


def member_record(item: dict[str, Any]) -> MemberRecord:
    """A member item as read (plain values) -> the record the operations work on."""
    return MemberRecord(
        tenant_id=item["tenant_id"],
        member_id=item["member_id"],
        profile=dict(item.get("profile") or {}),
        enrolled_at=datetime.fromisoformat(item["enrolled_at"]),
        account=Account(
            **pick(item, "available", "pending", "held", "debt", "version"),
            withheld=int(item.get("withheld") or 0),
            status=item.get("status") or "active",
        ),
        counters=dict(item.get("counters") or {}),
        lots=lots_from_map(item.get("lots") or {}),
        tier=tier_status(item),
        profile_revision=int(item.get("profile_revision") or 0),
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
