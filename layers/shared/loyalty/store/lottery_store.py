"""Lotteries (a document under the tenant), each limited prize's stock (an item per prize, so a
draw takes one with a condition), the member's draws per day (limit) and every draw's record."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from loyalty.errors import MemberLimitReachedError, TransientError
from loyalty.models.rewards import Lottery
from loyalty.store import keys
from loyalty.store.table import Guarded, TableStore, from_item, names, put, to_item, update, values


@dataclass(frozen=True)
class LotteryRecord:
    lottery_id: str
    lottery: Lottery
    stock: dict[str, int]  # left of each limited prize


class LotteryStore(TableStore):
    def put_lottery(self, tenant_id: str, lottery_id: str, lottery: Lottery, now: datetime) -> None:
        """The document and each limited prize's stock (PUT sets what is left), together."""
        pk = keys.tenant_pk(tenant_id)
        document = {
            "PK": pk,
            "SK": keys.lottery_sk(lottery_id),
            "lottery_id": lottery_id,
            "document": lottery.model_dump_json(),
            "updated_at": now.isoformat(),
        }
        actions: list[dict[str, Any]] = [put(self.table_name, document)]
        for prize in lottery.prizes:
            if prize.stock is not None:
                item = {
                    "PK": pk,
                    "SK": keys.prize_sk(lottery_id, prize.prize_id),
                    "prize_id": prize.prize_id,
                    "stock": prize.stock,
                }
                actions.append(put(self.table_name, item))
        if self.transact(actions) is not None:  # no conditions: only a race with another write
            raise TransientError("the lottery changed meanwhile; retry")

    def read_lottery(self, tenant_id: str, lottery_id: str) -> LotteryRecord | None:
        pk = keys.tenant_pk(tenant_id)
        response = self.client.get_item(
            TableName=self.table_name,
            Key=to_item({"PK": pk, "SK": keys.lottery_sk(lottery_id)}),
            ConsistentRead=True,
        )
        if "Item" not in response:
            return None
        lottery = Lottery.model_validate_json(from_item(response["Item"])["document"])
        prizes = self.client.query(
            TableName=self.table_name,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues=values(pk=pk, prefix=keys.prize_sk(lottery_id, "")),
            ConsistentRead=True,
        )
        stock = {item["prize_id"]: item["stock"] for item in map(from_item, prizes.get("Items", []))}
        return LotteryRecord(lottery_id, lottery, stock)

    def take_prize(self, tenant_id: str, lottery_id: str, prize_id: str) -> Guarded:
        """One of a limited prize, only while one is left (else the draw re-reads and falls back)."""
        return Guarded(
            update(
                self.table_name,
                {"PK": keys.tenant_pk(tenant_id), "SK": keys.prize_sk(lottery_id, prize_id)},
                "SET #stock = #stock - :one",
                "#stock >= :one",
                names("stock"),
                values(one=1),
            )
        )

    def count_draw(
        self, tenant_id: str, member_id: str, lottery_id: str, day: str, limit: int | None
    ) -> Guarded:
        action = update(
            self.table_name,
            {"PK": keys.member_pk(tenant_id, member_id), "SK": keys.draw_count_sk(lottery_id, day)},
            "ADD #count :one",
            None if limit is None else "attribute_not_exists(#count) OR #count < :limit",
            names("count"),
            values(one=1, **({} if limit is None else {"limit": limit})),
        )

        def refusal(_: dict[str, Any] | None) -> Exception:
            return MemberLimitReachedError(f"at most {limit} draws of lottery {lottery_id!r} a day")

        return Guarded(action, refusal)

    def put_draw(self, tenant_id: str, member_id: str, draw: dict[str, Any], prize_table: Lottery) -> Guarded:
        """The draw's record: roll, table size, prize drawn and won, and the prize table it was
        mapped on (a map, as `read_draw` gives it back). Written once, never changed."""
        item = {
            "PK": keys.member_pk(tenant_id, member_id),
            "SK": keys.draw_sk(draw["draw_id"]),
            "tenant_id": tenant_id,
            **draw,
            "prize_table": prize_table.model_dump(mode="json"),
        }
        return Guarded(put(self.table_name, item, "attribute_not_exists(PK)"))

    def read_draw(self, tenant_id: str, member_id: str, draw_id: str) -> dict[str, Any] | None:
        """The draw's record with its prize table as an object, whichever way it was stored."""
        response = self.client.get_item(
            TableName=self.table_name,
            Key=to_item({"PK": keys.member_pk(tenant_id, member_id), "SK": keys.draw_sk(draw_id)}),
            ConsistentRead=True,
        )
        if "Item" not in response:
            return None
        draw = from_item(response["Item"])
        if isinstance(draw.get("prize_table"), str):  # records written before 2026-12: a JSON string
            draw["prize_table"] = json.loads(draw["prize_table"])
        return draw

    def member_draws(self, tenant_id: str, member_id: str, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` of the member's draw records (one Query of the member's DRAW# items)."""
        response = self.client.query(
            TableName=self.table_name,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues=values(
                pk=keys.member_pk(tenant_id, member_id), prefix=keys.draw_sk("")
            ),
            ConsistentRead=True,
            Limit=limit,
        )
        return [from_item(item) for item in response.get("Items", [])]
