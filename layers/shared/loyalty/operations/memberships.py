"""Paid membership: buying one (exactly once on `membership_id`), cancelling it, listing them.

Each is one transaction: the membership's record and the member's tier status (conditioned on
the status revision read), with the tier's history item and the membership event. A renewal and
a cancellation of the same member race on that revision: the loser re-reads and decides again,
so a renewal never extends from a membership cancelled meanwhile. Moves no points."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from loyalty.domain.calendar import local_date
from loyalty.domain.memberships import buy, cancel
from loyalty.errors import (
    IdempotencyConflictError,
    MembershipEndedError,
    MembershipNotFoundError,
    MembershipPriceError,
    TransientError,
    UnknownPlanError,
)
from loyalty.models.memberships import (
    MembershipRequest,
    MembershipResponse,
    MembershipsPage,
    MembershipStatus,
)
from loyalty.models.program import Program
from loyalty.operations.context import Context, Outcome, existing_member
from loyalty.operations.tiers import commit_tier, enrolled_on
from loyalty.store.membership_store import MembershipRecord, MembershipTakenError


def buy_membership(context: Context, tenant_id: str, member_id: str, request: MembershipRequest) -> Outcome:
    """201 with the membership's dates; the same request again answers 200 with the stored one,
    another request under the same id is 409."""
    program = context.programs.get(tenant_id)
    for number in range(context.max_attempts):
        now = context.clock()
        today = local_date(now, program.timezone)
        stored = context.memberships.read(tenant_id, member_id, request.membership_id)
        if stored is not None:
            return _replay(stored, request, program)
        member = existing_member(context, tenant_id, member_id)
        plan = program.plan(request.plan_id)
        if plan is None:
            raise UnknownPlanError(f"the program has no membership plan {request.plan_id!r}")
        if (request.amount, request.currency) != (plan.price.amount, plan.price.currency):
            raise MembershipPriceError(
                f"plan {plan.plan_id!r} costs {plan.price.amount:.2f} {plan.price.currency}, "
                f"not {request.amount:.2f} {request.currency}"
            )
        decision, period = buy(
            program, member.tier, enrolled_on(member, program), today, request.membership_id, plan
        )
        record = MembershipRecord(
            tenant_id=tenant_id,
            member_id=member_id,
            tier_id=plan.tier_id,
            starts_on=period.starts_on,
            ends_on=period.ends_on,
            created_at=now,
            **request.model_dump(),  # the purchase as asked: its id, plan, order, amount and currency
        )
        try:
            if commit_tier(context, member, decision, now, number, (context.memberships.put(record),)):
                return Outcome(201, membership_view(record, today).model_dump(mode="json"), committed=True)
        except MembershipTakenError as taken:  # bought by a request racing this one
            return _replay(taken.stored, request, program)
    raise TransientError("too much contention on this member; retry later")


def cancel_membership(context: Context, tenant_id: str, member_id: str, membership_id: str) -> Outcome:
    """Withdraw a membership not yet ended; the member falls back to what their figures reach
    (never below another assignment or membership in force). A second cancel answers the same."""
    program = context.programs.get(tenant_id)
    for number in range(context.max_attempts):
        now = context.clock()
        today = local_date(now, program.timezone)
        record = context.memberships.read(tenant_id, member_id, membership_id)
        if record is None:
            raise MembershipNotFoundError(f"membership {membership_id!r} not found")
        if record.cancelled_at is not None:
            return Outcome(200, membership_view(record, today).model_dump(mode="json"), replayed=True)
        member = existing_member(context, tenant_id, member_id)
        decision = cancel(program, member.tier, enrolled_on(member, program), today, membership_id)
        if decision is None:
            raise MembershipEndedError(f"membership {membership_id!r} ended on {record.ends_on}")
        if commit_tier(context, member, decision, now, number, (context.memberships.cancel(record, now),)):
            cancelled = replace(record, cancelled_at=now)
            return Outcome(200, membership_view(cancelled, today).model_dump(mode="json"), committed=True)
    raise TransientError("too much contention on this member; retry later")


def list_memberships(context: Context, tenant_id: str, member_id: str) -> Outcome:
    program = context.programs.get(tenant_id)
    existing_member(context, tenant_id, member_id)
    today = local_date(context.clock(), program.timezone)
    records = context.memberships.member_memberships(tenant_id, member_id)
    page = MembershipsPage(items=[membership_view(record, today) for record in records])
    return Outcome(200, page.model_dump(mode="json"))


def membership_view(record: MembershipRecord, today: date) -> MembershipResponse:
    status: MembershipStatus
    if record.cancelled_at is not None:
        status = "cancelled"
    elif record.ends_on <= today:
        status = "ended"
    else:
        status = "active" if record.starts_on <= today else "scheduled"
    return MembershipResponse(
        membership_id=record.membership_id,
        plan_id=record.plan_id,
        tier_id=record.tier_id,
        starts_on=record.starts_on,
        ends_on=record.ends_on,
        order_id=record.order_id,
        amount=f"{record.amount:.2f}",
        currency=record.currency,
        status=status,
    )


def _replay(stored: MembershipRecord, request: MembershipRequest, program: Program) -> Outcome:
    """The same request again answers what the purchase answered (the membership as bought, on
    the day it was bought), whatever happened to it since; another request under the id is 409."""
    asked = (request.plan_id, request.order_id, request.amount, request.currency)
    if (stored.plan_id, stored.order_id, stored.amount, stored.currency) != asked:
        raise IdempotencyConflictError(
            f"membership id {request.membership_id!r} was already used with a different request"
        )
    as_bought = replace(stored, cancelled_at=None)
    bought_on = local_date(stored.created_at, program.timezone)
    return Outcome(200, membership_view(as_bought, bought_on).model_dump(mode="json"), replayed=True)
