"""Paid memberships under the member's partition: the record of each bought
(T#{tenant}#M#{member}, MEMBERSHIP#{membership_id}) and an item per membership event
(MEMBERSHIPEVENT#{tier revision}#{n}), which the table stream publishes. Both are written in the
transaction of the tier decision they belong to (the member item's tier status)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from loyalty.domain.tiers import MembershipEvent, MembershipPeriod
from loyalty.store import keys
from loyalty.store.codec import decode
from loyalty.store.table import Guarded, TableStore, names, put, to_item, update, values


@dataclass(frozen=True)
class MembershipRecord:
    tenant_id: str
    member_id: str
    membership_id: str
    plan_id: str
    tier_id: str
    starts_on: date
    ends_on: date  # exclusive
    order_id: str
    amount: Decimal
    currency: str
    created_at: datetime
    cancelled_at: datetime | None = None


class MembershipTakenError(Exception):
    """The membership id is stored already (a replay, or another request's): the operation decides."""

    def __init__(self, stored: MembershipRecord) -> None:
        super().__init__(stored.membership_id)
        self.stored = stored


class MembershipStore(TableStore):
    def put(self, record: MembershipRecord) -> Guarded:
        """A new membership; refused (with the stored one) when its id is taken."""
        item = {
            "PK": keys.member_pk(record.tenant_id, record.member_id),
            "SK": keys.membership_sk(record.membership_id),
            "tenant_id": record.tenant_id,
            "member_id": record.member_id,
            "membership_id": record.membership_id,
            "plan_id": record.plan_id,
            "tier_id": record.tier_id,
            "starts_on": record.starts_on.isoformat(),
            "ends_on": record.ends_on.isoformat(),
            "order_id": record.order_id,
            "amount": f"{record.amount:.2f}",
            "currency": record.currency,
            "created_at": record.created_at.isoformat(),
        }
        return Guarded(
            put(self.table_name, item, "attribute_not_exists(PK)", return_old=True),
            lambda stored: MembershipTakenError(membership_record(stored)) if stored else None,
        )

    def cancel(self, record: MembershipRecord, now: datetime) -> Guarded:
        """Cancelled once: a second cancellation meanwhile fails the condition (re-read, replay)."""
        key = {
            "PK": keys.member_pk(record.tenant_id, record.member_id),
            "SK": keys.membership_sk(record.membership_id),
        }
        return Guarded(
            update(
                self.table_name,
                key,
                "SET #cancelled_at = :cancelled_at",
                "attribute_exists(PK) AND attribute_not_exists(#cancelled_at)",
                names("cancelled_at"),
                values(cancelled_at=now.isoformat()),
            )
        )

    def record_expiring(
        self, tenant_id: str, member_id: str, period: MembershipPeriod, window: int, now: datetime
    ) -> bool:
        """The membership.expiring reminder of one membership in one window, once (False: sent)."""
        return self.put_once(
            {
                "PK": keys.member_pk(tenant_id, member_id),
                "SK": keys.membership_reminder_sk(period.membership_id, window),
                "tenant_id": tenant_id,
                "member_id": member_id,
                "kind": "expiring",
                "membership_id": period.membership_id,
                "plan_id": period.plan_id,
                "tier_id": period.tier_id,
                "starts_on": period.starts_on.isoformat(),
                "ends_on": period.ends_on.isoformat(),
                "days_before": window,
                "created_at": now.isoformat(),
            }
        )

    def read(self, tenant_id: str, member_id: str, membership_id: str) -> MembershipRecord | None:
        item = self.read_item(keys.member_pk(tenant_id, member_id), keys.membership_sk(membership_id))
        return membership_record(item) if item else None

    def member_memberships(self, tenant_id: str, member_id: str) -> list[MembershipRecord]:
        """Every membership the member bought, newest first (a member buys a few a year at most)."""
        items = self.query_all(
            {
                "TableName": self.table_name,
                "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
                "ExpressionAttributeValues": to_item(
                    {":pk": keys.member_pk(tenant_id, member_id), ":prefix": keys.MEMBERSHIP_PREFIX}
                ),
                "ConsistentRead": True,
            }
        )
        records = [membership_record(item) for item in items]
        return sorted(records, key=lambda record: (record.starts_on, record.created_at), reverse=True)


def membership_record(item: dict[str, Any]) -> MembershipRecord:
    return decode(MembershipRecord, item)


def membership_event_puts(
    table_name: str,
    tenant: str,
    member: str,
    revision: int,
    events: Sequence[MembershipEvent],
    now: datetime,
) -> list[dict[str, Any]]:
    """One item per membership event of a tier decision, keyed by the decision's revision."""
    return [
        put(
            table_name,
            {
                "PK": keys.member_pk(tenant, member),
                "SK": keys.membership_event_sk(revision, index),
                "tenant_id": tenant,
                "member_id": member,
                "kind": event.kind,
                "membership_id": event.period.membership_id,
                "plan_id": event.period.plan_id,
                "tier_id": event.period.tier_id,
                "starts_on": event.period.starts_on.isoformat(),
                "ends_on": event.period.ends_on.isoformat(),
                "created_at": now.isoformat(),
            },
            "attribute_not_exists(PK)",
        )
        for index, event in enumerate(events)
    ]
