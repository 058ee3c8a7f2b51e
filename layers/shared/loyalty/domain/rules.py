"""Program rules: how a purchase, an activity, a signup or a referral turns into points, explained.

Pure domain code: no I/O, "now" is passed in, money arrives as Decimal, points leave as int.
Inside, points are exact fractions (`fractions.Fraction` built from the Decimals), so nothing is
rounded before the end and no float is ever involved. Same inputs, same award.

A purchase is evaluated in this order, each step one line of the explanation:
  0. guards: older than `earn.max_age_days` -> "too_old"; below `earn.minimum_purchase` ->
     "below_minimum"; after the program's last earning day -> "program_ended"; none earns.
  1. base and item rules: base rate x the whole amount, or x each line item; the first item rule
     matching a line (by sku or category) multiplies that line's rate, and its `bonus_points`
     are fixed points per unit of quantity, set aside (never multiplied).
  2. channel multiplier, 3. tier multiplier (members without a known tier: the first, base tier).
  4. campaigns running at the purchase's program-local time whose target matches, combined by
     `campaign_stacking`; a campaign's `bonus_points` are fixed, once per purchase.
  5. fixed bonuses added, then rounding once, on the exact total (`earn.rounding`).
  6. caps: the per-award maximum, then the member's daily cap (cut to what is left, explained).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from loyalty.domain.awards import Award, MemberFacts, Purchase
from loyalty.domain.calendar import local_date, matches_recurrence, within
from loyalty.domain.counters import activity_period_key
from loyalty.domain.sunset import earning_ended
from loyalty.errors import InvalidRequestError
from loyalty.models.common import MAX_POINTS
from loyalty.models.program import Campaign, Program, Tier

ONE = Fraction(1)


@dataclass(frozen=True)
class _Portion:
    """A part of the purchase with its own item rule: a line, the unitemized rest, or all of it."""

    sku: str | None
    category: str | None
    points: Fraction  # rate-based, before channel, tier and campaigns


def evaluate_purchase(program: Program, purchase: Purchase, member: MemberFacts, now: datetime) -> Award:
    """Points for a purchase (see the module docstring for the order of the steps).

    With `items`, lines earn under their item rules. Lines adding up to less than `amount` leave
    a rest that earns the base rate; lines adding up to more (an order-level discount) count each
    for its share of `amount` (line x amount / lines total), so points follow what was paid.
    Campaigns are those running at `occurred_at` (or now; a future `occurred_at` counts as now).
    `pending_until` is the program-local date of now + `earn.pending_days`: the first day the
    points are available (None without a pending period or without points).
    """
    earn, currency = program.earn, program.currency
    occurred = purchase.occurred_at or now
    if (ended := earning_ended(program, occurred, now)) is not None:
        return _ended(ended)
    if (too_old := _too_old(program, occurred, now, "purchase")) is not None:
        return too_old
    if earn.minimum_purchase is not None and purchase.amount < earn.minimum_purchase:
        return _nothing(
            "below_minimum", f"{purchase.amount} {currency} is below the minimum {earn.minimum_purchase}"
        )

    explanation = [f"base: {rate_in_words(earn.points_per_unit, currency)}"]
    rule_ids = ["base"]
    portions, bonus = _base_and_items(program, purchase, explanation, rule_ids)
    common = _channel(program, purchase.channel, explanation, rule_ids)
    tier = _tier(program, member.tier, explanation, rule_ids)
    common *= Fraction(tier.earn_multiplier)
    at = min(occurred, now)
    factors, campaign_bonus = _campaigns(program, purchase, tier, portions, common, at, explanation, rule_ids)
    total = sum((p.points * common * f for p, f in zip(portions, factors, strict=True)), Fraction(0))
    total += bonus + campaign_bonus
    points = _round(total, earn.rounding)
    explanation.append(f"total {_show(total)} rounded {earn.rounding}: {points}")

    points, capped, reason = _caps(program, member, points, explanation, rule_ids)
    pending = local_date(now, program.timezone) + timedelta(days=earn.pending_days)
    pending_until = pending if earn.pending_days and points else None
    if pending_until is not None:
        explanation.append(
            f"pending until {pending_until.isoformat()} ({earn.pending_days}-day return window)"
        )
    return Award(points, explanation, rule_ids, capped, pending_until, reason)


def evaluate_activity(
    program: Program,
    activity_type: str,
    member: MemberFacts,
    now: datetime,
    occurred_at: datetime | None = None,
) -> Award:
    """Fixed points for an action, within its limit, its per-activity cap and the daily cap; an
    action older than `earn.max_age_days` earns nothing, like a purchase."""
    rule = program.activities.get(activity_type)
    if rule is None:
        raise InvalidRequestError(f"activity type {activity_type!r} is not part of this program")
    if (ended := earning_ended(program, now, now)) is not None:
        return _ended(ended)
    if (too_old := _too_old(program, occurred_at or now, now, "activity")) is not None:
        return too_old
    day = local_date(now, program.timezone)
    explanation = [f"activity {activity_type}: {rule.points} point(s)"]
    rule_ids = [f"activity:{activity_type}"]
    if rule.limit is not None:
        done = member.activity_counts.get(activity_period_key(activity_type, rule.limit.period, day), 0)
        if done >= rule.limit.count:
            explanation.append(f"limit of {rule.limit.count} per {rule.limit.period} reached: nothing earned")
            return Award(0, explanation, rule_ids, reason="limit_reached")
    points, capped, reason = rule.points, False, None
    cap = program.caps.per_activity.get(activity_type)
    if cap is not None:
        earned = member.activity_points.get(activity_period_key(activity_type, cap.period, day), 0)
        left = max(0, cap.points - earned)
        if points > left:
            explanation.append(
                f"{activity_type} cap {cap.points} per {cap.period}: {earned} earned, cut to {left}"
            )
            rule_ids.append(f"cap:activity:{activity_type}")
            points, capped, reason = left, True, ("activity_cap" if left == 0 else None)
    points, daily_capped, daily_reason = _caps(program, member, points, explanation, rule_ids)
    return Award(points, explanation, rule_ids, capped or daily_capped, None, reason or daily_reason)


def evaluate_signup(program: Program, now: datetime) -> Award:
    if (ended := earning_ended(program, now, now)) is not None:
        return _ended(ended)
    if not program.signup_bonus:
        return Award(0, ["no signup bonus"], [], reason="no_signup_bonus")
    return Award(program.signup_bonus, [f"signup bonus: {program.signup_bonus}"], ["signup"])


def evaluate_referral(program: Program, member: MemberFacts, now: datetime) -> Award:
    """The referrer's reward when the referee's purchase lands; `member` is the referee's facts.

    Paid on the referee's first purchase only, once per referee; the referrer's daily cap is not
    applied (its facts are not part of the call, and the one-per-referee rule already bounds it).
    """
    if (ended := earning_ended(program, now, now)) is not None:
        return _ended(ended)
    rule = program.referral
    if rule is None or not rule.referrer_points:
        return Award(0, ["no referral reward in this program"], [], reason="no_referral_rule")
    if not member.first_purchase:
        return Award(
            0,
            ["referral: paid on the referee's first purchase only"],
            ["referral"],
            reason="not_first_purchase",
        )
    return Award(
        rule.referrer_points,
        [f"referral: {rule.referrer_points} for the referee's first purchase"],
        ["referral"],
    )


def rate_in_words(rate: int | Decimal, currency: str) -> str:
    """The base rate as a shopper says it: "2 point(s) per 1 CNY", "1 point(s) per 10 CNY" for
    "0.1", "3 point(s) per 20 CNY" for "0.15" (exact: the rate's lowest terms)."""
    exact = Fraction(rate)
    return f"{exact.numerator} point(s) per {exact.denominator} {currency}"


# --- steps of a purchase -----------------------------------------------------------------------
def _base_and_items(
    program: Program, purchase: Purchase, explanation: list[str], rule_ids: list[str]
) -> tuple[list[_Portion], int]:
    rate, amount = Fraction(program.earn.points_per_unit), purchase.amount
    if not purchase.items:
        explanation.append(f"amount {amount}: {_show(Fraction(amount) * rate)}")
        return [_Portion(None, None, Fraction(amount) * rate)], 0
    listed = sum((line.amount for line in purchase.items), Decimal(0))
    share = ONE if listed <= amount else Fraction(amount) / Fraction(listed)
    if share != ONE:
        explanation.append(
            f"lines total {listed} > amount {amount}: each line counts for its share of {amount}"
        )
    portions, bonus = [], 0
    for line in purchase.items:
        rule = next((r for r in program.item_rules if r.match.matches(line.sku, line.category)), None)
        multiplier = Fraction(rule.multiplier) if rule and rule.multiplier is not None else ONE
        points = Fraction(line.amount) * share * rate * multiplier
        text = f"line {line.sku}: {_show(Fraction(line.amount) * share)} -> {_show(points)}"
        if rule is not None:
            _add(rule_ids, f"item:{rule.id}")
            text += f" (item:{rule.id}" + (f" x{_show(multiplier)}" if rule.multiplier is not None else "")
            if rule.bonus_points:
                bonus += rule.bonus_points * line.quantity
                text += f", +{rule.bonus_points} x {line.quantity} unit(s)"
            text += ")"
        explanation.append(text)
        portions.append(_Portion(line.sku, line.category, points))
    if listed < amount:
        explanation.append(f"unitemized rest {amount - listed}: {_show(Fraction(amount - listed) * rate)}")
        portions.append(_Portion(None, None, Fraction(amount - listed) * rate))
    return portions, bonus


def _channel(program: Program, channel: str | None, explanation: list[str], rule_ids: list[str]) -> Fraction:
    if channel is None or channel not in program.channel_rules:
        return ONE
    multiplier = Fraction(program.channel_rules[channel])
    explanation.append(f"channel {channel}: x{_show(multiplier)}")
    rule_ids.append(f"channel:{channel}")
    return multiplier


def _tier(program: Program, tier_id: str | None, explanation: list[str], rule_ids: list[str]) -> Tier:
    tier = program.tier(tier_id)
    if tier is None:
        if tier_id is not None:  # a tier removed from the program: earn as the base tier, say so
            explanation.append(f"tier {tier_id!r} is not in the program: base tier used")
        tier = program.tiers[0]
    if tier.earn_multiplier != 1:
        explanation.append(f"tier {tier.name}: x{_show(Fraction(tier.earn_multiplier))}")
        rule_ids.append(f"tier:{tier.id}")
    return tier


def _campaigns(
    program: Program,
    purchase: Purchase,
    tier: Tier,
    portions: list[_Portion],
    common: Fraction,
    at: datetime,
    explanation: list[str],
    rule_ids: list[str],
) -> tuple[list[Fraction], int]:
    """Per-portion campaign factors and the campaigns' fixed bonus, under the stacking mode."""
    running: list[tuple[Campaign, list[bool]]] = []
    for campaign in program.campaigns:
        if _runs(program, campaign, at) and _targets_purchase(campaign, tier.id, purchase.channel):
            boosted = [campaign.target.matches_line(p.sku, p.category) for p in portions]
            if any(boosted):
                running.append((campaign, boosted))
    if not running:
        return [ONE] * len(portions), 0
    mode = program.campaign_stacking
    if mode == "best" and len(running) > 1:
        gains = [_gain(c, boosted, portions, common) for c, boosted in running]
        best = gains.index(max(gains))  # ties: the first in the program's order
        others = ", ".join(c.id for i, (c, _) in enumerate(running) if i != best)
        explanation.append(
            f"campaigns stack by best: {running[best][0].id} (+{_show(gains[best])}) over {others}"
        )
        running = [running[best]]
    elif len(running) > 1:
        explanation.append(f"campaigns stack by {mode}")
    factors = [ONE] * len(portions)
    extras = [Fraction(0)] * len(portions)
    bonus = 0
    for campaign, boosted in running:
        multiplier = Fraction(campaign.multiplier) if campaign.multiplier is not None else ONE
        for i, hit in enumerate(boosted):
            if hit:
                factors[i] *= multiplier
                extras[i] += multiplier - 1
        bonus += campaign.bonus_points or 0
        rule_ids.append(f"campaign:{campaign.id}")
        where = "all" if all(boosted) else f"{sum(boosted)} of {len(boosted)}"
        text = f"campaign {campaign.id} ({campaign.name}): x{_show(multiplier)} on {where} portion(s)"
        explanation.append(text + (f", +{campaign.bonus_points}" if campaign.bonus_points else ""))
    if mode == "add":
        factors = [ONE + extra for extra in extras]
    return factors, bonus


def _runs(program: Program, campaign: Campaign, at: datetime) -> bool:
    if not within(at, campaign.starts_at, campaign.ends_at, program.timezone):
        return False
    return campaign.recurrence is None or matches_recurrence(
        campaign.recurrence, local_date(at, program.timezone)
    )


def _targets_purchase(campaign: Campaign, tier_id: str, channel: str | None) -> bool:
    target = campaign.target
    if target.tiers is not None and tier_id not in target.tiers:
        return False
    return target.channels is None or channel in target.channels


def _gain(campaign: Campaign, boosted: list[bool], portions: list[_Portion], common: Fraction) -> Fraction:
    multiplier = Fraction(campaign.multiplier) if campaign.multiplier is not None else ONE
    extra = sum((p.points for p, hit in zip(portions, boosted, strict=True) if hit), Fraction(0))
    return extra * common * (multiplier - 1) + (campaign.bonus_points or 0)


# --- shared helpers ------------------------------------------------------------------------------
def _caps(
    program: Program, member: MemberFacts, points: int, explanation: list[str], rule_ids: list[str]
) -> tuple[int, bool, str | None]:
    capped = False
    if points > MAX_POINTS:  # a guard against absurd configurations, far above any real award
        explanation.append(f"cut to the per-award maximum {MAX_POINTS}")
        rule_ids.append("cap:award")
        points, capped = MAX_POINTS, True
    cap = program.caps.daily_points_per_member
    if cap is not None:
        left = max(0, cap - member.points_earned_today)
        if points > left:
            explanation.append(
                f"daily cap {cap}: {member.points_earned_today} already earned today, {points} cut to {left}"
            )
            rule_ids.append("cap:daily")
            return left, True, "daily_cap" if left == 0 else None
    return points, capped, None


def _round(total: Fraction, mode: str) -> int:
    if mode == "up":
        return math.ceil(total)
    if mode == "nearest":
        return math.floor(total + Fraction(1, 2))  # halves up: 0.5 earns 1
    return math.floor(total)


def _too_old(program: Program, occurred: datetime, now: datetime, what: str) -> Award | None:
    max_age = program.earn.max_age_days
    if max_age is None or now - occurred <= timedelta(days=max_age):
        return None
    return _nothing("too_old", f"{what} of {occurred.isoformat()} is over {max_age} day(s) old")


def _nothing(reason: str, text: str) -> Award:
    return Award(0, [f"{text}: nothing earned"], [], reason=reason)


def _ended(last_earning_day: date) -> Award:
    return _nothing("program_ended", f"the program ended: its last earning day was {last_earning_day}")


def _add(items: list[str], item: str) -> None:
    if item not in items:
        items.append(item)


def _show(value: Fraction) -> str:
    """Two decimals at most, for people; the arithmetic itself stays exact."""
    shown = (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    text = f"{shown:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
