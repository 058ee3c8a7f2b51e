"""The ledger's invariants, checked against the raw items in the table after every step.

Owns reading a member's partition straight from DynamoDB with consistent reads (never through the
product's store) and the named invariants below. A member is read incrementally: its member item
(balance and lots) every time, and only the ledger entries written since the last look (entries
are immutable; `check_from_scratch` re-reads everything at the end to prove it). Every violation
raises `InvariantViolation`, whose message starts with the invariant's name.

Lots are read from the member item's `lots` map ("A#{expires_on}" or
"P#{available_on}#{expires_on}" -> points), and from separate "MEMBER#..." lot items should a
layout keep them there: the checks do not depend on where the product keeps them.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from loyalty.store import keys
from loyalty.store.table import from_item
from tests.simulation.model import LedgerModel

NOTHING_NEGATIVE = "nothing is negative"
BALANCE_IS_LEDGER = "available + pending = sum of ledger entries"
LEDGER_IS_LOTS = "sum of ledger entries = sum of open lots"
ONE_ENTRY_PER_POSTING = "one ledger entry per posting, none missing (seq 1..version)"
AT_MOST_ONCE = "each natural id applied at most once"
REFUNDS_BOUNDED = "refunded points never exceed what the order earned"
MATCHES_MODEL = "the ledger holds what the independent model holds"
# Checked by the simulator, on what callers heard and what was committed:
ONLY_ACCEPTABLE_COMMITS = "only operations a correct ledger accepts are committed"
ANSWERS_TRUE = "callers hear what happened (answers, replays and refusals)"
CAUSED_FAILURES = "nothing fails without an injected cause"
DELIVERED_ONCE = "every message is credited exactly once or dead-lettered"

NEVER = "9999-12-31"


class InvariantViolation(AssertionError):
    def __init__(self, invariant: str, detail: str) -> None:
        super().__init__(f"{invariant}: {detail}")
        self.invariant = invariant
        self.detail = detail


def violation(invariant: str, detail: str) -> InvariantViolation:
    return InvariantViolation(invariant, detail)


@dataclass
class Seen:
    """What has been read of one member's ledger so far."""

    last_seq: int = 0
    entry_sum: int = 0
    orders: set[str] = field(default_factory=set)


@dataclass
class OrderSeen:
    earned: int
    clawed: int = 0


class LedgerObserver:
    def __init__(self, dynamodb: Any, table: str, model: LedgerModel, clock: Callable[[], datetime]) -> None:
        self.dynamodb = dynamodb
        self.table = table
        self.model = model
        self.clock = clock
        self.members: dict[tuple[str, str], Seen] = {}
        self.natural_ids: dict[tuple[str, str, str], tuple[str, int]] = {}
        self.orders: dict[tuple[str, str], OrderSeen] = {}
        self.reads = 0

    def check(self, tenant_id: str, member_id: str) -> None:
        """Every invariant for one member, as the table holds it now."""
        seen = self.members.setdefault((tenant_id, member_id), Seen())
        where = f"member {tenant_id}/{member_id}"
        items = self._partition(keys.member_pk(tenant_id, member_id), keys.entry_sk(seen.last_seq + 1))
        entries = [item for item in items if item["SK"].startswith(keys.ENTRY_PREFIX)]
        member = next((item for item in items if item["SK"] == keys.MEMBER_SK), None)
        lots = _lots(member, items)
        expected = self.model.member(tenant_id, member_id)
        if member is None:
            if expected is not None or entries or lots:
                raise violation(
                    MATCHES_MODEL,
                    f"{where} has no member item, but {len(entries)} new entries and {len(lots)} lots; "
                    f"the model {'has' if expected else 'does not have'} the member",
                )
            return
        available, pending, held, debt = (member[name] for name in ("available", "pending", "held", "debt"))
        version = member["version"]
        negative = {
            name: member[name] for name in ("available", "pending", "held", "debt") if member[name] < 0
        }
        negative.update({lot.where: lot.remaining for lot in lots if lot.remaining <= 0})
        if negative:
            raise violation(NOTHING_NEGATIVE, f"{where}: {negative}")

        entry_sum = seen.entry_sum + sum(entry["points"] for entry in entries)
        lot_sum = sum(lot.remaining for lot in lots)
        if available + pending != entry_sum:
            raise violation(
                BALANCE_IS_LEDGER,
                f"{where}: available {available} + pending {pending} = {available + pending}, "
                f"ledger entries (seq 1..{seen.last_seq + len(entries)}) sum to {entry_sum}",
            )
        if entry_sum != lot_sum:
            raise violation(
                LEDGER_IS_LOTS,
                f"{where}: ledger entries sum to {entry_sum}, open lots hold {lot_sum}: {lots}",
            )
        seqs = [entry["seq"] for entry in entries]
        if seqs != list(range(seen.last_seq + 1, version + 1)):
            raise violation(
                ONE_ENTRY_PER_POSTING,
                f"{where}: version {version}, entries seen up to seq {seen.last_seq}, new seqs {seqs}",
            )

        for entry in entries:
            self._natural_id(tenant_id, member_id, entry)
            self._refunds(tenant_id, member_id, entry, seen)

        if expected is None:
            raise violation(MATCHES_MODEL, f"{where} exists, the model never accepted its enrolment")
        today = self.model.today(tenant_id, self.clock())
        table_lots: dict[date | None, int] = {}
        for lot in lots:
            table_lots[lot.expires_on] = table_lots.get(lot.expires_on, 0) + lot.remaining
        still_pending = sum(lot.remaining for lot in lots if lot.available_on and lot.available_on > today)
        table_view = (available + pending, still_pending, debt, held, version, table_lots)
        model_view = (
            expected.points,
            expected.pending(today),
            expected.debt,
            0,
            expected.entries,
            expected.by_expiry(),
        )
        if table_view != model_view:
            raise violation(
                MATCHES_MODEL,
                f"{where} on {today}: table (points, pending today, debt, held, entries, lots by expiry) = "
                f"{_show(table_view)}, model = {_show(model_view)}",
            )
        for order_id in seen.orders:
            observed = self.orders[(tenant_id, order_id)]
            order = self.model.orders.get((tenant_id, order_id))
            modelled = (order.points_earned, order.clawed) if order else None
            if (observed.earned, observed.clawed) != modelled:
                raise violation(
                    MATCHES_MODEL,
                    f"order {tenant_id}/{order_id}: ledger entries earned {observed.earned} and clawed "
                    f"back {observed.clawed}; the model (earned, clawed) = {modelled}",
                )
        seen.orders.clear()
        seen.last_seq, seen.entry_sum = version, entry_sum

    def check_from_scratch(self) -> int:
        """Re-read every member the model knows with a fresh observer: entries were never rewritten."""
        fresh = LedgerObserver(self.dynamodb, self.table, self.model, self.clock)
        for tenant_id, member_id in sorted(self.model.members):
            fresh.check(tenant_id, member_id)
            before, after = self.members.get((tenant_id, member_id)), fresh.members[(tenant_id, member_id)]
            if before is not None and (before.last_seq, before.entry_sum) != (
                after.last_seq,
                after.entry_sum,
            ):
                raise violation(
                    BALANCE_IS_LEDGER,
                    f"member {tenant_id}/{member_id}: entries re-read from scratch (seq 1..{after.last_seq}) "
                    f"sum to {after.entry_sum}, read step by step to {before.entry_sum}",
                )
        self.reads += fresh.reads
        return len(self.model.members)

    # --- helpers -------------------------------------------------------------------------------------
    def _natural_id(self, tenant_id: str, member_id: str, entry: dict[str, Any]) -> None:
        kind, source = entry.get("type"), entry.get("source")
        if kind == "earn" and source == "signup":
            natural = ("enroll", member_id)
        elif kind == "earn" and source == "purchase":
            natural = ("order_id", entry["order_id"])
        elif kind == "clawback":
            natural = ("refund_id", entry["refund_id"])
        elif kind == "adjust":
            natural = ("adjustment_id", entry["adjustment_id"])
        else:
            return
        key = (tenant_id, *natural)
        if key in self.natural_ids:
            first_member, first_seq = self.natural_ids[key]
            raise violation(
                AT_MOST_ONCE,
                f"{natural[0]} {natural[1]!r} of tenant {tenant_id} applied again: member {member_id} "
                f"seq {entry['seq']}, first at member {first_member} seq {first_seq}",
            )
        self.natural_ids[key] = (member_id, entry["seq"])

    def _refunds(self, tenant_id: str, member_id: str, entry: dict[str, Any], seen: Seen) -> None:
        if entry.get("type") == "earn" and entry.get("source") == "purchase":
            order_id = entry["order_id"]
            self.orders[(tenant_id, order_id)] = OrderSeen(entry["points"] + entry.get("debt_settled", 0))
            seen.orders.add(order_id)
        elif entry.get("type") == "clawback":
            order_id = entry.get("order_id", "")
            order = self.orders.get((tenant_id, order_id))
            clawed = -entry["points"] + entry.get("debt_incurred", 0)
            if order is None:
                raise violation(
                    REFUNDS_BOUNDED,
                    f"member {tenant_id}/{member_id} seq {entry['seq']}: clawback of {clawed} for order "
                    f"{order_id!r}, which earned nothing in this ledger",
                )
            order.clawed += clawed
            seen.orders.add(order_id)
            if order.clawed > order.earned or clawed < 0:
                raise violation(
                    REFUNDS_BOUNDED,
                    f"order {tenant_id}/{order_id}: earned {order.earned}, refunds took back {order.clawed} "
                    f"(this clawback {clawed}, member {member_id} seq {entry['seq']})",
                )

    def _partition(self, pk: str, low: str) -> list[dict[str, Any]]:
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "PK = :pk AND SK >= :low",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":low": {"S": low}},
            "ConsistentRead": True,
        }
        items: list[dict[str, Any]] = []
        while True:
            self.reads += 1
            page = self.dynamodb.query(**request)
            items.extend(from_item(item) for item in page["Items"])
            if "LastEvaluatedKey" not in page:
                return items
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@dataclass(frozen=True)
class StoredLot:
    where: str
    expires_on: date | None
    available_on: date | None
    remaining: int


def _day(text: str) -> date | None:
    return None if text == NEVER else date.fromisoformat(text)


def _lots(member: dict[str, Any] | None, items: list[dict[str, Any]]) -> list[StoredLot]:
    lots = []
    for key, remaining in ((member or {}).get("lots") or {}).items():
        parts = key.split("#")
        available_on = date.fromisoformat(parts[1]) if parts[0] == "P" else None
        lots.append(StoredLot(f"lots[{key}]", _day(parts[-1]), available_on, int(remaining)))
    for item in items:
        if item["SK"].startswith(keys.MEMBER_SK + "#") and "remaining" in item:
            available_on = date.fromisoformat(item["available_on"]) if item.get("available_on") else None
            lots.append(StoredLot(item["SK"], _day(item["expires_on"]), available_on, item["remaining"]))
    return lots


class RawDynamoDB:
    """Queries DynamoDB Local over plain HTTP (DynamoDB's JSON protocol), without botocore.

    The checker reads after every step, and botocore's per-call cost (validation, signing, the
    moto stub every client passes through under `mock_aws`) was most of that: this is ~1 ms.
    DynamoDB Local does not verify signatures; it only keys its databases by access key and
    region, which `Authorization` names like any SigV4 request."""

    def __init__(self, endpoint: str, region: str, access_key: str) -> None:
        host, _, port = endpoint.removeprefix("http://").rstrip("/").partition(":")
        self._address = (host, int(port or 80))
        self._headers = {
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Date": "20260101T000000Z",
            "Authorization": f"AWS4-HMAC-SHA256 Credential={access_key}/20260101/{region}/dynamodb/"
            "aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=0",
        }
        self._connection: http.client.HTTPConnection | None = None

    @classmethod
    def usable(
        cls, endpoint: str | None, region: str, access_key: str | None, table: str
    ) -> RawDynamoDB | None:
        """A raw reader when `endpoint` is a local http endpoint that sees `table`, else None."""
        if not endpoint or not endpoint.startswith("http://") or not access_key:
            return None
        reader = cls(endpoint, region, access_key)
        try:
            reader.call("DescribeTable", {"TableName": table})
        except (OSError, RuntimeError):
            return None
        return reader

    def query(self, **request: Any) -> dict[str, Any]:
        return self.call("Query", request)

    def call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(request)
        headers = {**self._headers, "X-Amz-Target": f"DynamoDB_20120810.{operation}"}
        for attempt in (1, 2):
            if self._connection is None:
                self._connection = http.client.HTTPConnection(*self._address, timeout=30)
            try:
                self._connection.request("POST", "/", body, headers)
                response = self._connection.getresponse()
                payload = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self._connection.close()
                self._connection = None
                if attempt == 2:
                    raise
        if response.status != 200:
            raise RuntimeError(f"DynamoDB Local answered {response.status} to {operation}: {payload[:500]!r}")
        result: dict[str, Any] = json.loads(payload)
        return result


def _show(view: tuple[Any, ...]) -> str:
    *numbers, lots = view
    shown = {
        ("never" if day is None else day.isoformat()): points
        for day, points in sorted(lots.items(), key=lambda item: (item[0] is None, item[0] or date.min))
    }
    return f"({', '.join(str(number) for number in numbers)}, {shown})"
