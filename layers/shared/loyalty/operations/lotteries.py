"""Points lotteries: a draw is ONE transaction of the member's debit (the cost), the day's draw
count (condition: under the daily limit), one of the prize won (condition: one left), the draw's
record and its idempotency record. The roll is drawn once per request from the given random
source (cryptographically secure by default), so a retried attempt maps the same roll again:
a prize that ran out meanwhile falls back as the lottery says, it is not re-rolled."""

from __future__ import annotations

import random
import secrets
from datetime import datetime
from typing import Any

from loyalty.domain.calendar import local_date
from loyalty.domain.idempotency import request_fingerprint
from loyalty.domain.ledger import debit
from loyalty.domain.lottery import outcome, roll, total_weight
from loyalty.errors import LotteryNotFoundError, MemberNotFoundError, NotFoundError
from loyalty.models.ledger import EntryDetail
from loyalty.models.rewards import DrawRecordResponse, DrawRequest, DrawResponse, Lottery, LotteryResponse
from loyalty.operations.context import Context, Outcome, Principal
from loyalty.operations.funnel import Decision, Write, change_member
from loyalty.operations.holds import spendable
from loyalty.operations.views import posted
from loyalty.store.lottery_store import LotteryRecord
from loyalty.store.member_store import MemberRecord

DRAW = "draw"


def put_lottery(context: Context, principal: Principal, lottery_id: str, lottery: Lottery) -> Outcome:
    context.lotteries.put_lottery(principal.tenant_id, lottery_id, lottery, context.clock())
    return read_lottery(context, principal.tenant_id, lottery_id)


def _lottery(context: Context, tenant_id: str, lottery_id: str) -> LotteryRecord:
    record = context.lotteries.read_lottery(tenant_id, lottery_id)
    if record is None:
        raise LotteryNotFoundError(f"lottery {lottery_id!r} not found")
    return record


def read_lottery(context: Context, tenant_id: str, lottery_id: str) -> Outcome:
    record = _lottery(context, tenant_id, lottery_id)
    document = record.lottery.model_dump()
    for prize in document["prizes"]:
        if prize["stock"] is not None:
            prize["stock"] = record.stock.get(prize["prize_id"], 0)
    return Outcome(200, LotteryResponse(lottery_id=lottery_id, **document).model_dump(mode="json"))


def draw(
    context: Context,
    tenant_id: str,
    member_id: str,
    request: DrawRequest,
    source: random.Random | None = None,
) -> Outcome:
    """Pay the lottery's points and draw, once per draw id. 409 when short of points or over the
    daily limit (both refused before anything is drawn)."""
    source = source or secrets.SystemRandom()
    fingerprint = request_fingerprint(DRAW, request, member_id=member_id)
    store = context.lotteries
    rolls: dict[int, int] = {}  # total weight -> the roll: one roll per request (per prize table)

    def decide(member: MemberRecord, now: datetime) -> Decision:
        record = _lottery(context, tenant_id, request.lottery_id)
        lottery = record.lottery
        program = context.programs.get(tenant_id)
        member = spendable(context, member, program, now)
        today = local_date(now, program.timezone)
        posting = debit(member.account, member.lots, lottery.points_cost, today=today, shortfall="refuse")
        total = total_weight(lottery)
        if total not in rolls:  # one roll per request: a retry after a lost race maps the same roll
            rolls[total] = roll(lottery, source)
        rolled = rolls[total]
        result = outcome(lottery, rolled, record.stock)
        won = result.won
        body = DrawResponse(
            draw_id=request.draw_id,
            member_id=member_id,
            lottery_id=request.lottery_id,
            prize_id=won.prize_id if won else None,
            prize_name=won.name if won else None,
            drawn_prize_id=result.drawn.prize_id if result.drawn else None,
            fell_back=result.fell_back,
            roll=rolled,
            total_weight=total,
            points=lottery.points_cost,
            **posted(posting),
            created_at=now,
        ).model_dump(mode="json")
        extra = [
            store.count_draw(
                tenant_id, member_id, request.lottery_id, today.isoformat(), lottery.daily_limit
            ),
            store.put_draw(tenant_id, member_id, _audit(body), lottery),
        ]
        if won is not None and won.stock is not None:
            extra.append(store.take_prize(tenant_id, request.lottery_id, won.prize_id))
        entry = EntryDetail(
            type="redeem", source="lottery", draw_id=request.draw_id, reward_id=request.lottery_id
        )
        return Decision(201, body, now, member_id, posting, entry, tuple(extra))

    return change_member(context, Write(tenant_id, DRAW, request.draw_id, fingerprint), member_id, decide)


def _audit(body: dict[str, Any]) -> dict[str, Any]:
    """What an auditor needs to re-check the draw: the roll (the store adds the table it was
    mapped on)."""
    return {name: value for name, value in body.items() if name not in ("balance",)}


def read_draw(context: Context, tenant_id: str, member_id: str, draw_id: str) -> Outcome:
    found = context.lotteries.read_draw(tenant_id, member_id, draw_id)
    if found is None:
        raise NotFoundError(f"draw {draw_id!r} of member {member_id!r} not found")
    return Outcome(200, DrawRecordResponse.model_validate(found).model_dump(mode="json"))


MAX_DRAWS = 100


def list_member_draws(context: Context, tenant_id: str, member_id: str) -> Outcome:
    """The member's draws, newest first (up to 100 of them: a member's own history, for the portal)."""
    found = context.lotteries.member_draws(tenant_id, member_id, MAX_DRAWS)
    if not found and context.members.read_member(tenant_id, member_id) is None:
        raise MemberNotFoundError(f"member {member_id!r} not found")
    views = [DrawResponse.model_validate(draw).model_dump(mode="json") for draw in found]
    views.sort(key=lambda view: str(view["created_at"]), reverse=True)
    return Outcome(200, {"items": views, "next_cursor": None})
