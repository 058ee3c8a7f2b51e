"""Read a member's whole state straight from the table, to check the ledger adds up."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loyalty.store import keys
from loyalty.store.member_store import lots_from_map
from loyalty.store.table import from_item, to_item


@dataclass(frozen=True)
class MemberState:
    available: int
    pending: int
    held: int
    debt: int
    entries: list[dict[str, object]]
    lots: list[dict[str, object]]
    held_lots: list[dict[str, object]] = field(default_factory=list)  # lots of the open holds
    withheld: int = 0  # a frozen member's earnings: in no lot until released or forfeited

    @property
    def entry_sum(self) -> int:
        return sum(int(entry["points"]) for entry in self.entries)  # type: ignore[call-overload]

    @property
    def lot_sum(self) -> int:
        return sum(int(lot["remaining"]) for lot in self.lots)  # type: ignore[call-overload]

    @property
    def held_lot_sum(self) -> int:
        return sum(int(lot["remaining"]) for lot in self.held_lots)  # type: ignore[call-overload]


def member_state(dynamodb, table: str, tenant_id: str, member_id: str) -> MemberState:  # type: ignore[no-untyped-def]
    items = []
    kwargs = {
        "TableName": table,
        "KeyConditionExpression": "PK = :pk",
        "ExpressionAttributeValues": {":pk": {"S": keys.member_pk(tenant_id, member_id)}},
        "ConsistentRead": True,
    }
    while True:
        page = dynamodb.query(**kwargs)
        items.extend(from_item(item) for item in page["Items"])
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    member = next(item for item in items if item["SK"] == keys.MEMBER_SK)
    return MemberState(
        available=member["available"],
        pending=member["pending"],
        held=member["held"],
        debt=member["debt"],
        withheld=int(member.get("withheld") or 0),
        entries=[item for item in items if item["SK"].startswith(keys.ENTRY_PREFIX)],
        lots=[
            {"expires_on": lot.expires_on, "available_on": lot.available_on, "remaining": lot.remaining}
            for lot in lots_from_map(member.get("lots") or {})
        ],
        held_lots=[
            {"expires_on": lot.expires_on, "available_on": lot.available_on, "remaining": lot.remaining}
            for item in items
            if item["SK"].startswith(keys.HOLD_PREFIX) and item.get("status") == "held"
            for lot in lots_from_map(item.get("lots") or {})
        ],
    )


def assert_adds_up(state: MemberState) -> None:
    """available + pending + held + withheld = sum of ledger entries = the member's lots + the open
    holds' lots + withheld; held = the open holds' lots; nothing negative."""
    total = state.available + state.pending + state.held + state.withheld
    assert total == state.entry_sum == state.lot_sum + state.held_lot_sum + state.withheld, state
    assert state.held == state.held_lot_sum, state
    pending_in_lots = sum(int(lot["remaining"]) for lot in state.lots if lot.get("available_on"))  # type: ignore[call-overload]
    assert state.pending == pending_in_lots, state
    assert min(state.available, state.pending, state.held, state.debt, state.withheld) >= 0, state
    assert all(int(lot["remaining"]) > 0 for lot in state.lots), state  # type: ignore[call-overload]


def items_under(aws, partition: str, prefix: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """The items of one partition whose sort key starts with `prefix`, in order, read consistently
    (the member's tier history, its membership events, an import's stored rows, ...)."""
    page = aws.dynamodb.query(
        TableName=aws.table_name,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
        ExpressionAttributeValues=to_item({":pk": partition, ":prefix": prefix}),
        ConsistentRead=True,
    )
    return [from_item(item) for item in page["Items"]]


def tier_history(aws, tenant_id: str, member_id: str) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """The member's tier history, in order: (from, to, reason)."""
    items = items_under(aws, keys.member_pk(tenant_id, member_id), keys.TIER_CHANGE_PREFIX)
    return [(item["from_tier"], item["to_tier"], item["reason"]) for item in items]
