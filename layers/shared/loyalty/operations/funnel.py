"""The one funnel every idempotent write goes through.

An operation states only its decision: given the member, the program and now, the answer it gives
(status and body), the posting and its ledger entry, and the records it writes (a hold, a
redemption, stock, a coupon). The funnel does the rest, the same way for every operation:

- the idempotency record: the request's fingerprint and the stored response, committed in the
  same transaction as the decision (`OperationRecord`);
- the replay: a natural id already recorded answers its stored response (the same status and
  body, byte for byte), or 409 when the fingerprint differs;
- the commit: one TransactWriteItems (`LedgerStore.commit`), or, for a decision that moves no
  points, the records alone (`LedgerStore.record`);
- the retries: a lost race re-reads and decides again (`with_retries`).

So `adjust` (or any other write) is its decision plus one line: `change_member(context, write,
member_id, decide)`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from loyalty.domain.ledger import Posting
from loyalty.models.audit import AuditEntry
from loyalty.models.ledger import EntryDetail
from loyalty.operations.context import Context, Outcome, member_to_change, replay, with_retries
from loyalty.store.idempotency_store import OperationRecord, OperationUpdate
from loyalty.store.ledger_store import ConcurrentChangeError, MemberPosting, PostingCommit, ReplayError
from loyalty.store.member_store import MemberRecord, TierUpdate
from loyalty.store.table import Guarded


@dataclass(frozen=True)
class Write:
    """Who a write is: its tenant, its kind and natural id (the idempotency key), and the
    fingerprint of its request (the same id with another request is a conflict). When the
    fingerprint depends on what was recorded (a capture is of the hold's order, whether or not the
    request names it), it is a function of the stored record, and each decision states its own."""

    tenant_id: str
    kind: str
    natural_id: str
    fingerprint: str | Callable[[OperationRecord], str]
    # How long the stored answer is kept (None: for ever). An operation whose id is not the caller's
    # (a PATCH's is its request's) is replayed only by a retry of the same request, soon after; its
    # answer, which may hold personal data, need not outlive that.
    kept_for: timedelta | None = None


@dataclass(frozen=True)
class Decision:
    """What an operation decided: its answer and everything it writes, all or nothing.

    Without a posting, the decision moves no points: only its records and its idempotency record
    are written (a coupon given away)."""

    status: int
    body: dict[str, Any]
    now: datetime
    member_id: str = ""
    posting: Posting | None = None
    entry: EntryDetail | None = None
    records: tuple[Guarded, ...] = ()  # the entities it writes: a hold, a redemption, stock, a coupon
    state: dict[str, Any] = field(default_factory=dict)  # what later operations read of this one
    counters: dict[str, Any] | None = None  # the member's counters after it, when it changes them
    tier: TierUpdate | None = None
    also: tuple[MemberPosting, ...] = ()  # other members' postings (a referrer's reward)
    new_member_profile: dict[str, Any] | None = None  # an enrolment: the member item is created
    updates: OperationUpdate | None = None  # an earlier operation's state (a refunded purchase)
    fingerprint: str | None = None  # the request's, when the write's depends on what was read
    audit: AuditEntry | None = None  # an admin's or operator's action: its audit log entry, written with it
    # The member's postings before `posting` in this write, each with its own entry (a partial
    # capture releases the rest, then captures); `posting` spans them (its `before` is as read).
    earlier: tuple[tuple[Posting, EntryDetail], ...] = ()

    def ledger_commit(
        self, tenant_id: str, operation: OperationRecord, records: tuple[Guarded, ...]
    ) -> PostingCommit:
        """The ledger transaction of a decision that moves points: the operation's record and the
        entities it writes (`records`, its audit entry among them), and what the decision states
        under the commit's own names (`COMMITTED`: the member, the posting, its entry, ...)."""
        assert self.entry is not None, "a posting is written with its ledger entry"
        stated = {name: getattr(self, name) for name in COMMITTED}
        return PostingCommit(
            tenant_id=tenant_id, operation=operation, operation_update=self.updates, extra=records, **stated
        )


# What a decision states that its ledger commit writes under the same name
COMMITTED = tuple(
    sorted({spec.name for spec in fields(PostingCommit)} & {spec.name for spec in fields(Decision)})
)


def commit(context: Context, write: Write, decide: Callable[[], Decision | Outcome]) -> Outcome:
    """Decide and commit until it commits, answering a replay from the stored response. A decision
    may be an answer that writes nothing (an `Outcome`: the hold was closed meanwhile)."""

    def attempt() -> Outcome:
        decision = decide()
        if isinstance(decision, Outcome):
            return decision
        fingerprint = decision.fingerprint or write.fingerprint
        assert isinstance(fingerprint, str), "a write whose fingerprint depends on the record states it"
        record = OperationRecord(
            write.kind,
            write.natural_id,
            fingerprint,
            decision.status,
            decision.body,
            decision.state,
            kept_until=decision.now + write.kept_for if write.kept_for else None,
        )
        records = decision.records
        if decision.audit is not None:
            records = (*records, context.audit.put(write.tenant_id, decision.audit))
        if decision.posting is None:
            context.ledger.record(write.tenant_id, record, decision.now, records)
        else:
            context.ledger.commit(decision.ledger_commit(write.tenant_id, record, records))
        return Outcome(decision.status, decision.body, committed=True)

    if isinstance(write.fingerprint, str):
        return with_retries(context, attempt, lambda: stored(context, write), write.fingerprint)
    expected = write.fingerprint

    def attempt_or_replay() -> Outcome:
        try:
            return attempt()
        except ReplayError as replayed:
            record = replayed.record or stored(context, write)
            if record is None:  # written by a transaction that is not visible yet: read again
                raise ConcurrentChangeError("operation record not visible yet") from replayed
            return replay(record, expected(record))

    return with_retries(context, attempt_or_replay, lambda: None, "")


def change_member(
    context: Context,
    write: Write,
    member_id: str,
    decide: Callable[[MemberRecord, datetime], Decision],
) -> Outcome:
    """The common case: read the member (and, in the same round trip, whether the natural id is
    already recorded), decide given the member and now, commit."""

    def decision() -> Decision:
        member = member_to_change(context, write.tenant_id, member_id, write.kind, write.natural_id)
        return decide(member, context.clock())

    return commit(context, write, decision)


def change_candidate(
    context: Context,
    candidate: MemberRecord,
    kind: str,
    natural_id: str,
    decide: Callable[[MemberRecord | None], Decision | Outcome],
) -> Outcome:
    """A scheduled run's write to a member it found through an index: decided first on the member
    as the run read it; after a lost race, on the member read again (None when it is gone). Its
    request is its kind: every run of one natural id asks the same."""
    write = Write(candidate.tenant_id, kind, natural_id, kind)
    reads = [candidate]

    def decision() -> Decision | Outcome:
        member = (
            reads.pop() if reads else context.members.read_member(candidate.tenant_id, candidate.member_id)
        )
        return decide(member)

    return commit(context, write, decision)


def stored(context: Context, write: Write) -> OperationRecord | None:
    """The idempotency record of a write, if it was committed."""
    return context.idempotency.read_operation(write.tenant_id, write.kind, write.natural_id)
