"""The catalog and redemptions: a redemption is ONE transaction of the member's debit (oldest
expiry first, version condition), the stock (condition: enough left), the member's count of the
reward (condition: under the per-member limit), the redemption record, its ledger entry and its
idempotency record. Fulfilling changes the record only; cancelling gives back the points (the very
lots taken, with their original expiry dates: points whose date passed meanwhile are expired by
a daily expiry run within about a day), the stock and the member's count, again in one transaction."""

from __future__ import annotations

from dataclasses import replace

from loyalty.domain.calendar import local_date
from loyalty.domain.idempotency import request_fingerprint
from loyalty.domain.ledger import debit
from loyalty.domain.redemption import check_redeemable, points_cost, restore, taken_lots
from loyalty.domain.tiers import current_tier, may_redeem
from loyalty.errors import (
    MemberLimitReachedError,
    MemberNotFoundError,
    RedemptionNotFoundError,
    RedemptionStateError,
    RewardNotFoundError,
    RewardUnavailableError,
)
from loyalty.models.api import Balance
from loyalty.models.common import StrictModel, amount_str
from loyalty.models.program import Program
from loyalty.models.rewards import RedemptionRequest, RedemptionResponse, Reward, RewardResponse
from loyalty.operations.context import Context, Outcome, Principal, member_to_change, replay, with_retries
from loyalty.operations.holds import spendable
from loyalty.operations.paging import MAX_PAGE, decode_after, page
from loyalty.operations.views import balance
from loyalty.store.ledger_store import MemberRecord, OperationRecord, PostingCommit
from loyalty.store.reward_store import RedemptionRecord, RewardRecord, RewardStore

REDEMPTION = "redemption"
CANCELLATION = "redemption_cancel"


def reward_store(context: Context) -> RewardStore:
    """The reward items' store, on the ledger's table and client."""
    return RewardStore(context.ledger.table_name, context.ledger.client)


def member_tier(member: MemberRecord, program: Program, reward_id: str) -> str:
    """The member's tier id (members without one are in the base tier), once the program's tier
    benefits let it redeem the reward (a reward some tier lists is for that tier and higher)."""
    if not may_redeem(program, member.tier, reward_id):
        raise RewardUnavailableError(f"reward {reward_id!r} is a benefit of a higher tier")
    return current_tier(program, member.tier).id


# --- catalog --------------------------------------------------------------------------------------
def put_reward(context: Context, principal: Principal, reward_id: str, reward: Reward) -> Outcome:
    record = reward_store(context).put_reward(principal.tenant_id, reward_id, reward, context.clock())
    return Outcome(200, reward_view(context, principal.tenant_id, record))


def read_reward(context: Context, tenant_id: str, reward_id: str) -> Outcome:
    record = reward_store(context).read_reward(tenant_id, reward_id)
    if record is None:
        raise RewardNotFoundError(f"reward {reward_id!r} not found")
    return Outcome(200, reward_view(context, tenant_id, record))


def list_rewards(context: Context, tenant_id: str, limit: int, cursor: str | None) -> Outcome:
    after = decode_after(cursor) if cursor else None
    records, next_after = reward_store(context).list_rewards(tenant_id, min(limit, MAX_PAGE), after)
    return Outcome(200, page([reward_view(context, tenant_id, record) for record in records], next_after))


def reward_view(context: Context, tenant_id: str, record: RewardRecord) -> dict[str, object]:
    reward = record.reward
    program = context.programs.get(tenant_id)
    return RewardResponse(
        reward_id=record.reward_id,
        **reward.model_dump(exclude={"cash"}),
        cash=amount_str(reward.cash) if reward.cash is not None else None,
        currency=program.currency,
        current_points_cost=points_cost(reward, context.clock()),
        revision=record.revision,
    ).model_dump(mode="json")


# --- redemptions ----------------------------------------------------------------------------------
def redeem(context: Context, tenant_id: str, member_id: str, request: RedemptionRequest) -> Outcome:
    """Spend points on a reward, once per redemption id. 409 when out of stock, over the member's
    limit, short of points, or the reward is not redeemable now (window, tier)."""
    fingerprint = request_fingerprint(REDEMPTION, request, member_id=member_id)
    rewards = reward_store(context)

    def attempt() -> Outcome:
        member = member_to_change(context, tenant_id, member_id, REDEMPTION, request.redemption_id)
        record = rewards.read_reward(tenant_id, request.reward_id)
        if record is None:
            raise RewardNotFoundError(f"reward {request.reward_id!r} not found")
        reward, now = record.reward, context.clock()
        program = context.programs.get(tenant_id)
        check_redeemable(reward, member_tier(member, program, request.reward_id), now)
        limit = reward.per_member_limit
        if limit is not None and request.quantity > limit:
            raise MemberLimitReachedError(f"at most {limit} of reward {request.reward_id!r} per member")
        member = spendable(context, member, program, now)
        points = points_cost(reward, now) * request.quantity
        posting = debit(
            member.account, member.lots, points, today=local_date(now, program.timezone), shortfall="refuse"
        )
        cash = amount_str(reward.cash * request.quantity) if reward.cash is not None else None
        redemption = RedemptionRecord(
            redemption_id=request.redemption_id,
            member_id=member_id,
            reward_id=request.reward_id,
            quantity=request.quantity,
            points=points,
            cash=cash,
            currency=program.currency,
            status="requested",
            lots=taken_lots(posting),
            stock_taken=reward.stock is not None,
            entry_id=str(posting.seq),
            created_at=now,
            updated_at=None,
            version=1,
        )
        body = redemption_view(redemption, balance(posting.after))
        context.ledger.commit(
            PostingCommit(
                tenant_id=tenant_id,
                member_id=member_id,
                posting=posting,
                entry={
                    "type": "redeem",
                    "source": "catalog",
                    "redemption_id": request.redemption_id,
                    "reward_id": request.reward_id,
                    "quantity": request.quantity,
                },
                operation=OperationRecord(REDEMPTION, request.redemption_id, fingerprint, 201, body),
                now=now,
                extra=(
                    rewards.take_stock(tenant_id, record, request.quantity),
                    rewards.count_for_member(
                        tenant_id, member_id, request.reward_id, request.quantity, limit
                    ),
                    rewards.put_redemption(tenant_id, redemption),
                ),
            )
        )
        return Outcome(201, body)

    return with_retries(
        context,
        attempt,
        lambda: context.ledger.read_operation(tenant_id, REDEMPTION, request.redemption_id),
        fingerprint,
    )


def redemption_view(record: RedemptionRecord, after: Balance | None = None) -> dict[str, object]:
    return RedemptionResponse(
        redemption_id=record.redemption_id,
        member_id=record.member_id,
        reward_id=record.reward_id,
        quantity=record.quantity,
        points=record.points,
        cash_due={"amount": record.cash, "currency": record.currency} if record.cash else None,
        status=record.status,
        entry_id=record.entry_id,
        balance=after,
        created_at=record.created_at,
        updated_at=record.updated_at,
    ).model_dump(mode="json")


def read_redemption(context: Context, tenant_id: str, member_id: str, redemption_id: str) -> Outcome:
    return Outcome(200, redemption_view(_redemption(context, tenant_id, member_id, redemption_id)))


def _redemption(context: Context, tenant_id: str, member_id: str, redemption_id: str) -> RedemptionRecord:
    record = reward_store(context).read_redemption(tenant_id, member_id, redemption_id)
    if record is None:
        raise RedemptionNotFoundError(f"redemption {redemption_id!r} of member {member_id!r} not found")
    return record


def fulfil(context: Context, tenant_id: str, member_id: str, redemption_id: str) -> Outcome:
    """requested -> fulfilled; fulfilling again answers the same; a cancelled one is 409."""
    for _ in range(context.max_attempts):
        record = _redemption(context, tenant_id, member_id, redemption_id)
        if record.status == "fulfilled":
            return Outcome(200, redemption_view(record))
        if record.status != "requested":
            raise RedemptionStateError(f"redemption {redemption_id!r} is {record.status}")
        if reward_store(context).fulfil(tenant_id, record, context.clock()):
            return Outcome(200, redemption_view(_redemption(context, tenant_id, member_id, redemption_id)))
    raise RedemptionStateError(f"redemption {redemption_id!r} keeps changing; retry")


class _Cancel(StrictModel):
    """What a cancellation's fingerprint covers (the path names it all)."""


def cancel(context: Context, tenant_id: str, member_id: str, redemption_id: str) -> Outcome:
    """requested -> cancelled: the points come back in the lots they were taken from (original
    expiry dates; lots whose date has passed come back due, and a daily expiry run expires them
    within about a day), the stock and the member's count too. Cancelling again answers the same; a fulfilled
    redemption cannot be cancelled (409)."""
    fingerprint = request_fingerprint(
        CANCELLATION, _Cancel(), member_id=member_id, redemption_id=redemption_id
    )
    rewards = reward_store(context)

    def attempt() -> Outcome:
        member, operation = context.ledger.read_member_and_operation(
            tenant_id, member_id, CANCELLATION, redemption_id
        )
        if operation is not None:
            return replay(operation, fingerprint)
        record = _redemption(context, tenant_id, member_id, redemption_id)
        if record.status != "requested":
            raise RedemptionStateError(f"redemption {redemption_id!r} is {record.status}")
        if member is None:
            raise MemberNotFoundError(f"member {member_id!r} not found")
        program, now = context.programs.get(tenant_id), context.clock()
        posting = restore(member.account, member.lots, record.lots, today=local_date(now, program.timezone))
        extra = [rewards.uncount_for_member(tenant_id, member_id, record.reward_id, record.quantity)]
        # the stock goes back only to a reward that still counts it (it may have been made unlimited)
        reward = rewards.read_reward(tenant_id, record.reward_id) if record.stock_taken else None
        if reward is not None and reward.reward.stock is not None:
            extra.append(rewards.give_back_stock(tenant_id, record.reward_id, record.quantity))
        status_update = rewards.set_redemption_status(tenant_id, record, "cancelled", now)
        cancelled = replace(record, status="cancelled", updated_at=now)
        body = redemption_view(cancelled, balance(posting.after)) | {"points_returned": posting.points}
        body["entry_id"] = str(posting.seq)
        context.ledger.commit(
            PostingCommit(
                tenant_id=tenant_id,
                member_id=member_id,
                posting=posting,
                entry={
                    "type": "redeem_cancel",
                    "source": "catalog",
                    "redemption_id": redemption_id,
                    "reward_id": record.reward_id,
                },
                operation=OperationRecord(CANCELLATION, redemption_id, fingerprint, 200, body),
                now=now,
                extra=(status_update, *extra),
            )
        )
        return Outcome(200, body)

    return with_retries(
        context,
        attempt,
        lambda: context.ledger.read_operation(tenant_id, CANCELLATION, redemption_id),
        fingerprint,
    )
