"""The customers snapshot: a tenant's members paged through the keys-only index GSI4, checkpointed.

| item                               | PK                           | SK                  |
|------------------------------------|------------------------------|---------------------|
| tenants with reports (registry)    | RPTTENANTS                   | T#{tenant}          |
| one shard's progress in a snapshot | T#{tenant}#SNAP#{as_of}      | CKPT#{shard}        |
| rows of one page of members        | T#{tenant}#SNAP#{as_of}      | PART#{shard}#{page} |
| the latest snapshot's figures      | T#{tenant}#RPT               | CUSTOMERS           |

Each page of (up to 100) members is read back from the table in one batch; its rows (purchasers
only) and the shard's next cursor are written in one transaction conditioned on the page number
read, so a stopped or repeated run never counts a page twice or skips one. Snapshot items expire
by TTL a week later (clean-up only; the result item holds what reports read)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from loyalty.store import keys
from loyalty.store.table import TableStore, from_item, put, to_item, values

PAGE = 100
REGISTRY_PK = "RPTTENANTS"
KEEP = timedelta(days=7)


@dataclass(frozen=True)
class ShardProgress:
    page: int = 0  # pages written so far
    cursor: str | None = None  # the index's LastEvaluatedKey after them (JSON), None at the start
    done: bool = False


class PageTakenError(Exception):
    """Another run wrote this page first: re-read the progress."""


def snapshot_pk(tenant_id: str, as_of: date) -> str:
    return f"T#{tenant_id}#SNAP#{as_of.isoformat()}"


class SnapshotStore(TableStore):
    def tenants(self) -> list[str]:
        items = self.query_all(
            {"KeyConditionExpression": "PK = :pk", "ExpressionAttributeValues": to_item({":pk": REGISTRY_PK})}
        )
        return sorted(str(item["SK"])[2:] for item in items)

    def progress(self, tenant_id: str, as_of: date) -> dict[int, ShardProgress]:
        items = self.query_all(
            {
                "KeyConditionExpression": "PK = :pk AND begins_with(SK, :ckpt)",
                "ExpressionAttributeValues": to_item(
                    {":pk": snapshot_pk(tenant_id, as_of), ":ckpt": "CKPT#"}
                ),
            }
        )
        return {
            int(str(item["SK"]).split("#")[1]): ShardProgress(
                int(item["page"]), item.get("cursor"), bool(item.get("done"))
            )
            for item in items
        }

    def member_page(
        self, tenant_id: str, shard: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of the shard's members (whole items, read consistently) and the next cursor."""
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": "GSI4",
            "KeyConditionExpression": "GSI4PK = :pk",
            "ExpressionAttributeValues": to_item({":pk": keys.tenant_members_pk_for_shard(tenant_id, shard)}),
            "Limit": PAGE,
        }
        if cursor:
            request["ExclusiveStartKey"] = json.loads(cursor)
        response = self.client.query(**request)
        page_keys = [{"PK": item["PK"], "SK": item["SK"]} for item in response.get("Items", [])]
        members = [from_item(item) for item in self.read_items(page_keys)]
        following = response.get("LastEvaluatedKey")
        return members, json.dumps(following, sort_keys=True) if following else None

    def save_page(
        self,
        tenant_id: str,
        as_of: date,
        shard: int,
        seen: ShardProgress,
        rows: list[str],
        cursor: str | None,
        now: datetime,
    ) -> ShardProgress:
        pk = snapshot_pk(tenant_id, as_of)
        expires = int((now + KEEP).timestamp())
        after = ShardProgress(seen.page + 1, cursor, cursor is None)
        progress = {
            "PK": pk,
            "SK": f"CKPT#{shard}",
            "page": after.page,
            "done": after.done,
            "ttl_epoch": expires,
        }
        if cursor:
            progress["cursor"] = cursor
        part = {"PK": pk, "SK": f"PART#{shard}#{seen.page:06d}", "rows": ";".join(rows), "ttl_epoch": expires}
        condition = "attribute_not_exists(PK)" if seen.page == 0 else "page = :page"
        checked = values(page=seen.page) if seen.page else None
        cancelled = self.transact(
            [
                put(self.table_name, progress, condition, None, checked),
                put(self.table_name, part, "attribute_not_exists(PK)"),
            ]
        )
        if cancelled is not None:
            raise PageTakenError(f"{tenant_id} shard {shard} page {seen.page}")
        return after

    def rows(self, tenant_id: str, as_of: date) -> list[str]:
        items = self.query_all(
            {
                "KeyConditionExpression": "PK = :pk AND begins_with(SK, :part)",
                "ExpressionAttributeValues": to_item(
                    {":pk": snapshot_pk(tenant_id, as_of), ":part": "PART#"}
                ),
            }
        )
        return [row for item in items for row in str(item.get("rows") or "").split(";") if row]

    def put_result(self, tenant_id: str, as_of: date, figures: dict[str, Any], now: datetime) -> None:
        item = {
            "PK": f"T#{tenant_id}#RPT",
            "SK": "CUSTOMERS",
            "as_of": as_of.isoformat(),
            "computed_at": now.isoformat(),
            "figures": json.dumps(figures, sort_keys=True),
        }
        self.client.put_item(TableName=self.table_name, Item=to_item(item))

    def result(self, tenant_id: str) -> tuple[date, dict[str, Any]] | None:
        response = self.client.get_item(
            TableName=self.table_name, Key=to_item({"PK": f"T#{tenant_id}#RPT", "SK": "CUSTOMERS"})
        )
        item = response.get("Item")
        if not item:
            return None
        plain = from_item(item)
        return date.fromisoformat(plain["as_of"]), json.loads(plain["figures"])
