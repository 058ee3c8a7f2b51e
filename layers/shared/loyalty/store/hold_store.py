"""Checkout holds (T#{tenant}#M#{member}, HOLD#{hold_id}): points moved from available to held at
checkout, keeping their lots, until a capture spends them or a release (or their lapse) gives them
back. Writes are `Guarded` items committed with the member's posting. An open hold carries
GSI1PK = HOLDS#OPEN#{shard}, GSI1SK = its expiry instant (the sweep's range query); closing it
removes both."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from loyalty.domain.ledger import Lot
from loyalty.store import keys
from loyalty.store.codec import decode
from loyalty.store.member_store import MemberRecord, lots_from_map, lots_map, member_record
from loyalty.store.table import Guarded, TableStore, from_item, names, put, to_item, update, values


@dataclass(frozen=True)
class HoldRecord:
    tenant_id: str
    hold_id: str
    member_id: str
    points: int
    status: str  # held, captured, released
    lots: list[Lot]  # the held points, with their dates
    expires_at: datetime
    order_id: str | None
    version: int
    captured: int | None = None  # once captured: the points spent (at most `points`), in `lots`
    refunded: int = 0  # of the captured points, those given back by refunds


class HoldStore(TableStore):
    def put_hold(self, record: HoldRecord, now: datetime) -> Guarded:
        tenant_id = record.tenant_id
        item = {
            "PK": keys.member_pk(tenant_id, record.member_id),
            "SK": keys.hold_sk(record.hold_id),
            "tenant_id": tenant_id,
            "member_id": record.member_id,
            "hold_id": record.hold_id,
            "points": record.points,
            "status": record.status,
            "lots": lots_map(record.lots),
            "expires_at": record.expires_at.isoformat(),
            "order_id": record.order_id,
            "created_at": now.isoformat(),
            "version": record.version,
            # Open holds by expiry, for the sweep; the index is sparse, closing a hold leaves it.
            "GSI1PK": keys.open_holds_index_pk(tenant_id, record.hold_id),
            "GSI1SK": _instant(record.expires_at),
        }
        return Guarded(put(self.table_name, item, "attribute_not_exists(PK)"))

    def close_hold(
        self,
        record: HoldRecord,
        status: str,
        now: datetime,
        order_id: str | None = None,
        captured: list[Lot] | None = None,
    ) -> Guarded:
        """Captured or released: only an open hold as we read it (else re-read and decide again).
        A capture keeps the lots it spent (what a refund gives back) and their sum."""
        assignments: dict[str, Any] = {
            "status": status,
            "closed_at": now.isoformat(),
            "version": record.version + 1,
        }
        if order_id is not None:
            assignments["order_id"] = order_id
        if captured is not None:
            assignments["lots"] = lots_map(captured)
            assignments["captured"] = sum(lot.remaining for lot in captured)
        return self._update_hold(record, assignments, "held", remove=("GSI1PK", "GSI1SK"))

    def refund_hold(self, record: HoldRecord, left: list[Lot], refunded: int) -> Guarded:
        """Points of a captured hold given back: the lots still refundable and the total refunded,
        only on the hold as we read it (else re-read and decide again)."""
        assignments = {"lots": lots_map(left), "refunded": refunded, "version": record.version + 1}
        return self._update_hold(record, assignments, "captured")

    def _update_hold(
        self, record: HoldRecord, assignments: dict[str, Any], status: str, remove: tuple[str, ...] = ()
    ) -> Guarded:
        """`assignments` set (and `remove` removed) on the hold only as we read it: its version and
        its `status`; else the transaction fails, and the operation re-reads and decides again."""
        expression = "SET " + ", ".join(f"#{name} = :{name}" for name in assignments)
        if remove:
            expression += " REMOVE " + ", ".join(f"#{name}" for name in remove)
        return Guarded(
            update(
                self.table_name,
                {
                    "PK": keys.member_pk(record.tenant_id, record.member_id),
                    "SK": keys.hold_sk(record.hold_id),
                },
                expression,
                "#version = :expected AND #status = :expected_status",
                names(*assignments, *remove, "status"),
                values(**assignments, expected=record.version, expected_status=status),
            )
        )

    def read_hold(self, tenant_id: str, member_id: str, hold_id: str) -> HoldRecord | None:
        item = self.read_item(keys.member_pk(tenant_id, member_id), keys.hold_sk(hold_id))
        return _hold(item) if item else None

    def read_hold_and_member(
        self, tenant_id: str, member_id: str, hold_id: str
    ) -> tuple[HoldRecord | None, MemberRecord | None]:
        """A hold and its member in one round trip (what capturing or releasing it decides on)."""
        member_pk = keys.member_pk(tenant_id, member_id)
        wanted = [{"PK": member_pk, "SK": keys.hold_sk(hold_id)}, {"PK": member_pk, "SK": keys.MEMBER_SK}]
        found = {
            item["SK"]: item for item in map(from_item, self.read_items([to_item(key) for key in wanted]))
        }
        hold, member = found.get(keys.hold_sk(hold_id)), found.get(keys.MEMBER_SK)
        return (_hold(hold) if hold else None), (member_record(member) if member else None)

    def open_holds(self, tenant_id: str, member_id: str) -> list[HoldRecord]:
        """The member's holds that are still open (a member has a handful at most)."""
        items = self.query_all(
            {
                "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
                "FilterExpression": "#status = :held",
                "ExpressionAttributeNames": names("status"),
                "ExpressionAttributeValues": values(
                    pk=keys.member_pk(tenant_id, member_id), prefix=keys.HOLD_PREFIX, held="held"
                ),
                "ConsistentRead": True,
            }
        )
        return [_hold(item) for item in items]

    def expired_holds(self, now: datetime) -> Iterator[HoldRecord]:
        """Open holds whose expiry has passed, every tenant and shard. The index is eventually
        consistent: each is a candidate the release re-reads and decides on."""
        for shard in range(keys.HOLD_SHARDS):
            found = self.index_items(
                "GSI1",
                "GSI1PK = :pk AND GSI1SK <= :now",
                values(pk=keys.open_holds_index_pk_for_shard(shard), now=_instant(now)),
            )
            yield from (_hold(from_item(item)) for item in found)


def _instant(moment: datetime) -> str:
    """A UTC instant that sorts as text (the index's sort key)."""
    return moment.astimezone(UTC).isoformat()


def _hold(item: dict[str, Any]) -> HoldRecord:
    return decode(
        HoldRecord,
        item,
        # A hold captured before captures could be partial spent all its points, its lots unchanged.
        captured=item.get("captured", item["points"] if item["status"] == "captured" else None),
        lots=lots_from_map(item.get("lots") or {}),
    )
