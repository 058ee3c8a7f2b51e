"""The ledger's invariants, checked against the raw items in the table after every step.

Owns reading a member's partition straight from DynamoDB with consistent reads (never through the
product's store) and the named invariants below. A member is read incrementally: its member item
(balance and lots) every time, and only the ledger entries written since the last look (entries
are immutable; `check_from_scratch` re-reads everything at the end to prove it); its open holds,
per-reward counts and daily draw counts when the step may have changed them (or it holds points
on a hold). Every violation raises `InvariantViolation`, whose message starts with the invariant's
name.

Lots are read from the member item's `lots` map ("A#{expires_on}" or
"P#{available_on}#{expires_on}" -> points), and from separate "MEMBER#..." lot items should a
layout keep them there: the checks do not depend on where the product keeps them. Held points
live on the open holds (`HOLD#` items with their own `lots` map), so

    available + pending + held + withheld = sum of ledger entries = the member's lots + the open
    holds' lots + withheld.

Outside the member's partition: each catalog reward's stock and `redeemed` counter (stock never
below zero, and what was taken is what the redemptions not cancelled took), each limited lottery
prize's stock, and each coupon with its member reference (used at most once, by its owner).
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from loyalty.operations.holds import PARTLY_CAPTURED
from loyalty.store import keys
from loyalty.store.table import from_item
from tests.simulation.oracle import LedgerModel, MemberModel

NOTHING_NEGATIVE = "nothing is negative"
BALANCE_IS_LEDGER = "available + pending + held + withheld = sum of ledger entries"
LEDGER_IS_LOTS = "sum of ledger entries = sum of open lots (the member's and its open holds')"
HELD_IS_HOLDS = "held = the points on the member's open holds"
ONE_ENTRY_PER_POSTING = "one ledger entry per posting, none missing (seq 1..version)"
AT_MOST_ONCE = "each natural id applied at most once"
REFUNDS_BOUNDED = "refunded points never exceed what the order earned"
CAPTURE_BOUNDED = "a hold's refunds give back at most what its capture spent, and what the model says"
STOCK_KEPT = "stock never below zero, and stock taken = redemptions not cancelled"
LIMITS_KEPT = "per-member limits and daily draw limits are never exceeded"
COUPON_ONCE = "a coupon is used at most once, by its owner, and says so on both its items"
MATCHES_MODEL = "the ledger holds what the independent model holds"
# Checked by the simulator, on what callers heard and what was committed:
ONLY_ACCEPTABLE_COMMITS = "only operations a correct ledger accepts are committed"
ANSWERS_TRUE = "callers hear what happened (answers, replays and refusals)"
CAUSED_FAILURES = "nothing fails without an injected cause"
DELIVERED_ONCE = "every message is credited exactly once or dead-lettered"
# Checked by the simulator after a scheduled run that finished (see simulator.py):
EXPIRED_IN_TIME = "points past their last day are expired by the next complete expiry run"
REVIEWED_IN_TIME = "a member whose review day has come is reviewed by the next complete tiers run"
HOLDS_LAPSE = "a hold past its expiry is released by the next complete sweep (or the spend before)"

NEVER = "9999-12-31"
# The parts of a member's partition beyond its entries and member item, read when a step may
# have changed them.
HOLDS, COUNTS, DRAWS = "holds", "reward counts", "draw counts"


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

    def check(self, tenant_id: str, member_id: str, parts: frozenset[str] = frozenset()) -> None:
        """Every invariant for one member, as the table holds it now; `parts` names the items
        beyond entries and member item the step may have changed (holds are read anyway while
        the table or the model says points are held)."""
        seen = self.members.setdefault((tenant_id, member_id), Seen())
        where = f"member {tenant_id}/{member_id}"
        pk = keys.member_pk(tenant_id, member_id)
        items = self._partition(pk, keys.entry_sk(seen.last_seq + 1), keys.MEMBER_SK + "#~")
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
        withheld = int(member.get("withheld") or 0)
        version = member["version"]
        negative = {
            name: member.get(name, 0)
            for name in ("available", "pending", "held", "debt", "withheld")
            if member.get(name, 0) < 0
        }
        negative.update({lot.where: lot.remaining for lot in lots if lot.remaining <= 0})
        if negative:
            raise violation(NOTHING_NEGATIVE, f"{where}: {negative}")

        holds = counts = draws = None
        if HOLDS in parts or held or (expected and expected.held):
            holds = self._holds(pk, where)
        if COUNTS in parts:
            counts = self._counts(pk, keys.reward_count_sk(""), where)
        if DRAWS in parts:
            draws = self._counts(pk, keys.draw_count_sk("", "")[:-1], where)  # "DRAWCOUNT#"

        entry_sum = seen.entry_sum + sum(entry["points"] for entry in entries)
        lot_sum = sum(lot.remaining for lot in lots)
        if available + pending + held + withheld != entry_sum:
            raise violation(
                BALANCE_IS_LEDGER,
                f"{where}: available {available} + pending {pending} + held {held} + withheld {withheld}"
                f" = {available + pending + held + withheld}, ledger entries"
                f" (seq 1..{seen.last_seq + len(entries)}) "
                f"sum to {entry_sum}",
            )
        if holds is not None:
            on_holds = sum(points for points, _ in holds.values())
            in_lots = sum(sum(by_expiry.values()) for _, by_expiry in holds.values())
            if held != on_holds or held != in_lots:
                raise violation(
                    HELD_IS_HOLDS,
                    f"{where}: held {held}, open holds hold {on_holds} points in lots of {in_lots}: {holds}",
                )
            if entry_sum != lot_sum + held + withheld:
                raise violation(
                    LEDGER_IS_LOTS,
                    f"{where}: ledger entries sum to {entry_sum}, the member's lots hold {lot_sum}, "
                    f"its open holds {held} and withheld {withheld}: {lots}",
                )
        elif entry_sum != lot_sum + held + withheld:
            raise violation(
                LEDGER_IS_LOTS,
                f"{where}: ledger entries sum to {entry_sum}, lots hold {lot_sum} (+ held {held}, "
                f"+ withheld {withheld}): {lots}",
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
        self._limits(tenant_id, where, counts, draws)
        today = self.model.today(tenant_id, self.clock())
        table_lots: dict[date | None, int] = {}
        for lot in lots:
            table_lots[lot.expires_on] = table_lots.get(lot.expires_on, 0) + lot.remaining
        still_pending = sum(lot.remaining for lot in lots if lot.available_on and lot.available_on > today)
        stored_tier = member.get("tier") or {}
        table_view = (
            available + pending,
            still_pending,
            debt,
            held,
            version,
            (stored_tier.get("id"), stored_tier.get("review_on"), stored_tier.get("grace_until")),
            table_lots,
            (withheld, member.get("status") or "active"),
        )
        model_view = (
            expected.points,
            expected.pending(today),
            expected.debt,
            expected.held,
            expected.entries,
            self._tier(tenant_id, expected),
            expected.by_expiry(),
            (expected.withheld, "frozen" if expected.frozen else "active"),
        )
        if table_view != model_view:
            raise violation(
                MATCHES_MODEL,
                f"{where} on {today}: table (points, pending today, debt, held, entries, tier, lots by "
                f"expiry, (withheld, status)) = {_show(table_view)}, model = {_show(model_view)}",
            )
        self._parts(tenant_id, member_id, expected, holds, counts, draws)
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

    def _tier(self, tenant_id: str, expected: MemberModel) -> tuple[str | None, str | None, str | None]:
        ladder = self.model.tenants[tenant_id].ladder
        status = expected.tier
        tier_id = ladder.tiers[status.level].tier_id if ladder and status.level else None
        return (
            tier_id,
            status.review_on.isoformat() if status.review_on else None,
            status.grace_until.isoformat() if status.grace_until else None,
        )

    def _holds(self, pk: str, where: str) -> dict[str, tuple[int, dict[date | None, int]]]:
        """The member's open holds: hold id -> (points, lots by expiry)."""
        found: dict[str, tuple[int, dict[date | None, int]]] = {}
        for item in self._partition(pk, keys.HOLD_PREFIX, keys.HOLD_PREFIX + "~", open_holds=True):
            by_expiry: dict[date | None, int] = {}
            for lot in _lots(item, []):
                if lot.remaining <= 0:
                    raise violation(
                        NOTHING_NEGATIVE, f"{where}: hold {item['hold_id']} {lot.where} {lot.remaining}"
                    )
                by_expiry[lot.expires_on] = by_expiry.get(lot.expires_on, 0) + lot.remaining
            found[item["hold_id"]] = (item["points"], by_expiry)
        return found

    def _counts(self, pk: str, prefix: str, where: str) -> dict[str, int]:
        """Counter items under one prefix: the rest of the sort key -> count."""
        counts = {}
        for item in self._partition(pk, prefix, prefix + "~"):
            if item.get("count", 0) < 0:
                raise violation(NOTHING_NEGATIVE, f"{where}: {item['SK']} count {item['count']}")
            counts[item["SK"].removeprefix(prefix)] = item.get("count", 0)
        return counts

    def _limits(
        self, tenant_id: str, where: str, counts: dict[str, int] | None, draws: dict[str, int] | None
    ) -> None:
        tenant = self.model.tenants[tenant_id]
        over = {
            reward_id: count
            for reward_id, count in (counts or {}).items()
            if (spec := tenant.reward(reward_id)) and spec.per_member_limit and count > spec.per_member_limit
        }
        limit = tenant.lottery.daily_limit if tenant.lottery else None
        over.update({day: count for day, count in (draws or {}).items() if limit and count > limit})
        if over:
            raise violation(LIMITS_KEPT, f"{where}: counts over their limits: {over}")

    def _parts(
        self,
        tenant_id: str,
        member_id: str,
        expected: MemberModel,
        holds: dict[str, tuple[int, dict[date | None, int]]] | None,
        counts: dict[str, int] | None,
        draws: dict[str, int] | None,
    ) -> None:
        where = f"member {tenant_id}/{member_id}"
        if holds is not None:
            modelled = {
                hold_id: (hold.points, _by_expiry(hold.lots))
                for (tenant, hold_id), hold in self.model.holds.items()
                if tenant == tenant_id and hold.member_id == member_id and hold.status == "held"
            }
            if holds != modelled:
                raise violation(MATCHES_MODEL, f"{where}: open holds {holds}, the model's {modelled}")
        if counts is not None and counts != expected.reward_counts:
            raise violation(
                MATCHES_MODEL, f"{where}: reward counts {counts}, the model's {expected.reward_counts}"
            )
        if draws is not None:
            modelled_draws = {
                f"{lottery}#{day.isoformat()}": n for (lottery, day), n in expected.draw_counts.items()
            }
            if draws != modelled_draws:
                raise violation(
                    MATCHES_MODEL, f"{where}: draws per day {draws}, the model's {modelled_draws}"
                )

    def check_from_scratch(self) -> int:
        """Re-read every member the model knows with a fresh observer: entries were never rewritten."""
        fresh = LedgerObserver(self.dynamodb, self.table, self.model, self.clock)
        for tenant_id, member_id in sorted(self.model.members):
            fresh.check(tenant_id, member_id, frozenset({HOLDS, COUNTS, DRAWS}))
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
        for tenant_id, tenant in sorted(self.model.tenants.items()):
            for reward in tenant.rewards:
                fresh.check_reward(tenant_id, reward.reward_id)
            if tenant.lottery is not None:
                fresh.check_prizes(tenant_id)
        for tenant_id, code in sorted(self.model.coupons):
            fresh.check_coupon(tenant_id, code)
        self.reads += fresh.reads
        return len(self.model.members)

    def check_reward(self, tenant_id: str, reward_id: str) -> None:
        """A catalog reward's stock: never below zero; taken = what live redemptions took."""
        spec = self.model.tenants[tenant_id].reward(reward_id)
        if spec is None:
            return
        item = self._get(keys.tenant_pk(tenant_id), keys.reward_sk(reward_id)) or {}
        stock, redeemed = item.get("stock"), item.get("redeemed", 0)
        live = sum(
            redemption.quantity
            for (tenant, _), redemption in self.model.redemptions.items()
            if tenant == tenant_id and redemption.reward_id == reward_id and redemption.status != "cancelled"
        )
        where = f"reward {tenant_id}/{reward_id}"
        if spec.stock is None:
            if stock is not None or redeemed != self.model.redeemed[(tenant_id, reward_id)]:
                raise violation(
                    MATCHES_MODEL,
                    f"{where} (unlimited): stock {stock}, redeemed {redeemed}; "
                    f"the model: redeemed {self.model.redeemed[(tenant_id, reward_id)]}",
                )
            return
        if stock is None or stock < 0 or spec.stock - stock != live or redeemed != live:
            raise violation(
                STOCK_KEPT,
                f"{where}: stock {stock} of {spec.stock} (taken {spec.stock - (stock or 0)}), redeemed "
                f"{redeemed}; redemptions not cancelled took {live}",
            )

    def check_prizes(self, tenant_id: str) -> None:
        """Each limited prize's stock: never below zero; taken = the draws that won it."""
        lottery = self.model.tenants[tenant_id].lottery
        if lottery is None:
            return
        prefix = keys.prize_sk(lottery.lottery_id, "")
        stored = {
            item["prize_id"]: item["stock"]
            for item in self._partition(keys.tenant_pk(tenant_id), prefix, prefix + "~")
        }
        won = {prize: wins for (tenant, _, prize), wins in self.model.wins.items() if tenant == tenant_id}
        for prize in lottery.prizes:
            if prize.stock is None:
                continue
            left = stored.get(prize.prize_id)
            if left is None or left < 0 or prize.stock - left != won.get(prize.prize_id, 0):
                raise violation(
                    STOCK_KEPT,
                    f"prize {tenant_id}/{lottery.lottery_id}/{prize.prize_id}: {left} left of {prize.stock}; "
                    f"draws won it {won.get(prize.prize_id, 0)} times",
                )

    def check_hold_refunds(self, tenant_id: str, hold_id: str) -> None:
        """A captured hold's record: refunded <= captured, its lots what is left to refund, as modelled."""
        hold = self.model.holds.get((tenant_id, hold_id))
        if hold is None or hold.captured is None:
            return
        stored = self._get(keys.member_pk(tenant_id, hold.member_id), keys.hold_sk(hold_id)) or {}
        captured, refunded = stored.get("captured"), stored.get("refunded", 0)
        left = sum(int(points) for points in (stored.get("lots") or {}).values())
        if captured is None or not 0 <= refunded <= captured or left != captured - refunded:
            raise violation(
                CAPTURE_BOUNDED,
                f"hold {tenant_id}/{hold_id}: captured {captured}, refunded {refunded}, lots {left}",
            )
        if (captured, refunded) != (hold.captured, hold.refunded):
            raise violation(
                CAPTURE_BOUNDED,
                f"hold {tenant_id}/{hold_id}: captured {captured}, refunded {refunded}; the model "
                f"{hold.captured}, {hold.refunded}",
            )

    def check_coupon(self, tenant_id: str, code: str) -> None:
        """The coupon and the member's reference to it say the same, and what the model says."""
        coupon = self.model.coupons.get((tenant_id, code))
        stored = self._get(keys.coupon_pk(tenant_id, code), keys.COUPON_SK)
        if coupon is None:
            if stored is not None:
                raise violation(MATCHES_MODEL, f"coupon {tenant_id}/{code} exists; the model never issued it")
            return
        reference = self._get(keys.member_pk(tenant_id, coupon.member_id), keys.member_coupon_sk(code))
        modelled = (
            coupon.member_id,
            coupon.status,
            coupon.order_id,
            coupon.points_paid,
            f"{coupon.discount:.2f}" if coupon.status == "used" else None,
        )
        views = [
            (
                item.get("member_id"),
                item.get("status"),
                item.get("order_id"),
                item.get("points_paid"),
                item.get("discount"),
            )
            if item
            else None
            for item in (stored, reference)
        ]
        if views[0] != views[1]:
            raise violation(
                COUPON_ONCE,
                f"coupon {tenant_id}/{code}: the coupon says {views[0]}, the reference {views[1]}",
            )
        if views[0] != modelled:
            raise violation(
                MATCHES_MODEL,
                f"coupon {tenant_id}/{code} (member, status, order, points paid, discount) = {views[0]}, "
                f"the model's {modelled}",
            )

    # --- helpers -------------------------------------------------------------------------------------
    def _natural_id(self, tenant_id: str, member_id: str, entry: dict[str, Any]) -> None:
        kind, source = entry.get("type"), entry.get("source")
        natural: tuple[str, str]
        if kind == "earn" and source == "signup":
            natural = ("enroll", member_id)
        elif kind == "earn" and source == "purchase":
            natural = ("order_id", entry["order_id"])
        elif kind == "clawback":
            natural = ("refund_id", entry["refund_id"])
        elif kind == "adjust":
            natural = ("adjustment_id", entry["adjustment_id"])
        elif kind == "redeem" and source == "catalog":
            natural = ("redemption_id", entry["redemption_id"])
        elif kind == "redeem_cancel":
            natural = ("cancelled redemption_id", entry["redemption_id"])
        elif kind == "hold":
            natural = ("hold_id", entry["hold_id"])
        elif kind == "release" and entry.get("reason") == PARTLY_CAPTURED:
            natural = ("partly captured hold_id", entry["hold_id"])
        elif kind == "release":
            natural = ("released hold_id", entry["hold_id"])
        elif kind == "redeem_refund":
            natural = ("refunded refund_id", entry["refund_id"])
        elif kind == "redeem" and source == "checkout":
            natural = ("captured hold_id", entry["hold_id"])
        elif kind == "redeem" and source == "coupon":
            natural = ("coupon_code", entry["coupon_code"])
        elif kind == "redeem" and source == "lottery":
            natural = ("draw_id", entry["draw_id"])
        elif kind == "expire":
            day = self.model.today(tenant_id, datetime.fromisoformat(entry["created_at"]))
            natural = ("expiry of member@day", f"{member_id}@{day.isoformat()}")
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

    def _partition(self, pk: str, low: str, high: str, *, open_holds: bool = False) -> list[dict[str, Any]]:
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "PK = :pk AND SK BETWEEN :low AND :high",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":low": {"S": low}, ":high": {"S": high}},
            "ConsistentRead": True,
        }
        if open_holds:
            request["FilterExpression"] = "#status = :held"
            request["ExpressionAttributeNames"] = {"#status": "status"}
            request["ExpressionAttributeValues"][":held"] = {"S": "held"}
        items: list[dict[str, Any]] = []
        while True:
            self.reads += 1
            page = self.dynamodb.query(**request)
            items.extend(from_item(item) for item in page["Items"])
            if "LastEvaluatedKey" not in page:
                return items
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        self.reads += 1
        found = self.dynamodb.get_item(
            TableName=self.table, Key={"PK": {"S": pk}, "SK": {"S": sk}}, ConsistentRead=True
        ).get("Item")
        return from_item(found) if found else None


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

    def get_item(self, **request: Any) -> dict[str, Any]:
        return self.call("GetItem", request)

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


def _by_expiry(lots: dict[tuple[date | None, date | None], int]) -> dict[date | None, int]:
    merged: dict[date | None, int] = {}
    for (_, expires_on), left in lots.items():
        merged[expires_on] = merged.get(expires_on, 0) + left
    return merged


def _show(view: tuple[Any, ...]) -> str:
    *numbers, lots = view
    shown = {
        ("never" if day is None else day.isoformat()): points
        for day, points in sorted(lots.items(), key=lambda item: (item[0] is None, item[0] or date.min))
    }
    return f"({', '.join(str(number) for number in numbers)}, {shown})"
