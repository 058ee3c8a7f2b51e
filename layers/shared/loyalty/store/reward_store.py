"""Items of spending points on the catalog: rewards (with stock), per-member redemption counters
and redemption records. Reads here; writes are `Guarded` transaction items that
`LedgerStore.commit` writes with the member's posting, so stock, limits and records change in
the same transaction as the points (all or nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from loyalty.domain.ledger import Lot
from loyalty.errors import MemberLimitReachedError, OutOfStockError
from loyalty.models.rewards import Reward
from loyalty.store import keys
from loyalty.store.codec import decode
from loyalty.store.member_store import lots_from_map, lots_map
from loyalty.store.table import Guarded, TableStore, from_item, names, put, to_item, update, values


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
    entry_id: str
    created_at: datetime
    version: int
    stock_taken: bool = False
    updated_at: datetime | None = None


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
        expression = "SET " + ", ".join(f"#{name} = :{name}" for name in assignments)
        expression += ", #revision = if_not_exists(#revision, :zero) + :one"
        if reward.stock is None:
            expression += " REMOVE #stock"
        else:
            expression += ", #stock = :stock"
        extra = {"stock": reward.stock} if reward.stock is not None else {}
        response = self.client.update_item(
            TableName=self.table_name,
            Key=to_item({"PK": keys.tenant_pk(tenant_id), "SK": keys.reward_sk(reward_id)}),
            UpdateExpression=expression,
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
        key = {"PK": keys.tenant_pk(tenant_id), "SK": keys.reward_sk(record.reward_id)}
        if record.reward.stock is None:
            condition = "#revision = :revision AND attribute_not_exists(#stock)"
            expression = "ADD #redeemed :quantity"
        else:
            condition = "#revision = :revision AND #stock >= :quantity"
            expression = "SET #stock = #stock - :quantity ADD #redeemed :quantity"

        def refusal(stored: dict[str, Any] | None) -> Exception | None:
            item = stored  # as the cancellation reason carried it
            if item and item.get("revision") == record.revision and "stock" in item:
                return OutOfStockError(
                    f"{item['stock']} left of reward {record.reward_id!r}, {quantity} wanted"
                )
            return None  # the reward changed meanwhile: price it again

        action = update(
            self.table_name,
            key,
            expression,
            condition,
            names("revision", "stock", "redeemed"),
            values(revision=record.revision, quantity=quantity),
            return_old=True,
        )
        return Guarded(action, refusal)

    def give_back_stock(self, tenant_id: str, reward_id: str, quantity: int) -> Guarded:
        """Stock back from a cancelled redemption (if the reward still counts stock)."""
        return Guarded(
            update(
                self.table_name,
                {"PK": keys.tenant_pk(tenant_id), "SK": keys.reward_sk(reward_id)},
                "ADD #stock :quantity, #redeemed :taken",
                "attribute_exists(#stock)",
                names("stock", "redeemed"),
                values(quantity=quantity, taken=-quantity),
            )
        )

    def count_for_member(
        self, tenant_id: str, member_id: str, reward_id: str, quantity: int, limit: int | None
    ) -> Guarded:
        """Count what the member redeemed of a reward, refusing beyond the per-member limit."""
        most = {} if limit is None else {"most": limit - quantity}
        condition = None if limit is None else "attribute_not_exists(#count) OR #count <= :most"
        action = self._count(tenant_id, member_id, reward_id, quantity, condition, most)

        def refusal(_: dict[str, Any] | None) -> Exception:
            return MemberLimitReachedError(f"at most {limit} of reward {reward_id!r} per member")

        return Guarded(action, refusal)

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

    def uncount_for_member(self, tenant_id: str, member_id: str, reward_id: str, quantity: int) -> Guarded:
        return Guarded(self._count(tenant_id, member_id, reward_id, -quantity))

    def _count(
        self,
        tenant_id: str,
        member_id: str,
        reward_id: str,
        quantity: int,
        condition: str | None = None,
        bounds: dict[str, int] | None = None,
    ) -> dict[str, Any]:
        return update(
            self.table_name,
            {"PK": keys.member_pk(tenant_id, member_id), "SK": keys.reward_count_sk(reward_id)},
            "ADD #count :quantity",
            condition,
            names("count"),
            values(quantity=quantity, **(bounds or {})),
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
        return Guarded(put(self.table_name, item, "attribute_not_exists(PK)"))

    def read_redemption(self, tenant_id: str, member_id: str, redemption_id: str) -> RedemptionRecord | None:
        item = self.read_item(keys.member_pk(tenant_id, member_id), keys.redemption_sk(redemption_id))
        return _redemption(item) if item else None

    def set_redemption_status(
        self, tenant_id: str, record: RedemptionRecord, status: str, now: datetime
    ) -> Guarded:
        """The update of a requested redemption to `status`, if nobody changed it meanwhile."""
        return Guarded(
            update(
                self.table_name,
                {
                    "PK": keys.member_pk(tenant_id, record.member_id),
                    "SK": keys.redemption_sk(record.redemption_id),
                },
                "SET #status = :status, #updated_at = :now, #version = :next",
                "#version = :version AND #status = :requested",
                names("status", "updated_at", "version"),
                values(
                    status=status,
                    now=now.isoformat(),
                    next=record.version + 1,
                    version=record.version,
                    requested="requested",
                ),
            )
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


def _reward(item: dict[str, Any]) -> RewardRecord:
    reward = Reward.model_validate_json(item["document"])
    return decode(RewardRecord, item, reward=reward.model_copy(update={"stock": item.get("stock")}))


def _redemption(item: dict[str, Any]) -> RedemptionRecord:
    return decode(RedemptionRecord, item, lots=lots_from_map(item.get("lots") or {}))
