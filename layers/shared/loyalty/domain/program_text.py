# ruff: noqa: RUF001 - the Chinese text uses Chinese punctuation, and the multiplication sign is meant
"""The published program in plain words, in the member's language (zh-CN or en).

Generated from the program document itself, so the rules page can never drift from the rules the
ledger applies: how points are earned (base rate, minimum, pending days, item and channel rules,
activities, signup and referral bonuses, caps), the campaigns running now or later, the tier
ladder with its thresholds and benefits, how points expire, what a point is worth, and the sunset
if there is one. Pure: "now" is passed in."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from loyalty.domain.calendar import as_aware, local_date, matches_recurrence
from loyalty.models.program import Campaign, ExpiryRule, Program, Tier, TierQualification

LOCALES = ("zh-CN", "en")

# The words, keyed by phrase (and the ledger's entry sources) and then by locale: a catalogue in
# program_text.json that translators edit without touching code.
_CATALOGUE: dict[str, dict[str, dict[str, str]]] = json.loads(
    Path(__file__).with_name("program_text.json").read_text("utf-8")
)
_T = _CATALOGUE["phrases"]
_SOURCES = _CATALOGUE["sources"]


@dataclass(frozen=True)
class RulesSection:
    id: str
    title: str
    lines: list[str] = field(default_factory=list)


def locale_for(requested: str | None) -> str:
    """zh-CN for any Chinese tag, English otherwise (the two languages the product speaks)."""
    return "zh-CN" if requested and requested.lower().startswith("zh") else "en"


def explain(program: Program, locale: str, now: datetime) -> list[RulesSection]:
    say = _Sayer(locale_for(locale))
    return [
        _earning(program, say),
        _campaigns(program, say, now),
        _tiers(program, say),
        _expiry(program, say),
        _value(program, say),
        *([_sunset(program, say)] if program.sunset else []),
    ]


class _Sayer:
    def __init__(self, locale: str) -> None:
        self.locale = locale

    def __call__(self, key: str, **values: object) -> str:
        return _T[key][self.locale].format(**values)

    def name(self, tier: Tier) -> str:
        return tier.names.get(self.locale) or tier.name


def _number(value: Decimal | int) -> str:
    text = f"{value:f}" if isinstance(value, Decimal) else str(value)
    return text.rstrip("0").rstrip(".") if "." in text else text


def _earning(program: Program, say: _Sayer) -> RulesSection:
    earn = program.earn
    rate = Fraction(earn.points_per_unit)  # "0.1": every 10 units earn 1 point, in lowest terms
    lines = [
        say(
            "rate",
            unit=rate.denominator,
            currency=program.currency,
            points=rate.numerator,
            rounding=say(earn.rounding),
        )
    ]
    if earn.minimum_purchase:
        lines.append(say("minimum", amount=_number(earn.minimum_purchase), currency=program.currency))
    if earn.pending_days:
        lines.append(say("pending", days=earn.pending_days))
    if program.item_rules:
        rules = [
            "/".join([*(rule.match.categories or []), *(rule.match.skus or [])])
            + (f" ×{_number(rule.multiplier)}" if rule.multiplier else "")
            + (f" +{rule.bonus_points}" if rule.bonus_points else "")
            for rule in program.item_rules
        ]
        lines.append(say("item", rules=", ".join(rules)))
    for channel, multiplier in program.channel_rules.items():
        lines.append(say("channel", channel=channel, multiplier=_number(multiplier)))
    if program.signup_bonus:
        lines.append(say("signup", points=program.signup_bonus))
    if program.referral:
        lines.append(say("referral", points=program.referral.referrer_points))
    for activity, rule in program.activities.items():
        limit = say("limit", count=rule.limit.count, period=say(rule.limit.period)) if rule.limit else ""
        lines.append(say("activity", activity=activity.replace("_", " "), points=rule.points, limit=limit))
    if program.caps.daily_points_per_member:
        lines.append(say("daily_cap", points=program.caps.daily_points_per_member))
    return RulesSection("earn", say("earn"), lines)


def _campaign_text(campaign: Campaign, say: _Sayer) -> str:
    parts = [campaign.name]
    if campaign.multiplier:
        parts.append(say("boost", multiplier=_number(campaign.multiplier)))
    if campaign.bonus_points:
        parts.append(say("bonus", points=campaign.bonus_points))
    if campaign.ends_at:
        parts.append(say("until", end=campaign.ends_at.date().isoformat()))
    return ", ".join(parts) if say.locale == "en" else "，".join(parts)


def _campaigns(program: Program, say: _Sayer, now: datetime) -> RulesSection:
    lines = []
    for campaign in program.campaigns:
        ended = campaign.ends_at is not None and now >= as_aware(campaign.ends_at, program.timezone)
        starts = campaign.starts_at is not None and now < as_aware(campaign.starts_at, program.timezone)
        if ended:
            continue
        if starts and campaign.starts_at is not None:
            text = (
                _campaign_text(campaign, say) + " " + say("from", start=campaign.starts_at.date().isoformat())
            )
            lines.append(say("campaign_later", text=text))
        elif campaign.recurrence is None or matches_recurrence(
            campaign.recurrence, local_date(now, program.timezone)
        ):
            lines.append(say("campaign_now", text=_campaign_text(campaign, say)))
    return RulesSection("campaigns", say("campaigns"), lines or [say("no_campaign")])


def _threshold(qualification: TierQualification, currency: str, say: _Sayer) -> str:
    parts = []
    if qualification.spend is not None:
        parts.append(say("spend", amount=_number(qualification.spend), currency=currency))
    if qualification.purchases is not None:
        parts.append(say("purchases", count=qualification.purchases))
    if qualification.points is not None:
        parts.append(say("points", points=qualification.points))
    return say(qualification.combine).join(parts)


def _tiers(program: Program, say: _Sayer) -> RulesSection:
    lines = []
    for level, tier in enumerate(program.tiers):
        name = say.name(tier)
        if level == 0:
            line = say("tier_base", name=name)
        elif tier.qualify is None:
            line = say("tier_invite", name=name)
        else:
            what = _threshold(tier.qualify, program.currency, say)
            line = say("tier_reach", name=name, what=what, months=program.tier_rules.window_months)
        perks = []
        if tier.earn_multiplier != 1:
            perks.append(say("multiplier", multiplier=_number(tier.earn_multiplier)))
        if tier.birthday_bonus:
            perks.append(say("birthday", points=tier.birthday_bonus))
        if tier.benefits.free_shipping:
            perks.append(say("free_shipping"))
        if tier.benefits.priority_service:
            perks.append(say("priority_service"))
        if tier.benefits.discount_rate:
            perks.append(say("discount", percent=_number(tier.benefits.discount_rate * 100)))
        if perks:
            line += " " + say("perks", perks=", ".join(perks) if say.locale == "en" else "、".join(perks))
        lines.append(line)
    if len(program.tiers) > 1:
        rules = program.tier_rules
        grace = say("grace", days=rules.grace_days) if rules.grace_days else ""
        lines.append(say("review", levels=rules.max_levels_down, grace=grace))
    return RulesSection("tiers", say("tiers"), lines)


def _expiry_rule(rule: ExpiryRule, say: _Sayer) -> str:
    if rule.policy == "rolling":
        return say("rolling", months=rule.months, eom=say("eom") if rule.end_of_month else "")
    if rule.policy == "fixed":
        return say("fixed", month=rule.month, day=rule.day, years=rule.years_after)
    if rule.policy == "days":
        return say("days", days=rule.days)
    return say("never")


def _expiry(program: Program, say: _Sayer) -> RulesSection:
    lines = [_expiry_rule(program.expiry, say)]
    for source, rule in program.expiry.by_source.items():
        lines.append(say("by_source", source=_SOURCES[source][say.locale], rule=_expiry_rule(rule, say)))
    if program.expiry.policy != "never" or program.expiry.by_source:
        lines.append(say("oldest"))
    return RulesSection("expiry", say("expiry"), lines)


def _value(program: Program, say: _Sayer) -> RulesSection:
    value = program.point_value
    lines = [say("worth", points=value.points, amount=_number(value.amount), currency=program.currency)]
    if program.redemption.max_share_of_order < 1:
        lines.append(say("share", percent=_number(program.redemption.max_share_of_order * 100)))
    return RulesSection("value", say("value"), lines)


def _sunset(program: Program, say: _Sayer) -> RulesSection:
    assert program.sunset is not None
    text = say(
        "sunset_text",
        earn=program.sunset.last_earning_day.isoformat(),
        redeem=program.sunset.last_redeeming_day.isoformat(),
    )
    return RulesSection("sunset", say("sunset"), [text])
