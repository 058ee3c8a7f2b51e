"""What only the member's own view needs beyond the shared operations: the catalog as this member
may redeem it, and the program's rules in plain words. Everything else under /v1/me reuses the
member, ledger, redemption and coupon operations with the member the token names."""

from __future__ import annotations

from loyalty.domain.calendar import local_date
from loyalty.domain.ledger import mature
from loyalty.domain.program_text import explain, locale_for
from loyalty.domain.redemption import check_redeemable, points_cost
from loyalty.domain.tiers import current_tier, may_redeem
from loyalty.errors import RewardUnavailableError
from loyalty.models.api import ProgramRulesResponse, RulesSectionView
from loyalty.models.rewards import MemberRewardResponse, UnavailableReason
from loyalty.operations.context import Context, Outcome, existing_member
from loyalty.operations.redemptions import reward_view

MAX_REWARDS = 200  # a member's catalog page: the whole catalog of a shop, in two Query pages at most


def member_rewards(context: Context, tenant_id: str, member_id: str) -> Outcome:
    """Every reward with whether this member may redeem one now and, if not, each reason: the
    reward's window, a higher tier's reward, stock, the per-member limit, their available points."""
    member = existing_member(context, tenant_id, member_id)
    program = context.programs.get(tenant_id)
    now = context.clock()
    account, _ = mature(member.account, member.lots, local_date(now, program.timezone))
    store = context.rewards
    records, after = store.list_rewards(tenant_id, MAX_REWARDS, None)
    counts = store.member_counts(tenant_id, member_id)
    tier_id = current_tier(program, member.tier).id
    items = []
    for record in records:
        reward = record.reward
        reasons: list[UnavailableReason] = []
        if reward.active_from is not None and now < reward.active_from:
            reasons.append("not_started")
        elif reward.active_until is not None and now >= reward.active_until:
            reasons.append("ended")
        if not may_redeem(program, member.tier, record.reward_id):
            reasons.append("tier")
        else:
            try:
                check_redeemable(
                    reward.model_copy(update={"active_from": None, "active_until": None}), tier_id, now
                )
            except RewardUnavailableError:
                reasons.append("tier")
        if reward.stock is not None and reward.stock < 1:
            reasons.append("out_of_stock")
        redeemed = counts.get(record.reward_id, 0)
        limit_left = None if reward.per_member_limit is None else max(0, reward.per_member_limit - redeemed)
        if limit_left == 0:
            reasons.append("limit_reached")
        if account.available < points_cost(reward, now):
            reasons.append("points")
        view = reward_view(context, tenant_id, record)
        items.append(
            MemberRewardResponse.model_validate(
                {
                    **view,
                    "redeemable": not reasons,
                    "reasons": reasons,
                    "redeemed": redeemed,
                    "limit_left": limit_left,
                }
            ).model_dump(mode="json")
        )
    return Outcome(200, {"items": items, "next_cursor": after})


def program_rules(context: Context, tenant_id: str, member_id: str, lang: str | None) -> Outcome:
    """The published program in plain words, in the language asked for, else the member's own."""
    member = existing_member(context, tenant_id, member_id)
    program = context.programs.get(tenant_id)
    locale = locale_for(lang or str(member.profile.get("locale") or "zh-CN"))
    sections = explain(program, locale, context.clock())
    body = ProgramRulesResponse(
        locale="zh-CN" if locale == "zh-CN" else "en",
        program_version=program.version,
        name=program.name,
        sections=[
            RulesSectionView(id=section.id, title=section.title, lines=section.lines) for section in sections
        ],
    )
    return Outcome(200, body.model_dump(mode="json"))
