"""Key builders for the single table: every key of every item is spelled here and only here.

Most keys are a fixed layout with parts filled in: each is a `Layout`, e.g. `member_pk =
Layout("T#{}#M#{}")`, called like a function (`member_pk(tenant_id, member_id)`); the table of them
below is the table's key design at a glance. The few keys that hash or shard are functions."""

from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass, field
from datetime import date

from loyalty.models.jobs import EXPIRY_SHARDS as EXPIRY_SHARDS  # the index keys are sharded by it


@dataclass(frozen=True)
class Layout:
    """A key layout: a format string with one field per part (`{}`, or `{:012d}` for a padded
    number; dates format as ISO dates). Calling it with exactly that many parts spells the key."""

    text: str
    parts: int = field(init=False)

    def __post_init__(self) -> None:
        fields = [name for _, name, _, _ in string.Formatter().parse(self.text) if name is not None]
        object.__setattr__(self, "parts", len(fields))

    @property
    def prefix(self) -> str:
        """What every key of this layout starts with (for `begins_with`)."""
        return self.text.split("{", 1)[0]

    def __call__(self, *parts: object) -> str:
        if len(parts) != self.parts:
            raise TypeError(f"key {self.text!r} takes {self.parts} parts, got {len(parts)}")
        return self.text.format(*parts)


def _shard(owner: str, natural_id: str, shards: int) -> int:
    """A stable shard for an item of one tenant (fixed for life: one worker per shard sees it)."""
    return hashlib.sha256(f"{owner}/{natural_id}".encode()).digest()[0] % shards


tenant_pk = Layout("T#{}")
member_pk = Layout("T#{}#M#{}")
operation_pk = Layout("T#{}#OP#{}#{}")  # tenant, operation kind, natural id
api_key_pk = Layout("KEY#{}")  # the key's hash

MEMBER_SK = "MEMBER"
ENTRY_PREFIX = "LEDGER#"
OPERATION_SK = "OP"
TENANT_SK = "TENANT"
PROGRAM_SK = "PROGRAM"
API_KEY_SK = "KEY"

# A tenant's reviews (members whose earns breached a velocity rule): rare, one partition.
reviews_pk = Layout("T#{}#REVIEWS")
review_sk = Layout("REVIEW#{}")
REVIEW_PREFIX = review_sk.prefix
program_version_sk = Layout(PROGRAM_SK + "#V#{:06d}")
entry_sk = Layout(ENTRY_PREFIX + "{:012d}")
key_ref_sk = Layout("KEY#{}")


def expiry_index_pk(expires_on: date, tenant_id: str, member_id: str) -> str:
    """Members whose next points expire on one date, spread over shards (no hot partition)."""
    return expiry_index_pk_for_shard(expires_on, expiry_shard(tenant_id, member_id))


def expiry_shard(tenant_id: str, member_id: str) -> int:
    """A member's shard of the expiry, birthday, tier-review and member indexes."""
    return _shard(tenant_id, member_id, EXPIRY_SHARDS)


expiry_index_pk_for_shard = Layout("EXPIRY#{}#{}")  # date, shard
reminder_sk = Layout("REMINDER#{}#{:03d}")  # expiry date, window in days


def birthday_index_pk(month_day: str, tenant_id: str, member_id: str) -> str:
    return birthday_index_pk_for_shard(month_day, expiry_shard(tenant_id, member_id))


birthday_index_pk_for_shard = Layout("BIRTHDAY#{}#{}")  # MM-DD, shard


def tenant_members_pk(tenant_id: str, member_id: str) -> str:
    """Every member of a tenant, spread over shards: what a program's sunset walks."""
    return tenant_members_pk_for_shard(tenant_id, expiry_shard(tenant_id, member_id))


tenant_members_pk_for_shard = Layout("MEMBERS#{}#{}")  # tenant, shard
sunset_notice_sk = Layout("SUNSET#{}#{:03d}")  # last redeeming day, offset in days
SUNSETS_PK = "SUNSETS"  # one small partition: an item per tenant whose program has a sunset
sunset_sk = Layout("T#{}")
job_pk = Layout("JOB#{}")
JOB_SK = "STATE"


def tier_review_index_pk(review_on: date, tenant_id: str, member_id: str) -> str:
    """Members whose tier is due for evaluation on one date, spread over shards like expiry."""
    return tier_review_index_pk_for_shard(review_on, expiry_shard(tenant_id, member_id))


tier_review_index_pk_for_shard = Layout("TIERS#{}#{}")  # review date, shard
tier_change_sk = Layout("TIER#{:08d}")  # the member's tier revision
TIER_CHANGE_PREFIX = tier_change_sk.prefix

membership_sk = Layout("MEMBERSHIP#{}")  # a paid membership bought (its record)
MEMBERSHIP_PREFIX = membership_sk.prefix
# What happened to one (started, lapsed, ...): events, by the member's revision and their order.
membership_event_sk = Layout("MEMBERSHIPEVENT#{:08d}#{}")
MEMBERSHIP_EVENT_PREFIX = membership_event_sk.prefix
# A membership.expiring reminder: once per membership and window.
membership_reminder_sk = Layout(MEMBERSHIP_EVENT_PREFIX + "R#{}#{:03d}")

# --- redemption: catalog, redemptions, holds, coupons, lotteries ---------------------------------
COUPON_SK = "COUPON"
HOLD_SHARDS = 4
reward_sk = Layout("REWARD#{}")  # under the tenant's partition: the catalog is one query
REWARD_PREFIX = reward_sk.prefix
# Under the member's partition: how many of one reward the member holds (per-member limit).
reward_count_sk = Layout("REWARDCOUNT#{}")
redemption_sk = Layout("REDEMPTION#{}")
hold_sk = Layout("HOLD#{}")  # under the member's partition (the hold's operation record names the member)
HOLD_PREFIX = hold_sk.prefix


def open_holds_index_pk(tenant_id: str, hold_id: str) -> str:
    """Open holds by expiry (GSI1SK = expires_at), sharded; captured or released holds leave it."""
    return open_holds_index_pk_for_shard(_shard(tenant_id, hold_id, HOLD_SHARDS))


open_holds_index_pk_for_shard = Layout("HOLDS#OPEN#{}")
coupon_template_sk = Layout("COUPONTPL#{}")
COUPON_TEMPLATE_PREFIX = coupon_template_sk.prefix
coupon_pk = Layout("T#{}#COUPON#{}")  # tenant, code
member_coupon_sk = Layout("COUPONREF#{}")
lottery_sk = Layout("LOTTERY#{}")
LOTTERY_PREFIX = lottery_sk.prefix
prize_sk = Layout("PRIZE#{}#{}")  # lottery, prize
draw_count_sk = Layout("DRAWCOUNT#{}#{}")  # lottery, day
draw_sk = Layout("DRAW#{}")

# --- bulk jobs (exports; imports and bulk adjustments reuse them) -------------------------------
# One partition per job: the job item, and one item per chunk (its checkpoint and marker).
bulk_job_pk = Layout("T#{}#JOB#{}#{}")  # tenant, kind, job
BULK_JOB_SK = "JOB"
bulk_chunk_sk = Layout("CHUNK#{:05d}")
# A tenant's jobs of one kind, newest last by sort key: what a list of exports pages through (jobs
# are rare next to earns: one partition per tenant and kind).
bulk_jobs_pk = Layout("T#{}#JOBS#{}")
bulk_job_ref_sk = Layout("{}#{}")  # created at, job

TENANTS_PK = "TENANTS"  # the operator's list of tenants: an item per tenant (created with it)
tenant_registry_sk = Layout("T#{}")
# A tenant's audit log: admin and operator actions are rare, one partition holds them.
audit_pk = Layout("T#{}#AUDIT")
audit_sk = Layout("AUDIT#{}#{}")  # instant, request id
AUDIT_PREFIX = audit_sk.prefix


# --- contact lookups: a member found by email or phone ------------------------------------------
def contact_pk(tenant_id: str, kind: str, normal: str) -> str:
    """The members with one normalised email or phone in one tenant. The value is hashed: no
    personal data in a key (keys travel into the stream, logs and metrics)."""
    digest = hashlib.sha256(normal.encode()).hexdigest()
    return f"T#{tenant_id}#CONTACT#{kind.upper()}#{digest}"


contact_sk = Layout("M#{}")
CONTACT_MEMBER_PREFIX = contact_sk.prefix

# --- imports (jobs in the bulk-job partitions above, plus their rows and refused lines) -----------
imports_pk = Layout("T#{}#IMPORTS")  # the tenant's list of imports: an item per import (the console's)
IMPORT_PREFIX = "IMPORT#"
import_rows_sk = Layout("ROWS#{:05d}")
ROWS_PREFIX = import_rows_sk.prefix
ROW_ERRORS_PREFIX = "ERR#"


def row_errors_sk(chunk: int | None, page: int) -> str:
    """Refused rows: those the file's reading refused (`chunk` None) or one step's."""
    return f"{ROW_ERRORS_PREFIX}{'P' if chunk is None else f'{chunk:05d}'}#{page:05d}"
