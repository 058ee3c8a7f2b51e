"""Key builders for the single table: every key of every item is spelled here and only here."""

from __future__ import annotations

import hashlib
from datetime import date

from loyalty.models.jobs import EXPIRY_SHARDS as EXPIRY_SHARDS  # the index keys are sharded by it


def tenant_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}"


def member_pk(tenant_id: str, member_id: str) -> str:
    return f"T#{tenant_id}#M#{member_id}"


def operation_pk(tenant_id: str, kind: str, natural_id: str) -> str:
    return f"T#{tenant_id}#OP#{kind}#{natural_id}"


def api_key_pk(key_hash: str) -> str:
    return f"KEY#{key_hash}"


MEMBER_SK = "MEMBER"
ENTRY_PREFIX = "LEDGER#"
OPERATION_SK = "OP"
TENANT_SK = "TENANT"
PROGRAM_SK = "PROGRAM"
API_KEY_SK = "KEY"


REVIEW_PREFIX = "REVIEW#"


def reviews_pk(tenant_id: str) -> str:
    """A tenant's reviews (members whose earns breached a velocity rule): rare, one partition."""
    return f"T#{tenant_id}#REVIEWS"


def review_sk(review_id: str) -> str:
    return f"{REVIEW_PREFIX}{review_id}"


def program_version_sk(version: int) -> str:
    return f"{PROGRAM_SK}#V#{version:06d}"


def entry_sk(seq: int) -> str:
    return f"{ENTRY_PREFIX}{seq:012d}"


def key_ref_sk(key_id: str) -> str:
    return f"KEY#{key_id}"


def expiry_index_pk(expires_on: date, tenant_id: str, member_id: str) -> str:
    """Members whose next points expire on one date, spread over shards (no hot partition)."""
    return expiry_index_pk_for_shard(expires_on, expiry_shard(tenant_id, member_id))


def expiry_shard(tenant_id: str, member_id: str) -> int:
    """A member's shard of the expiry index: fixed for life, so one worker per shard sees it."""
    return hashlib.sha256(f"{tenant_id}/{member_id}".encode()).digest()[0] % EXPIRY_SHARDS


def expiry_index_pk_for_shard(expires_on: date, shard: int) -> str:
    return f"EXPIRY#{expires_on.isoformat()}#{shard}"


def reminder_sk(expires_on: date, window_days: int) -> str:
    return f"REMINDER#{expires_on.isoformat()}#{window_days:03d}"


def birthday_index_pk(month_day: str, tenant_id: str, member_id: str) -> str:
    digest = hashlib.sha256(f"{tenant_id}/{member_id}".encode()).digest()
    return birthday_index_pk_for_shard(month_day, digest[0] % EXPIRY_SHARDS)


def birthday_index_pk_for_shard(month_day: str, shard: int) -> str:
    return f"BIRTHDAY#{month_day}#{shard}"


def tenant_members_pk(tenant_id: str, member_id: str) -> str:
    """Every member of a tenant, spread over shards: what a program's sunset walks."""
    digest = hashlib.sha256(f"{tenant_id}/{member_id}".encode()).digest()
    return tenant_members_pk_for_shard(tenant_id, digest[0] % EXPIRY_SHARDS)


def tenant_members_pk_for_shard(tenant_id: str, shard: int) -> str:
    return f"MEMBERS#{tenant_id}#{shard}"


def sunset_notice_sk(last_redeeming_day: date, offset_days: int) -> str:
    return f"SUNSET#{last_redeeming_day.isoformat()}#{offset_days:03d}"


SUNSETS_PK = "SUNSETS"  # one small partition: an item per tenant whose program has a sunset


def sunset_sk(tenant_id: str) -> str:
    return f"T#{tenant_id}"


def job_pk(job: str) -> str:
    return f"JOB#{job}"


JOB_SK = "STATE"


def tier_review_index_pk(review_on: date, tenant_id: str, member_id: str) -> str:
    """Members whose tier is due for evaluation on one date, spread over shards like expiry."""
    digest = hashlib.sha256(f"{tenant_id}/{member_id}".encode()).digest()
    return tier_review_index_pk_for_shard(review_on, digest[0] % EXPIRY_SHARDS)


def tier_review_index_pk_for_shard(review_on: date, shard: int) -> str:
    return f"TIERS#{review_on.isoformat()}#{shard}"


TIER_CHANGE_PREFIX = "TIER#"


def tier_change_sk(revision: int) -> str:
    return f"{TIER_CHANGE_PREFIX}{revision:08d}"


MEMBERSHIP_PREFIX = "MEMBERSHIP#"  # a paid membership bought (its record)
MEMBERSHIP_EVENT_PREFIX = "MEMBERSHIPEVENT#"  # what happened to one (started, lapsed, ...): events


def membership_sk(membership_id: str) -> str:
    return f"{MEMBERSHIP_PREFIX}{membership_id}"


def membership_event_sk(revision: int, index: int) -> str:
    return f"{MEMBERSHIP_EVENT_PREFIX}{revision:08d}#{index}"


def membership_reminder_sk(membership_id: str, window: int) -> str:
    """A membership.expiring reminder: once per membership and window."""
    return f"{MEMBERSHIP_EVENT_PREFIX}R#{membership_id}#{window:03d}"


# --- redemption: catalog, redemptions, holds, coupons, lotteries ---------------------------------
REWARD_PREFIX = "REWARD#"
COUPON_SK = "COUPON"
HOLD_SHARDS = 4


def reward_sk(reward_id: str) -> str:
    """Under the tenant's partition: the catalog is one query."""
    return f"{REWARD_PREFIX}{reward_id}"


def reward_count_sk(reward_id: str) -> str:
    """Under the member's partition: how many of one reward the member holds (per-member limit)."""
    return f"REWARDCOUNT#{reward_id}"


def redemption_sk(redemption_id: str) -> str:
    return f"REDEMPTION#{redemption_id}"


HOLD_PREFIX = "HOLD#"


def hold_sk(hold_id: str) -> str:
    """Under the member's partition (the hold's operation record names the member)."""
    return f"{HOLD_PREFIX}{hold_id}"


def open_holds_index_pk(tenant_id: str, hold_id: str) -> str:
    """Open holds by expiry (GSI1SK = expires_at), sharded; captured or released holds leave it."""
    digest = hashlib.sha256(f"{tenant_id}/{hold_id}".encode()).digest()
    return open_holds_index_pk_for_shard(digest[0] % HOLD_SHARDS)


def open_holds_index_pk_for_shard(shard: int) -> str:
    return f"HOLDS#OPEN#{shard}"


COUPON_TEMPLATE_PREFIX = "COUPONTPL#"
LOTTERY_PREFIX = "LOTTERY#"


def coupon_template_sk(template_id: str) -> str:
    return f"{COUPON_TEMPLATE_PREFIX}{template_id}"


def coupon_pk(tenant_id: str, code: str) -> str:
    return f"T#{tenant_id}#COUPON#{code}"


def member_coupon_sk(code: str) -> str:
    return f"COUPONREF#{code}"


def lottery_sk(lottery_id: str) -> str:
    return f"{LOTTERY_PREFIX}{lottery_id}"


def prize_sk(lottery_id: str, prize_id: str) -> str:
    return f"PRIZE#{lottery_id}#{prize_id}"


def draw_count_sk(lottery_id: str, day: str) -> str:
    return f"DRAWCOUNT#{lottery_id}#{day}"


def draw_sk(draw_id: str) -> str:
    return f"DRAW#{draw_id}"


# --- bulk jobs (exports; imports and bulk adjustments reuse them) -------------------------------
def bulk_job_pk(tenant_id: str, kind: str, job_id: str) -> str:
    """One partition per job: the job item, and one item per chunk (its checkpoint and marker)."""
    return f"T#{tenant_id}#JOB#{kind}#{job_id}"


BULK_JOB_SK = "JOB"


def bulk_chunk_sk(chunk: int) -> str:
    return f"CHUNK#{chunk:05d}"


def bulk_jobs_pk(tenant_id: str, kind: str) -> str:
    """A tenant's jobs of one kind, newest last by sort key: what a list of exports pages through
    (jobs are rare next to earns: one partition per tenant and kind)."""
    return f"T#{tenant_id}#JOBS#{kind}"


def bulk_job_ref_sk(created_at: str, job_id: str) -> str:
    return f"{created_at}#{job_id}"


TENANTS_PK = "TENANTS"  # the operator's list of tenants: an item per tenant (created with it)


def tenant_registry_sk(tenant_id: str) -> str:
    return f"T#{tenant_id}"


AUDIT_PREFIX = "AUDIT#"


def audit_pk(tenant_id: str) -> str:
    """A tenant's audit log: admin and operator actions are rare, one partition holds them."""
    return f"T#{tenant_id}#AUDIT"


def audit_sk(instant: str, request_id: str) -> str:
    return f"{AUDIT_PREFIX}{instant}#{request_id}"


# --- contact lookups: a member found by email or phone ------------------------------------------
def contact_pk(tenant_id: str, kind: str, normal: str) -> str:
    """The members with one normalised email or phone in one tenant. The value is hashed: no
    personal data in a key (keys travel into the stream, logs and metrics)."""
    digest = hashlib.sha256(normal.encode()).hexdigest()
    return f"T#{tenant_id}#CONTACT#{kind.upper()}#{digest}"


CONTACT_MEMBER_PREFIX = "M#"


def contact_sk(member_id: str) -> str:
    return f"{CONTACT_MEMBER_PREFIX}{member_id}"


# --- imports (jobs in the bulk-job partitions above, plus their rows and refused lines) -----------
def imports_pk(tenant_id: str) -> str:
    """The tenant's list of imports: an item per import (the console's job list)."""
    return f"T#{tenant_id}#IMPORTS"


IMPORT_PREFIX = "IMPORT#"
ROWS_PREFIX = "ROWS#"
ROW_ERRORS_PREFIX = "ERR#"


def import_rows_sk(chunk: int) -> str:
    return f"{ROWS_PREFIX}{chunk:05d}"


def row_errors_sk(chunk: int | None, page: int) -> str:
    """Refused rows: those the file's reading refused (`chunk` None) or one step's."""
    return f"{ROW_ERRORS_PREFIX}{'P' if chunk is None else f'{chunk:05d}'}#{page:05d}"
