"""Report aggregates: applied from the table stream exactly once, read back in a few Queries.

Layout (under the tenant's report shards, `REPORT_SHARDS` partitions per tenant):

| item                         | PK                      | SK                  |
|------------------------------|-------------------------|---------------------|
| flows of one program day     | T#{tenant}#RPT#{shard}  | DAY#{yyyy-mm-dd}    |
| points by expiry day         | T#{tenant}#RPT#{shard}  | EXPIRES#{yyyy-mm}   |
| pending points by maturity   | T#{tenant}#RPT#{shard}  | MATURES#{yyyy-mm}   |
| state (balances, tiers)      | T#{tenant}#RPT#{shard}  | STATE               |
| stream checkpoint            | RPTSTREAM#{stream}#{shard id} | CKPT          |
| tenants with reports         | RPTTENANTS              | T#{tenant}          |
| a cue sent to a member       | T#{tenant}#M#{member}   | CUE#{kind}#{day}    |

A cue (an expiry reminder, a birthday bonus) is written with the counts of the record that sent
it; a later purchase or spending of that member within 30 days answers it (once), counted on the
cue's day by the days it took.

Exactly once: the consumer counts a stream batch in memory and writes it as transactions that
each carry the stream shard's checkpoint (the last sequence number applied), conditioned on the
checkpoint it read. Lambda delivers a shard's records in order and a batch only after the one
before succeeded, so a record at or below the checkpoint was applied already: a batch delivered
twice (a retry, a timeout after the commit) is dropped record by record, and a crash between two
transactions of one batch resumes after the last committed one. Records of different shards
touch the same items only through commutative ADDs, so the order in which shards are processed
changes nothing. A tenant's counts are spread over its report shards by member, and each item
gets one ADD per transaction whatever the number of records: no tenant-wide hot key.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from loyalty.domain.analytics import (
    DAY_PREFIX,
    EXPIRES_PREFIX,
    MATURES_PREFIX,
    REGISTRY,
    REPORT_SHARDS,
    RESPONSE_DAYS,
    ItemKey,
    Tally,
    day_sk,
)
from loyalty.errors import TransientError
from loyalty.store import keys
from loyalty.store.snapshot_store import REGISTRY_PK
from loyalty.store.table import TableStore, from_item, put, to_item, update

RECENT_DAYS = 45  # a window ending this close to today is read with one Query per report shard
MAX_ITEMS = 99  # TransactWriteItems takes 100 items: the checkpoint and up to 99 aggregates
SEQUENCE_WIDTH = 40  # stream sequence numbers have up to 40 digits: padded, they compare as strings


def report_pk(tenant_id: str, shard: int) -> str:
    return f"T#{tenant_id}#RPT#{shard}"


def checkpoint_key(stream_arn: str, shard_id: str) -> dict[str, str]:
    label = stream_arn.rsplit("/", 1)[-1]
    return {"PK": f"RPTSTREAM#{label}#{shard_id}", "SK": "CKPT"}


def padded(sequence: str) -> str:
    return sequence.rjust(SEQUENCE_WIDTH, "0")


@dataclass(frozen=True)
class CountedRecord:
    sequence: str  # padded
    tally: Tally
    extra: tuple[dict[str, Any], ...] = ()  # cue items written or answered with the counts


@dataclass(frozen=True)
class Aggregates:
    """A tenant's aggregates summed over its report shards."""

    days: dict[date, Counter[str]]
    state: Counter[str]
    expires: dict[date, int]
    matures: dict[date, int]


class ReportStore(TableStore):
    # --- the stream side --------------------------------------------------------------------
    def applied_through(self, stream_arn: str, shard_id: str) -> str | None:
        response = self.client.get_item(
            TableName=self.table_name, Key=to_item(checkpoint_key(stream_arn, shard_id)), ConsistentRead=True
        )
        item = response.get("Item")
        return str(from_item(item)["sequence"]) if item else None

    def apply(
        self, stream_arn: str, shard_id: str, records: Sequence[CountedRecord], *, attempts: int = 5
    ) -> int:
        """Apply the records not applied yet (in sequence order), one transaction per at most
        MAX_ITEMS aggregate items, each moving the checkpoint. Returns how many were applied."""
        applied = 0
        for _ in range(attempts):
            through = self.applied_through(stream_arn, shard_id)
            todo = sorted(
                (record for record in records if through is None or record.sequence > through),
                key=lambda record: record.sequence,
            )
            if not todo:
                return applied
            for chunk in _chunks(todo):
                cancelled = self.transact(self._chunk_actions(stream_arn, shard_id, chunk, through))
                if cancelled is not None:
                    break  # another writer moved the checkpoint, or a conflict: re-read and go on
                through = chunk[-1].sequence
                applied += len(chunk)
            else:
                return applied
        raise TransientError("report aggregates: the stream checkpoint kept moving or conflicting")

    def _chunk_actions(
        self, stream_arn: str, shard_id: str, chunk: list[CountedRecord], through: str | None
    ) -> list[dict[str, Any]]:
        total = Tally()
        for record in chunk:
            total.merge(record.tally)
        checkpoint = update(
            self.table_name,
            checkpoint_key(stream_arn, shard_id),
            "SET #sequence = :last",
            "attribute_not_exists(#sequence)" if through is None else "#sequence = :through",
            {"#sequence": "sequence"},
            to_item({":last": chunk[-1].sequence, ":through": through}),
        )
        extra = [action for record in chunk for action in record.extra]
        return [checkpoint, *(self._add(key, counts) for key, counts in total.nonzero().items()), *extra]

    def _add(self, key: ItemKey, counts: dict[str, int]) -> dict[str, Any]:
        tenant_id, shard, sk = key
        item_key = (
            {"PK": REGISTRY_PK, "SK": f"T#{tenant_id}"}
            if shard == REGISTRY
            else {"PK": report_pk(tenant_id, shard), "SK": sk}
        )
        names = {f"#f{index}": field for index, field in enumerate(counts)}
        amounts = {f":v{index}": amount for index, amount in enumerate(counts.values())}
        clauses = ", ".join(f"#f{index} :v{index}" for index in range(len(counts)))
        return update(self.table_name, item_key, f"ADD {clauses}", None, names, to_item(amounts))

    # --- cues (reminders, birthdays) and the spending that answers them ------------------------
    def cues(self, tenant_id: str, member_id: str) -> dict[tuple[str, date], bool]:
        """The member's cues still within the response window: (kind, day) -> answered."""
        items = self.query_all(
            {
                "KeyConditionExpression": "PK = :pk AND begins_with(SK, :cue)",
                "ExpressionAttributeValues": to_item(
                    {":pk": keys.member_pk(tenant_id, member_id), ":cue": "CUE#"}
                ),
                "ConsistentRead": True,
            }
        )
        found = {}
        for item in items:
            _, kind, day = str(item["SK"]).split("#")
            found[(kind, date.fromisoformat(day))] = bool(item.get("answered_on"))
        return found

    def put_cue(self, tenant_id: str, member_id: str, kind: str, day: date) -> dict[str, Any]:
        expires = datetime.combine(day + timedelta(days=RESPONSE_DAYS + 10), time(), UTC)
        item = {
            "PK": keys.member_pk(tenant_id, member_id),
            "SK": f"CUE#{kind}#{day.isoformat()}",
            "ttl_epoch": int(expires.timestamp()),  # clean-up once no spend can answer it
        }
        return put(self.table_name, item, "attribute_not_exists(PK)")

    def answer_cue(self, tenant_id: str, member_id: str, kind: str, day: date, on: date) -> dict[str, Any]:
        return update(
            self.table_name,
            {"PK": keys.member_pk(tenant_id, member_id), "SK": f"CUE#{kind}#{day.isoformat()}"},
            "SET answered_on = :on",
            "attribute_exists(PK) AND attribute_not_exists(answered_on)",
            None,
            to_item({":on": on.isoformat()}),
        )

    # --- the report side ----------------------------------------------------------------------
    def read(self, tenant_id: str, first: date, last: date, *, today: date | None = None) -> Aggregates:
        """Flows of the program days first..last and the state now. Sort keys run DAY# < EXPIRES#
        < MATURES# < STATE, so a window that ends near today is one Query per report shard (from
        its first day to the end: the days after `to` are few); an older window is two (its days,
        then the state)."""
        days: dict[date, Counter[str]] = {}
        state: Counter[str] = Counter()
        expires: dict[date, int] = {}
        matures: dict[date, int] = {}
        recent = today is not None and (today - last).days <= RECENT_DAYS
        for shard in range(REPORT_SHARDS):
            pk = report_pk(tenant_id, shard)
            requests = (
                [{"first": day_sk(first)}] if recent else [{"first": day_sk(first), "last": day_sk(last)}]
            )
            if not recent:
                requests.append({"first": EXPIRES_PREFIX})
            for bounds in requests:
                condition = (
                    "PK = :pk AND SK BETWEEN :first AND :last"
                    if "last" in bounds
                    else "PK = :pk AND SK >= :first"
                )
                values = {":pk": pk, **{f":{name}": value for name, value in bounds.items()}}
                for item in self.query_all(
                    {"KeyConditionExpression": condition, "ExpressionAttributeValues": to_item(values)}
                ):
                    sk = str(item["SK"])
                    if sk.startswith(DAY_PREFIX):
                        day = date.fromisoformat(sk[len(DAY_PREFIX) :])
                        if first <= day <= last:
                            days.setdefault(day, Counter()).update(_counts(item))
                    elif sk == "STATE":
                        state.update(_counts(item))
                    elif sk.startswith((EXPIRES_PREFIX, MATURES_PREFIX)):
                        target = expires if sk.startswith(EXPIRES_PREFIX) else matures
                        year, month = (int(part) for part in sk.split("#", 1)[1].split("-"))
                        for field, points in _counts(item).items():
                            on = date(year, month, int(field[1:]))
                            target[on] = target.get(on, 0) + points
        return Aggregates(days=days, state=state, expires=expires, matures=matures)


def _counts(item: dict[str, Any]) -> Counter[str]:
    return Counter({key: int(value) for key, value in item.items() if key not in ("PK", "SK")})


def _chunks(records: Iterable[CountedRecord]) -> Iterable[list[CountedRecord]]:
    """Consecutive records whose aggregate items fit in one transaction (a record always fits)."""
    chunk: list[CountedRecord] = []
    touched: set[ItemKey] = set()
    cues: set[str] = set()  # a transaction takes one action per item: a cue put, then answered, splits
    for record in records:
        needed = touched | set(record.tally.nonzero())
        mine = {_action_key(action) for action in record.extra}
        if chunk and (len(needed) + len(cues) + len(mine) > MAX_ITEMS or mine & cues):
            yield chunk
            chunk, needed, cues = [], set(record.tally.nonzero()), set()
        chunk.append(record)
        touched = needed
        cues |= mine
    if chunk:
        yield chunk


def _action_key(action: dict[str, Any]) -> str:
    body = next(iter(action.values()))
    key = body.get("Key") or {name: body["Item"][name] for name in ("PK", "SK")}
    return f"{key['PK']['S']}|{key['SK']['S']}"
