"""What every operation needs: the stores, the program cache, a clock and who is calling."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property, lru_cache
from typing import Any, Literal

from loyalty.errors import (
    IdempotencyConflictError,
    MemberErasedError,
    MemberNotFoundError,
    TenantNotFoundError,
    TransientError,
)
from loyalty.models.program import Program
from loyalty.settings import get_settings
from loyalty.store.audit_store import AuditStore
from loyalty.store.contact_store import ContactStore
from loyalty.store.coupon_store import CouponStore
from loyalty.store.entry_store import EntryStore
from loyalty.store.export_store import ExportStore
from loyalty.store.hold_store import HoldStore
from loyalty.store.idempotency_store import IdempotencyStore, OperationRecord
from loyalty.store.import_store import ImportStore
from loyalty.store.job_store import JobStore
from loyalty.store.ledger_store import ConcurrentChangeError, LedgerStore, ReplayError
from loyalty.store.lottery_store import LotteryStore
from loyalty.store.member_store import MemberRecord, MemberStore
from loyalty.store.membership_store import MembershipStore
from loyalty.store.notice_store import NoticeStore
from loyalty.store.purchase_store import PurchaseStore
from loyalty.store.report_store import ReportStore
from loyalty.store.review_store import ReviewStore
from loyalty.store.reward_store import RewardStore
from loyalty.store.signing_key_store import SigningKeyStore
from loyalty.store.snapshot_store import SnapshotStore
from loyalty.store.tenant_store import TenantStore
from loyalty.store.webhook_store import WebhookStore

Scope = Literal["operator", "admin", "server", "member"]


@dataclass(frozen=True)
class Principal:
    """The caller, as the authorizer resolved its API key or member token (scope `member`, with
    the one member it is good for)."""

    tenant_id: str
    scope: Scope
    key_id: str
    member_id: str | None = None
    request_id: str = ""  # the API request's id (what the audit log and a status change record)


def utc_now() -> datetime:
    return datetime.now(UTC)


class ProgramCache:
    """Programs cached in a warm Lambda for a short time, so an earn costs one read and one write."""

    def __init__(self, tenants: TenantStore, ttl_seconds: float, clock: Callable[[], float] = time.monotonic):
        self._tenants = tenants
        self._ttl = ttl_seconds
        self._clock = clock
        self._cache: dict[str, tuple[float, Program]] = {}

    def get(self, tenant_id: str, *, fresh: bool = False) -> Program:
        cached = None if fresh else self._cache.get(tenant_id)
        if cached and cached[0] > self._clock():
            return cached[1]
        # Fresh: as stored now (what a PUT decides on and a GET tags), not a replica's older copy.
        program = self._tenants.read_program(tenant_id, consistent=fresh)
        if program is None:
            raise TenantNotFoundError(f"tenant {tenant_id!r} not found")
        self._cache[tenant_id] = (self._clock() + self._ttl, program)
        return program

    def forget(self, tenant_id: str) -> None:
        self._cache.pop(tenant_id, None)


@dataclass
class Context:
    """The write path (`ledger`), the tenants and their programs, a clock; and a store per entity,
    each made on first use on the ledger's client (one client per warm Lambda)."""

    ledger: LedgerStore
    tenants: TenantStore
    programs: ProgramCache
    clock: Callable[[], datetime] = utc_now
    max_attempts: int = 12
    sleep: Callable[[float], None] = field(default=time.sleep)

    @property
    def members(self) -> MemberStore:
        return self.ledger.members

    @property
    def entries(self) -> EntryStore:
        return self.ledger.entries

    @property
    def idempotency(self) -> IdempotencyStore:
        return self.ledger.idempotency

    @cached_property
    def purchases(self) -> PurchaseStore:
        return PurchaseStore(self.ledger.table_name, self.ledger.client)

    @cached_property
    def notices(self) -> NoticeStore:
        return NoticeStore(self.ledger.table_name, self.ledger.client)

    @cached_property
    def memberships(self) -> MembershipStore:
        return MembershipStore(self.ledger.table_name, self.ledger.client)

    @cached_property
    def holds(self) -> HoldStore:
        return HoldStore(self.ledger.table_name, self.ledger.client)

    @cached_property
    def rewards(self) -> RewardStore:
        return RewardStore(self.ledger.table_name, self.ledger.client)

    @cached_property
    def coupons(self) -> CouponStore:
        return CouponStore(self.ledger.table_name, self.ledger.client)

    @cached_property
    def lotteries(self) -> LotteryStore:
        return LotteryStore(self.ledger.table_name, self.ledger.client)

    @cached_property
    def webhooks(self) -> WebhookStore:
        return WebhookStore(self.ledger.table_name, self.ledger.client)

    @cached_property
    def audit(self) -> AuditStore:
        """The audit log of admin and operator actions."""
        return AuditStore(self.ledger.table_name, self.ledger.client)

    @cached_property
    def import_rows(self) -> ImportStore:
        """Import jobs' stored rows (what an erasure removes a member's profile from)."""
        return ImportStore(self.ledger.table_name, self.ledger.client)

    @cached_property
    def contacts(self) -> ContactStore:
        """Members by email and phone: the lookup items written with each profile."""
        return ContactStore(self.ledger.table_name, self.ledger.client)

    @cached_property
    def reviews(self) -> ReviewStore:
        """Members whose earns breached a velocity rule, for an admin to resolve."""
        return ReviewStore(self.ledger.table_name, self.ledger.client)

    @cached_property
    def signing_keys(self) -> SigningKeyStore:
        """The member tokens' signing keys."""
        return SigningKeyStore(self.ledger.table_name, self.ledger.client)

    @cached_property
    def reports(self) -> ReportStore:
        """The report aggregates the stream keeps."""
        return ReportStore(self.ledger.table_name, self.ledger.client)

    @cached_property
    def snapshots(self) -> SnapshotStore:
        """The customers report's snapshots."""
        return SnapshotStore(self.ledger.table_name, self.ledger.client)

    @cached_property
    def exports(self) -> ExportStore:
        """Bulk jobs (exports) and the reads an export makes."""
        return ExportStore(self.ledger.table_name, self.ledger.client)

    @cached_property
    def jobs(self) -> JobStore:
        """The scheduled runs' checkpoints."""
        return JobStore(self.ledger.table_name, self.ledger.client)


@lru_cache(maxsize=1)
def default_context() -> Context:
    settings = get_settings()
    tenants = TenantStore(settings.table_name)
    return Context(
        ledger=LedgerStore(settings.table_name),
        tenants=tenants,
        programs=ProgramCache(tenants, settings.program_cache_seconds),
    )


@lru_cache(maxsize=1)
def default_jobs() -> JobStore:
    """The scheduled runs' checkpoints, on the ledger's client (one client per warm Lambda)."""
    return default_context().jobs


@dataclass(frozen=True)
class Outcome:
    """What an operation answered: kept in its operation record, so a replay answers the same."""

    status: int
    body: dict[str, Any]
    replayed: bool = False
    committed: bool = False  # this call wrote it (not a replay, not an answer without a write)


def replay(record: OperationRecord, fingerprint: str) -> Outcome:
    if record.request_hash != fingerprint:
        raise IdempotencyConflictError(
            f"{record.kind} id {record.natural_id!r} was already used with a different request"
        )
    return Outcome(status=record.status, body=record.body, replayed=True)


def existing_member(context: Context, tenant_id: str, member_id: str) -> MemberRecord:
    """The member as stored now; 404 when there is none."""
    member = context.members.read_member(tenant_id, member_id)
    if member is None:
        raise MemberNotFoundError(f"member {member_id!r} not found")
    check_not_erased(member)
    return member


def check_not_erased(member: MemberRecord) -> MemberRecord:
    """An erased member takes no more changes (409 member-erased): its id is only reserved."""
    if member.account.status == "erased":
        raise MemberErasedError(f"member {member.member_id!r} was erased")
    return member


def member_unless_recorded(
    context: Context, tenant_id: str, member_id: str, kind: str, natural_id: str
) -> MemberRecord | None:
    """The member (None when there is none), read in the round trip that also looks up the
    operation's record: one already recorded under the natural id raises ReplayError, which
    `with_retries` answers from (the same status and body, or 409 for another request)."""
    member, operation = context.ledger.read_member_and_operation(tenant_id, member_id, kind, natural_id)
    if operation is not None:
        raise ReplayError(operation)
    return member


def member_to_change(
    context: Context, tenant_id: str, member_id: str, kind: str, natural_id: str
) -> MemberRecord:
    """The member an operation is about to change (see `member_unless_recorded`); 404 when none."""
    member = member_unless_recorded(context, tenant_id, member_id, kind, natural_id)
    if member is None:
        raise MemberNotFoundError(f"member {member_id!r} not found")
    return check_not_erased(member)


def with_retries(
    context: Context,
    attempt: Callable[[], Outcome],
    stored: Callable[[], OperationRecord | None],
    fingerprint: str,
) -> Outcome:
    """Run read-decide-commit until it commits, answering replays from the stored record.

    A concurrent change to the same member (optimistic version check) re-runs the attempt with
    fresh state; contention that outlives every attempt is a TransientError (retry later)."""
    for number in range(context.max_attempts):
        try:
            return attempt()
        except ReplayError as replayed:
            record = replayed.record or stored()
            if record is None:  # the record was written by a transaction that is not visible yet
                continue
            return replay(record, fingerprint)
        except ConcurrentChangeError:
            back_off(context, number)
    raise TransientError("too much contention on this member; retry later")


def back_off(context: Context, attempt: int) -> None:
    """Wait before retrying a lost race: exponential, capped, with full jitter."""
    context.sleep(random.uniform(0, min(0.25, 0.004 * 2**attempt)))  # noqa: S311 - jitter, not security
