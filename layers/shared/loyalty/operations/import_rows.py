"""One row of an import or bulk adjustment, applied or taken back, each through the write funnel.

A row's natural id is its job and line (`{import_id}:{line}`): the funnel's idempotency record is
committed in the row's own ledger transaction, so a row applied twice (a replayed chunk, a worker
killed after the row and before its step's checkpoint) is replayed, never paid twice. A revert of
the row has the same natural id under its own kind, so it happens at most once too, and takes back
what the row's record says it credited (as debt where the points are already spent), and ends the
tier the row gave the member it enrolled if the member still holds it from the import, in the same
transaction."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from loyalty.domain.calendar import local_date
from loyalty.domain.expiry import ProgramAt, lot_expiry
from loyalty.domain.idempotency import request_fingerprint
from loyalty.domain.import_tiers import ImportedTier, take_back
from loyalty.domain.ledger import Account, credit, debit
from loyalty.domain.sunset import redeeming_ended
from loyalty.domain.tiers import TierStatus, assign
from loyalty.errors import InvalidRequestError, MemberErasedError, MemberNotFoundError
from loyalty.models.imports import ImportRow
from loyalty.models.ledger import EntryDetail
from loyalty.models.program import Program
from loyalty.operations.context import Context, check_not_erased, member_unless_recorded
from loyalty.operations.funnel import Decision, Write, change_member, commit
from loyalty.operations.tiers import enrolled_on
from loyalty.store.idempotency_store import OperationRecord
from loyalty.store.member_store import MemberRecord, TierUpdate

ROW = "import-row"
ROW_REVERT = "import-row-revert"
PROFILE_FIELDS = ("name", "email", "phone", "birthday")


@dataclass(frozen=True)
class RowJob:
    """The job a row is applied (or taken back) for: what every row of it is written with."""

    tenant_id: str
    import_id: str
    kind: str  # "import", or "adjustment" (a bulk adjustment)
    reason: str | None  # the job's, for a row that states none
    actor: str  # who started the job, on every entry it writes


def row_id(import_id: str, line: int) -> str:
    return f"{import_id}:{line}"


def apply_row(context: Context, job: RowJob, line: int, row: ImportRow, *, erased: bool = False) -> bool:
    """Apply one row; True when it was applied now or before (a replay). A refusal raises its
    LoyaltyError (the row is reported with it). An import enrols a member it does not know, without
    the signup bonus (their points come from the old system); a bulk adjustment needs the member.
    An erased member's row (`erased`: an erasure removed its profile columns) is refused (409
    member-erased), as is every row for an erased member, unless it was applied before the erasure:
    then it replays."""
    tenant_id, import_id, kind, actor = job.tenant_id, job.import_id, job.kind, job.actor
    natural = row_id(import_id, line)
    fingerprint = request_fingerprint(ROW, row, job_kind=kind)
    write = Write(tenant_id, ROW, natural, _as_recorded if erased else fingerprint)

    def decide() -> Decision:
        member = member_unless_recorded(context, tenant_id, row.member_id, ROW, natural)
        if erased and member is None:  # (an erased member's item stays: not expected)
            raise MemberErasedError(f"member {row.member_id!r} was erased")
        if member is not None:  # no change to an erased member (its id is only reserved)
            check_not_erased(member)
        now = context.clock()
        program = context.programs.get(tenant_id)
        today = local_date(now, program.timezone)
        profile, tier = None, None
        account, lots = (member.account, member.lots) if member else (Account(), [])
        if member is None:
            if kind != "import":
                raise MemberNotFoundError(f"member {row.member_id!r} not found")
            profile = row.model_dump(mode="json", include=set(PROFILE_FIELDS), exclude_none=True)
            tier = imported_tier(program, row, today, actor)
        body = {"line": line, "member_id": row.member_id, "points": row.points}
        expires_on: date | None = None
        if row.points == 0 and member is not None:  # nothing to move on a member already there
            return Decision(201, body, now, state={"points": 0})
        if row.points >= 0:
            if row.points and redeeming_ended(program, now):
                raise InvalidRequestError("the program has ended: no points can be granted")
            if row.expires_on is not None and row.expires_on < today:
                raise InvalidRequestError(f"expires_on {row.expires_on} is already over")
            expires_on = lot_expiry(
                program, "import" if kind == "import" else "adjustment", now, explicit=row.expires_on
            )
            posting = credit(account, lots, row.points, expires_on, today=today)
        else:
            posting = debit(account, lots, -row.points, today=today, shortfall="refuse")
        entry = EntryDetail(
            type="adjust",
            source="import" if kind == "import" else "admin",
            reason=row.reason or job.reason,
            actor=actor,
            expires_on=expires_on if posting.points else None,
            import_id=import_id,
            line=line,
            earned_on=row.earned_on,
        )
        state = {"points": row.points, "expires_on": expires_on.isoformat() if expires_on else None}
        if tier is not None and row.tier_id is not None:  # what a revert takes back
            state |= {"tier_id": row.tier_id, "tier_ends_on": _day(row.tier_ends_on), "tier_by": actor}
        body["entry_id"] = str(posting.seq)
        # an enrolled member is found by email and phone like any other (the lookups in its transaction)
        lookups = context.contacts.additions(tenant_id, row.member_id, profile) if profile else ()
        return Decision(
            201,
            body,
            now,
            row.member_id,
            posting,
            entry,
            records=lookups,
            state=state,
            new_member_profile=profile,
            tier=tier,
        )

    commit(context, write, decide)
    return True


def _as_recorded(record: OperationRecord) -> str:
    """The fingerprint a stripped row replays with: the one recorded when the full row applied.
    The row's fingerprint covers its profile columns, which the erasure removed after the row
    applied, so a step redelivered after the erasure would otherwise see another request under the
    row's id (409, reported as a refused row although it applied). Only an erased member's rows are
    stripped, so only they replay this way; the id is the job's line, and the job's file is fixed
    (another file under the import id is refused at its start), so it is the same row."""
    return record.request_hash


def imported_tier(program: Program, row: ImportRow, today: date, actor: str) -> TierUpdate | None:
    """The tier a member the import enrols holds from the old system: an admin-style assignment
    until `tier_ends_on` (none: no end), reason "import", written in the enrolment's transaction."""
    if row.tier_id is None:
        return None
    if program.tier(row.tier_id) is None:
        raise InvalidRequestError(f"tier {row.tier_id!r} is not in the program")
    if row.tier_ends_on is not None and row.tier_ends_on < today:
        raise InvalidRequestError(f"tier_ends_on {row.tier_ends_on} is already over")
    decision = assign(program, TierStatus(), today, today, row.tier_id, row.tier_ends_on, "import", actor)
    return TierUpdate(decision.status, 0, decision.change)


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def given_tier(state: dict[str, Any]) -> ImportedTier | None:
    """The tier the row gave the member it enrolled, as its record keeps it (None: none)."""
    if not state.get("tier_id"):
        return None
    ends_on = state.get("tier_ends_on")
    until = date.fromisoformat(ends_on) if ends_on else None
    return ImportedTier(str(state["tier_id"]), until, str(state.get("tier_by") or ""))


def revert_row(context: Context, job: RowJob, line: int, row: ImportRow) -> bool:
    """Take back what the row did, once; False when the row never applied (nothing to take back)."""
    tenant_id, import_id = job.tenant_id, job.import_id
    natural = row_id(import_id, line)
    applied = context.idempotency.read_operation(tenant_id, ROW, natural)
    points = int(applied.state.get("points", 0)) if applied is not None else 0
    given = given_tier(applied.state) if applied is not None else None
    if applied is None or (points == 0 and given is None):
        return False
    stored_expiry = applied.state.get("expires_on")
    expires_on = date.fromisoformat(stored_expiry) if stored_expiry else None
    reason = f"revert of {import_id} line {line}"

    def decide(member: MemberRecord, now: datetime) -> Decision:
        program = context.programs.get(tenant_id)
        at = ProgramAt(program, now)
        if points >= 0:  # the credit back, from its own lot first; what was spent becomes debt
            posting = debit(
                member.account,
                member.lots,
                points,
                today=at.today,
                shortfall="debt",
                prefer=(None, expires_on),
            )
        else:  # a deduction given back
            posting = credit(member.account, member.lots, -points, at.expiry("adjustment"), today=at.today)
        entry = EntryDetail(
            type="adjust",
            source="import-revert",
            reason=reason,
            actor=job.actor,
            import_id=import_id,
            line=line,
        )
        body = {"line": line, "member_id": row.member_id, "points": -points, "entry_id": str(posting.seq)}
        tier = None
        if given is not None:  # the tier the import gave, if the member still holds it from it
            enrolled = enrolled_on(member, program)
            taken = take_back(program, member.tier, enrolled, at.today, given, reason)
            if taken is not None and taken.change is not None:
                change = replace(taken.change, actor=job.actor)
                tier = TierUpdate(taken.status, member.tier.revision, change)
        return Decision(201, body, now, row.member_id, posting, entry, tier=tier)

    change_member(context, Write(tenant_id, ROW_REVERT, natural, ROW_REVERT), row.member_id, decide)
    return True
