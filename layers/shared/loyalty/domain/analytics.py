"""What each committed change adds to the report aggregates: pure arithmetic over stream images.

A table stream record (its new and old images) becomes a few signed counts on aggregate items:

- the member item's *state* (available, pending, held, one member, one member of its tier, its
  lots by expiry day and its pending lots by maturity day) is counted as `state(new) - state(old)`.
  Summed over every record of a member this telescopes to the member's state now, so liability,
  members per tier and the expiry forecast are exact whatever the order the records arrive in,
  as long as each is counted once (the store's job);
- a new ledger entry adds to its day's flows (issued by source, redeemed, expired, clawed back,
  adjusted, and its points to the day's change of liability: balance = sum of entries) and to
  the rules it names;
- a new purchase or refund record adds purchases and revenue (in minor units: no floats) to its
  day and to the rules that earned on it; a new tier history item adds a movement from -> to;
  a new expiry reminder counts a reminded member.

Every count lands on the member's report shard (a hash of the member id), so no tenant-wide item
is written by every earn; the consumer sums a whole stream batch in memory and writes one update
per item. The days are the program's local days."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

REPORT_SHARDS = 4
BASE_TIER = "_base"  # a member with no tier id stored sits on the program's first tier
NEVER_STORED = date.max.isoformat()  # the expiry date stored for points that never expire
SEP = "|"

# Aggregate items (sort keys under the tenant's report shard partition).
STATE = "STATE"
TENANT = "TENANT"
REGISTRY = -1  # not a shard: the registry of tenants with reports (see store.snapshot_store)
DAY_PREFIX = "DAY#"
EXPIRES_PREFIX = "EXPIRES#"
MATURES_PREFIX = "MATURES#"


@dataclass(frozen=True)
class StreamChange:
    """One table stream record as the aggregates need it (images as plain values)."""

    sequence: str
    event_name: str  # INSERT | MODIFY | REMOVE
    new: Mapping[str, Any] | None
    old: Mapping[str, Any] | None
    at: datetime  # when the change was committed (the record's approximate creation time)


ItemKey = tuple[str, int, str]  # (tenant, report shard, sort key)


@dataclass
class Tally:
    """Signed counts per aggregate item, summed in memory before one write per item."""

    items: dict[ItemKey, Counter[str]] = field(default_factory=dict)

    def add(self, key: ItemKey, name: str, amount: int) -> None:
        if amount:
            self.items.setdefault(key, Counter())[name] += amount

    def merge(self, other: Tally) -> None:
        for key, counts in other.items.items():
            for name, amount in counts.items():
                self.add(key, name, amount)

    def nonzero(self) -> dict[ItemKey, dict[str, int]]:
        result = {key: {name: n for name, n in counts.items() if n} for key, counts in self.items.items()}
        return {key: counts for key, counts in result.items() if counts}


def report_shard(tenant_id: str, member_id: str) -> int:
    return hashlib.sha256(f"{tenant_id}/{member_id}".encode()).digest()[1] % REPORT_SHARDS


def day_sk(day: date) -> str:
    return f"{DAY_PREFIX}{day.isoformat()}"


def month_sk(prefix: str, day: date) -> str:
    return f"{prefix}{day.year:04d}-{day.month:02d}"


def day_field(day: date) -> str:
    return f"d{day.day:02d}"


def minor_units(amount: Any) -> int:
    """A money string ("129.90") in hundredths, exactly."""
    return int((Decimal(str(amount)) * 100).to_integral_value())


def name(*parts: str) -> str:
    return SEP.join(parts)


def _day(moment: Any, zone: ZoneInfo) -> date | None:
    if not moment:
        return None
    parsed = moment if isinstance(moment, datetime) else datetime.fromisoformat(str(moment))
    return parsed.astimezone(zone).date()


def member_state(image: Mapping[str, Any] | None) -> Counter[str]:
    """The member item's contribution to the tenant's state (zero for no item)."""
    state: Counter[str] = Counter()
    if not image:
        return state
    state["available"] += int(image.get("available", 0))
    state["pending"] += int(image.get("pending", 0))
    state["held"] += int(image.get("held", 0))
    state["withheld"] += int(image.get("withheld") or 0)  # a frozen member's: still owed
    state["members"] += 1
    tier = (image.get("tier") or {}).get("id") or BASE_TIER
    state[name("tier", str(tier))] += 1
    for lot_key, points in (image.get("lots") or {}).items():
        parts = str(lot_key).split("#")
        expires_on = parts[-1] if parts[-1] else None
        if parts[0] == "P" and len(parts) >= 2:
            state[name("matures", parts[1])] += int(points)
        if expires_on and expires_on != NEVER_STORED:
            state[name("expires", expires_on)] += int(points)
    return state


def changes_to_tally(change: StreamChange, zone_for: Callable[[str], ZoneInfo]) -> Tally:
    """The counts one stream record adds (an empty tally for items reports do not read)."""
    tally = Tally()
    image = change.new or change.old or {}
    sk, pk = str(image.get("SK", "")), str(image.get("PK", ""))
    # Operation records and tenant items may carry no tenant_id: their key names it.
    tenant_id = image.get("tenant_id") or (
        pk.split("#")[1] if sk in ("OP", TENANT) and pk.startswith("T#") else None
    )
    if not tenant_id:
        return tally
    zone = zone_for(str(tenant_id))
    if sk == "MEMBER":
        _member(tally, str(tenant_id), change, zone)
    elif change.event_name != "INSERT" or change.new is None:
        return tally
    elif sk == TENANT:  # a new program: the customers snapshot will walk its members
        tally.add((str(tenant_id), REGISTRY, TENANT), "registered", 1)
    elif sk.startswith("LEDGER#"):
        _entry(tally, str(tenant_id), change.new, zone)
    elif sk.startswith("TIER#"):
        _tier_move(tally, str(tenant_id), change.new, zone)
    elif sk.startswith("REMINDER#"):
        shard = report_shard(str(tenant_id), str(change.new["member_id"]))
        when = _day(change.new.get("created_at"), zone)
        if when:
            tally.add((str(tenant_id), shard, day_sk(when)), "reminders", 1)
    elif sk == "OP" and ("#OP#purchase#" in pk or "#OP#refund#" in pk):
        _order(tally, str(tenant_id), change.new, zone)
    return tally


def _member(tally: Tally, tenant_id: str, change: StreamChange, zone: ZoneInfo) -> None:
    image = change.new or change.old or {}
    shard = report_shard(tenant_id, str(image["member_id"]))
    delta = member_state(change.new)
    delta.subtract(member_state(change.old))
    today = change.at.astimezone(zone).date()
    for key, amount in delta.items():
        kind, _, rest = key.partition(SEP)
        if kind in ("expires", "matures"):
            on = date.fromisoformat(rest)
            prefix = EXPIRES_PREFIX if kind == "expires" else MATURES_PREFIX
            tally.add((tenant_id, shard, month_sk(prefix, on)), day_field(on), amount)
        else:
            tally.add((tenant_id, shard, STATE), key, amount)
    if change.event_name == "INSERT" and change.new is not None:
        enrolled = _day(change.new.get("enrolled_at"), zone) or today
        tally.add((tenant_id, shard, day_sk(enrolled)), "members_new", 1)


def _entry(tally: Tally, tenant_id: str, entry: Mapping[str, Any], zone: ZoneInfo) -> None:
    when = _day(entry.get("created_at"), zone)
    if when is None:
        return
    key = (tenant_id, report_shard(tenant_id, str(entry["member_id"])), day_sk(when))
    kind, points, source = entry.get("type"), int(entry.get("points", 0)), str(entry.get("source") or "")
    # Balance = sum of entries: a day's entries are the day's change of available + pending + held.
    tally.add(key, "liability_change", points)
    if kind == "earn":
        tally.add(key, name("issued", source or "other"), points)
        for rule_id in entry.get("rule_ids") or ():
            tally.add(key, name("rule", str(rule_id), "points"), points)
            tally.add(key, name("rule", str(rule_id), "credits"), 1)
    elif kind == "adjust" and source == "import" and points > 0:
        tally.add(key, name("issued", "import"), points)
    elif kind == "adjust":
        tally.add(key, "adjusted", points)
    elif kind in ("redeem", "redeem_cancel", "redeem_refund"):  # points given back undo a redemption
        tally.add(key, "redeemed", -points)
        if kind == "redeem":
            tally.add(key, "redemptions", 1)
    elif kind in ("expire", "sunset"):
        tally.add(key, "expired", -points)
    elif kind == "clawback":
        tally.add(key, "clawed_back", -points)
    elif kind not in ("hold", "release"):
        tally.add(key, "other", points)


def _tier_move(tally: Tally, tenant_id: str, item: Mapping[str, Any], zone: ZoneInfo) -> None:
    when = _day(item.get("created_at"), zone)
    if when is None:
        return
    key = (tenant_id, report_shard(tenant_id, str(item["member_id"])), day_sk(when))
    source = str(item.get("from_tier") or BASE_TIER)
    target = str(item.get("to_tier") or BASE_TIER)
    tally.add(key, name("move", source, target), 1)


def _order(tally: Tally, tenant_id: str, record: Mapping[str, Any], zone: ZoneInfo) -> None:
    state, body = record.get("state") or {}, _body(record)
    member_id = state.get("member_id") or body.get("member_id")
    when = _day(state.get("occurred_at") or record.get("created_at"), zone)
    if not member_id or when is None or int(record.get("status", 0)) >= 300:
        return
    key = (tenant_id, report_shard(tenant_id, str(member_id)), day_sk(when))
    if record.get("kind") == "purchase":
        revenue = minor_units(state.get("amount", "0"))
        tally.add(key, "purchases", 1)
        tally.add(key, "revenue", revenue)
        for rule_id in body.get("rule_ids") or ():
            tally.add(key, name("rule", str(rule_id), "purchases"), 1)
            tally.add(key, name("rule", str(rule_id), "revenue"), revenue)
    else:
        tally.add(key, "refunds", 1)
        tally.add(key, "refunded", minor_units(body.get("amount") or state.get("amount") or "0"))


def _body(record: Mapping[str, Any]) -> dict[str, Any]:
    raw = record.get("body")
    if isinstance(raw, str):
        try:
            parsed = json.loads(raw)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return dict(raw) if isinstance(raw, Mapping) else {}


# --- response to reminders and birthdays -------------------------------------------------------
CUE_KINDS = ("reminder", "birthday")
RESPONSE_DAYS = 30  # a spend or purchase up to 30 days after a cue is a response (reports pick N <= 30)


@dataclass(frozen=True)
class MemberDay:
    tenant_id: str
    member_id: str
    day: date


def cue_of(change: StreamChange, zone_for: Callable[[str], ZoneInfo]) -> tuple[str, MemberDay] | None:
    """A cue sent to a member (an expiry reminder, a birthday bonus): (kind, member and day)."""
    item = change.new
    if change.event_name != "INSERT" or not item or not item.get("tenant_id") or not item.get("member_id"):
        return None
    sk = str(item.get("SK", ""))
    if sk.startswith("REMINDER#"):
        kind = "reminder"
    elif sk.startswith("LEDGER#") and item.get("type") == "earn" and item.get("source") == "birthday":
        kind = "birthday"
    else:
        return None
    when = _day(item.get("created_at"), zone_for(str(item["tenant_id"])))
    return (kind, MemberDay(str(item["tenant_id"]), str(item["member_id"]), when)) if when else None


def spend_of(change: StreamChange, zone_for: Callable[[str], ZoneInfo]) -> MemberDay | None:
    """A member's purchase (its earn entry) or spending (a redemption of any kind), and its day."""
    item = change.new
    if change.event_name != "INSERT" or not item or not item.get("tenant_id") or not item.get("member_id"):
        return None
    if not str(item.get("SK", "")).startswith("LEDGER#"):
        return None
    bought = item.get("type") == "earn" and item.get("source") == "purchase"
    if not (bought or item.get("type") == "redeem"):
        return None
    when = _day(item.get("created_at"), zone_for(str(item["tenant_id"])))
    return MemberDay(str(item["tenant_id"]), str(item["member_id"]), when) if when else None


def answered(cues: Mapping[tuple[str, date], bool], spent_on: date) -> list[tuple[str, date]]:
    """The member's cues a spend on `spent_on` answers: not answered yet, at most RESPONSE_DAYS before."""
    return sorted(
        (kind, day)
        for (kind, day), done in cues.items()
        if not done and 0 <= (spent_on - day).days <= RESPONSE_DAYS
    )


def response_field(kind: str, lag_days: int) -> str:
    return name("resp", kind, f"{lag_days:02d}")
