"""Velocity reviews: an earn (a purchase or an activity) that breaches one of the program's
velocity rules is recorded with its points withheld and puts the member under review, in the
earn's own transaction (domain/velocity.py counts the earns on the member item, under its
version condition: concurrent earns are serialised and none slips past a limit). A `freeze` rule
freezes the member too. An admin lists the reviews and resolves each: the withheld points it
holds released into the balance or forfeited, with a ledger entry and an audit entry, exactly
once (the review's id is the natural id of its resolution)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from loyalty.domain.expiry import ProgramAt
from loyalty.domain.idempotency import request_fingerprint
from loyalty.domain.ledger import Posting, credit, settle_withheld
from loyalty.domain.velocity import velocity_of_earn
from loyalty.errors import MemberFrozenError, MemberNotFoundError, ReviewClosedError, ReviewNotFoundError
from loyalty.models.ledger import EntryDetail
from loyalty.models.program import Program
from loyalty.models.risk import ResolveReviewRequest, ResolveReviewResponse, Review, ReviewPage, ReviewStatus
from loyalty.operations.audit import audit_entry
from loyalty.operations.context import Context, Outcome, Principal, check_not_erased
from loyalty.operations.funnel import Decision, Write, commit
from loyalty.operations.paging import MAX_PAGE, decode_after, encode_cursor
from loyalty.operations.views import posted
from loyalty.store.ledger_store import ReplayError
from loyalty.store.member_store import MemberRecord
from loyalty.store.table import Guarded

RESOLVE = "review_resolve"


@dataclass(frozen=True)
class Screening:
    """An earn as the velocity rules judged it: the recent earns to keep on the member, and when
    it breached a rule, that its points are withheld (and the member frozen), under which review,
    and the review's write."""

    recent: list[list[int]]
    withhold: bool = False
    freeze: bool = False
    review_id: str | None = None
    records: tuple[Guarded, ...] = ()

    def counters(self, counters: dict[str, Any]) -> dict[str, Any]:
        """The member's counters after the earn (as `after_award` built them) with the review."""
        return counters | ({"review": self.review_id} if self.review_id else {})


def screen_earn(
    context: Context, tenant_id: str, program: Program, member: MemberRecord, now: datetime, points: int
) -> Screening:
    velocity = velocity_of_earn(member.counters, program, now, points)
    if not velocity.withhold:
        return Screening(velocity.recent)
    review_id = member.counters.get("review")
    if review_id:
        record = context.reviews.add_to_review(tenant_id, review_id, points)
    else:
        review_id = _review_id(member.member_id, now)
        review = Review(
            review_id=review_id,
            member_id=member.member_id,
            action="freeze" if velocity.freeze else "review",
            rules=[velocity.reason()],
            points=points,
            earns=1,
            opened_at=now,
        )
        record = context.reviews.open_review(tenant_id, review)
    return Screening(velocity.recent, True, velocity.freeze, review_id, (record,))


def screened_credit(
    context: Context,
    tenant_id: str,
    program: Program,
    member: MemberRecord,
    now: datetime,
    points: int,
    expires_on: date | None,
    available_on: date | None = None,
) -> tuple[Posting, Screening]:
    """An earn's credit (a purchase's or an activity's) after its velocity screening: withheld, and
    the member frozen by a `freeze` rule, when the earn breaches a rule."""
    screening = screen_earn(context, tenant_id, program, member, now, points)
    posting = credit(
        member.account,
        member.lots,
        points,
        expires_on,
        today=ProgramAt(program, now).today,
        available_on=available_on,
        withhold=screening.withhold,
        freeze=screening.freeze,
    )
    return posting, screening


def _review_id(member_id: str, now: datetime) -> str:
    """Oldest first in id order: the time it opened, then a short digest of the member."""
    digest = hashlib.sha256(member_id.encode()).hexdigest()[:10]
    return f"{now.strftime('%Y%m%dT%H%M%S%f')}-{digest}"


def list_reviews(
    context: Context, tenant_id: str, status: ReviewStatus | None, limit: int, cursor: str | None
) -> Outcome:
    after = decode_after(cursor) if cursor is not None else None
    items, more = context.reviews.list_reviews(tenant_id, status, min(limit, MAX_PAGE), after)
    body = ReviewPage(items=items, next_cursor=encode_cursor(after=more) if more else None)
    return Outcome(200, body.model_dump(mode="json"))


def read_review(context: Context, tenant_id: str, review_id: str) -> Outcome:
    return Outcome(200, _existing(context, tenant_id, review_id).model_dump(mode="json"))


def _existing(context: Context, tenant_id: str, review_id: str) -> Review:
    review = context.reviews.read_review(tenant_id, review_id)
    if review is None:
        raise ReviewNotFoundError(f"review {review_id!r} not found")
    return review


def resolve_review(
    context: Context, principal: Principal, review_id: str, request: ResolveReviewRequest
) -> Outcome:
    """Release or forfeit the points withheld under a review (no more than the member still has
    withheld: an unfreeze or a refund may have taken some meanwhile). A frozen member's points are
    not released here (409 member-frozen): unfreezing decides them. Exactly once per review."""
    tenant_id = principal.tenant_id
    fingerprint = request_fingerprint(RESOLVE, request, review_id=review_id)

    def decide() -> Decision:
        done = context.idempotency.read_operation(tenant_id, RESOLVE, review_id)
        if done is not None:
            raise ReplayError(done)
        review = _existing(context, tenant_id, review_id)
        if review.status != "open":
            raise ReviewClosedError(f"review {review_id!r} is {review.status}")
        member = context.members.read_member(tenant_id, review.member_id)
        if member is None:
            raise MemberNotFoundError(f"member {review.member_id!r} not found")
        check_not_erased(member)
        if request.release and member.account.status == "frozen":
            raise MemberFrozenError(f"member {review.member_id!r} is frozen: unfreeze it to release points")
        now = context.clock()
        at = ProgramAt(context.programs.get(tenant_id), now)
        expires_on = at.expiry()
        posting = settle_withheld(
            member.account,
            member.lots,
            review.points,
            today=at.today,
            release=request.release,
            expires_on=expires_on,
        )
        moved = -posting.withheld
        status: ReviewStatus = "released" if request.release else "forfeited"
        resolved = review.model_copy(
            update={
                "status": status,
                "resolved_at": now,
                "resolved_by": principal.key_id,
                "reason": request.reason,
            }
        )
        body = ResolveReviewResponse(
            review=resolved,
            released=moved if request.release else 0,
            forfeited=0 if request.release else moved,
            **posted(posting),
        ).model_dump(mode="json")
        entry = EntryDetail(
            type="review",
            status=status,
            reason=request.reason,
            actor=principal.key_id,
            review_id=review_id,
            expires_on=expires_on if request.release and moved else None,
        )
        audit = audit_entry(
            principal,
            "review.resolved",
            now,
            review.member_id,
            review_id=review_id,
            status=status,
            points=moved,
        )
        counters = {key: value for key, value in member.counters.items() if key != "review"}
        records = (context.reviews.resolve(tenant_id, resolved),)
        return Decision(
            200, body, now, review.member_id, posting, entry, records, counters=counters, audit=audit
        )

    return commit(context, Write(tenant_id, RESOLVE, review_id, fingerprint), decide)
