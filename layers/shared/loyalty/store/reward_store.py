"""Items of spending points: catalog rewards (with stock), per-member redemption counters,
redemption records and checkout holds. Reads here; writes are `Guarded` transaction items that
`LedgerStore.commit` writes with the member's posting, so stock, limits and records change in
the same transaction as the points (all or nothing)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from loyalty.domain.ledger import Lot
from loyalty.errors import MemberLimitReachedError, OutOfStockError
from loyalty.models.rewards import Reward
from loyalty.store import keys
from loyalty.store.ledger_store import Guarded, MemberRecord, lots_from_map, lots_map, member_record
from loyalty.store.table import TableStore, from_item, names, to_item, values


@dataclass(frozen=True)
class RewardRecord:
    reward_id: str
    reward: Reward  # as last PUT, `stock` replaced by what is left now
    revision: int  # bumped by every PUT: a redemption priced on an older revision retries


@dataclass(frozen=True)
class RedemptionRecord:
    redemption_id: str
    member_id: str
    reward_id: str
    quantity: int
    points: int
    cash: str | None
    currency: str
    status: str
    lots: list[Lot]  # the lots the points came from: a cancellation gives back these
    stock_taken: bool
    entry_id: str
    created_at: datetime
    updated_at: datetime | None
    version: int


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


class RewardStore(TableStore):
    # --- catalog ---------------------------------------------------------------------------------
    def put_reward(self, tenant_id: str, reward_id: str, reward: Reward, now: datetime) -> RewardRecord:
        """Create or replace a reward; its `stock` becomes what is left (absent: unlimited)."""
        document = reward.model_dump_json(exclude={"stock"})
        assignments: dict[str, Any] = {
            "tenant_id": tenant_id,
            "reward_id": reward_id,
            "document": document,
            "updated_at": now.isoformat(),
        }
        update = "SET " + ", ".join(f"#{name} = :{name}" for name in assignments)
        update += ", #revision = if_not_exists(#revision, :zero) + :one"
        if reward.stock is None:
            update += " REMOVE #stock"
        else:
            update += ", #stock = :stock"
        extra = {"stock": reward.stock} if reward.stock is not None else {}
        response = self.client.update_item(
            TableName=self.table_name,
            Key=to_item({"PK": keys.tenant_pk(tenant_id), "SK": keys.reward_sk(reward_id)}),
            UpdateExpression=update,
            ExpressionAttributeNames=names(*assignments, "revision", "stock"),
            ExpressionAttributeValues=values(**assignments, zero=0, one=1, **extra),
            ReturnValues="ALL_NEW",
        )
        return _reward(from_item(response["Attributes"]))

    def read_reward(self, tenant_id: str, reward_id: str) -> RewardRecord | None:
        response = self.client.get_item(
            TableName=self.table_name,
            Key=to_item({"PK": keys.tenant_pk(tenant_id), "SK": keys.reward_sk(reward_id)}),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return _reward(from_item(item)) if item else None

    def list_rewards(
        self, tenant_id: str, limit: int, after: str | None
    ) -> tuple[list[RewardRecord], str | None]:
        """Rewards by id; returns the page and the id to continue after, if any."""
        items, next_after = self.query_page(
            keys.tenant_pk(tenant_id), keys.REWARD_PREFIX, limit, after, consistent=False
        )
        return [_reward(item) for item in items], next_after

    def take_stock(self, tenant_id: str, record: RewardRecord, quantity: int) -> Guarded:
        """Take `quantity` from the stock, only if that much is left and the reward is unchanged."""
        key = to_item({"PK": keys.tenant_pk(tenant_id), "SK": keys.reward_sk(record.reward_id)})
        if record.reward.stock is None:
            condition = "#revision = :revision AND attribute_not_exists(#stock)"
            update = "ADD #redeemed :quantity"
        else:
            condition = "#revision = :revision AND #stock >= :quantity"
            update = "SET #stock = #stock - :quantity ADD #redeemed :quantity"

        def refusal(stored: dict[str, Any] | None) -> Exception | None:
            item = stored  # as the cancellation reason carried it
            if item and item.get("revision") == record.revision and "stock" in item:
                return OutOfStockError(
                    f"{item['stock']} left of reward {record.reward_id!r}, {quantity} wanted"
                )
            return None  # the reward changed meanwhile: price it again

        action = {
            "Update": {
                "TableName": self.table_name,
                "Key": key,
                "UpdateExpression": update,
                "ConditionExpression": condition,
                "ExpressionAttributeNames": names("revision", "stock", "redeemed"),
                "ExpressionAttributeValues": values(revision=record.revision, quantity=quantity),
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
        return Guarded(action, refusal)

    def give_back_stock(self, tenant_id: str, reward_id: str, quantity: int) -> Guarded:
        """Stock back from a cancelled redemption (if the reward still counts stock)."""
        return Guarded(
            {
                "Update": {
                    "TableName": self.table_name,
                    "Key": to_item({"PK": keys.tenant_pk(tenant_id), "SK": keys.reward_sk(reward_id)}),
                    "UpdateExpression": "ADD #stock :quantity, #redeemed :taken",
                    "ConditionExpression": "attribute_exists(#stock)",
                    "ExpressionAttributeNames": names("stock", "redeemed"),
                    "ExpressionAttributeValues": values(quantity=quantity, taken=-quantity),
                }
            }
        )

    def count_for_member(
        self, tenant_id: str, member_id: str, reward_id: str, quantity: int, limit: int | None
    ) -> Guarded:
        """Count what the member redeemed of a reward, refusing beyond the per-member limit."""
        action: dict[str, Any] = {
            "Update": {
                "TableName": self.table_name,
                "Key": to_item(
                    {"PK": keys.member_pk(tenant_id, member_id), "SK": keys.reward_count_sk(reward_id)}
                ),
                "UpdateExpression": "ADD #count :quantity",
                "ExpressionAttributeNames": names("count"),
                "ExpressionAttributeValues": values(quantity=quantity),
            }
        }
        if limit is not None:
            action["Update"]["ConditionExpression"] = "attribute_not_exists(#count) OR #count <= :most"
            action["Update"]["ExpressionAttributeValues"] |= values(most=limit - quantity)

        def refusal(_: dict[str, Any] | None) -> Exception:
            return MemberLimitReachedError(f"at most {limit} of reward {reward_id!r} per member")

        return Guarded(action, refusal)

    def uncount_for_member(self, tenant_id: str, member_id: str, reward_id: str, quantity: int) -> Guarded:
        return Guarded(
            {
                "Update": {
                    "TableName": self.table_name,
                    "Key": to_item(
                        {"PK": keys.member_pk(tenant_id, member_id), "SK": keys.reward_count_sk(reward_id)}
                    ),
                    "UpdateExpression": "ADD #count :quantity",
                    "ExpressionAttributeNames": names("count"),
                    "ExpressionAttributeValues": values(quantity=-quantity),
                }
            }
        )

    # --- redemptions -------------------------------------------------------------------------------
    def put_redemption(self, tenant_id: str, record: RedemptionRecord) -> Guarded:
        item = {
            "PK": keys.member_pk(tenant_id, record.member_id),
            "SK": keys.redemption_sk(record.redemption_id),
            "tenant_id": tenant_id,
            "member_id": record.member_id,
            "redemption_id": record.redemption_id,
            "reward_id": record.reward_id,
            "quantity": record.quantity,
            "points": record.points,
            "cash": record.cash,
            "currency": record.currency,
            "status": record.status,
            "lots": lots_map(record.lots),
            "stock_taken": record.stock_taken,
            "entry_id": record.entry_id,
            "created_at": record.created_at.isoformat(),
            "version": record.version,
        }
        return Guarded(
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": to_item(item),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
        )

    def read_redemption(self, tenant_id: str, member_id: str, redemption_id: str) -> RedemptionRecord | None:
        item = self._get(keys.member_pk(tenant_id, member_id), keys.redemption_sk(redemption_id))
        return _redemption(item) if item else None

    def set_redemption_status(
        self, tenant_id: str, record: RedemptionRecord, status: str, now: datetime
    ) -> Guarded:
        """The update of a requested redemption to `status`, if nobody changed it meanwhile."""
        return Guarded(
            {
                "Update": {
                    "TableName": self.table_name,
                    "Key": to_item(
                        {
                            "PK": keys.member_pk(tenant_id, record.member_id),
                            "SK": keys.redemption_sk(record.redemption_id),
                        }
                    ),
                    "UpdateExpression": "SET #status = :status, #updated_at = :now, #version = :next",
                    "ConditionExpression": "#version = :version AND #status = :requested",
                    "ExpressionAttributeNames": names("status", "updated_at", "version"),
                    "ExpressionAttributeValues": values(
                        status=status,
                        now=now.isoformat(),
                        next=record.version + 1,
                        version=record.version,
                        requested="requested",
                    ),
                }
            }
        )

    def fulfil(self, tenant_id: str, record: RedemptionRecord, now: datetime) -> bool:
        """Mark a requested redemption fulfilled; False when it changed meanwhile (re-read)."""
        try:
            self.client.update_item(
                **self.set_redemption_status(tenant_id, record, "fulfilled", now).action["Update"]
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    # --- holds -------------------------------------------------------------------------------------
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
        return Guarded(
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": to_item(item),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
        )

    def close_hold(
        self, record: HoldRecord, status: str, now: datetime, order_id: str | None = None
    ) -> Guarded:
        """Captured or released: only an open hold as we read it (else re-read and decide again)."""
        assignments: dict[str, Any] = {
            "status": status,
            "closed_at": now.isoformat(),
            "version": record.version + 1,
        }
        if order_id is not None:
            assignments["order_id"] = order_id
        return Guarded(
            {
                "Update": {
                    "TableName": self.table_name,
                    "Key": to_item(
                        {
                            "PK": keys.member_pk(record.tenant_id, record.member_id),
                            "SK": keys.hold_sk(record.hold_id),
                        }
                    ),
                    "UpdateExpression": "SET "
                    + ", ".join(f"#{name} = :{name}" for name in assignments)
                    + " REMOVE #GSI1PK, #GSI1SK",
                    "ConditionExpression": "#version = :expected AND #status = :held",
                    "ExpressionAttributeNames": names(*assignments, "GSI1PK", "GSI1SK"),
                    "ExpressionAttributeValues": values(**assignments, expected=record.version, held="held"),
                }
            }
        )

    def read_hold(self, tenant_id: str, member_id: str, hold_id: str) -> HoldRecord | None:
        item = self._get(keys.member_pk(tenant_id, member_id), keys.hold_sk(hold_id))
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

    def member_counts(self, tenant_id: str, member_id: str) -> dict[str, int]:
        """How many of each reward the member holds (the per-member limits' counters), one Query."""
        items = self.query_all(
            {
                "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
                "ExpressionAttributeValues": values(
                    pk=keys.member_pk(tenant_id, member_id), prefix=keys.reward_count_sk("")
                ),
                "ConsistentRead": True,
            }
        )
        prefix = keys.reward_count_sk("")
        return {str(item["SK"])[len(prefix) :]: int(item.get("count", 0)) for item in items}

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

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        response = self.client.get_item(
            TableName=self.table_name, Key=to_item({"PK": pk, "SK": sk}), ConsistentRead=True
        )
        item = response.get("Item")
        return from_item(item) if item else None


def _instant(moment: datetime) -> str:
    """A UTC instant that sorts as text (the index's sort key)."""
    return moment.astimezone(UTC).isoformat()


def _reward(item: dict[str, Any]) -> RewardRecord:
    reward = Reward.model_validate_json(item["document"])
    return RewardRecord(
        reward_id=item["reward_id"],
        reward=reward.model_copy(update={"stock": item.get("stock")}),
        revision=item["revision"],
    )


def _redemption(item: dict[str, Any]) -> RedemptionRecord:
    return RedemptionRecord(
        redemption_id=item["redemption_id"],
        member_id=item["member_id"],
        reward_id=item["reward_id"],
        quantity=item["quantity"],
        points=item["points"],
        cash=item.get("cash"),
        currency=item["currency"],
        status=item["status"],
        lots=lots_from_map(item.get("lots") or {}),
        stock_taken=bool(item.get("stock_taken")),
        entry_id=item["entry_id"],
        created_at=datetime.fromisoformat(item["created_at"]),
        updated_at=datetime.fromisoformat(item["updated_at"]) if item.get("updated_at") else None,
        version=item["version"],
    )


def _hold(item: dict[str, Any]) -> HoldRecord:
    return HoldRecord(
        tenant_id=item["tenant_id"],
        hold_id=item["hold_id"],
        member_id=item["member_id"],
        points=item["points"],
        status=item["status"],
        lots=lots_from_map(item.get("lots") or {}),
        expires_at=datetime.fromisoformat(item["expires_at"]),
        order_id=item.get("order_id"),
        version=item["version"],
    )
