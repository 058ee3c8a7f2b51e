"""The program document: the published rules of one tenant's loyalty program.

It owns the shape and the validation of everything a shop configures without code: base earn
rate, item, channel and tier multipliers, campaigns, activities, referral, caps, expiry, point
value and the program's end (sunset). How these rules turn a purchase or an action into points
is `loyalty.domain.rules`. A new tenant starts from `default_program()`.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BeforeValidator,
    Field,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from loyalty.models.common import MAX_POINTS, Amount, CurrencyCode, JsonInteger, NaturalId, StrictModel
from loyalty.models.memberships import MembershipPlan, plan_problems

Points = Annotated[JsonInteger, Field(ge=0, le=MAX_POINTS)]
ActivityType = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,39}$")]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Period = Literal["ever", "day", "month"]
Loc = tuple[int | str, ...]


def _no_float(value: object) -> object:
    # Same reason as money: a JSON float such as 1.1 has already been rounded somewhere.
    if isinstance(value, float | bool):
        raise ValueError('multiplier must be a decimal string such as "1.5" (or an integer), not a float')
    return value


Multiplier = Annotated[
    Decimal,
    BeforeValidator(_no_float),
    Field(ge=0, le=100, decimal_places=4),
    WithJsonSchema({"type": "string", "pattern": r"^\d{1,3}(\.\d{1,4})?$", "examples": ["2", "1.5"]}),
]
ONE = Decimal(1)


def _server_owned_version(value: object) -> object:
    # The server owns the version: whatever a client sends is no reason to refuse the document as
    # invalid. A value that is no version at all (text, 0, true) becomes 0, which no program
    # ever is, so a PUT carrying it is 409 like any stale version.
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else 0


MAX_BASE_RATE = 1000
MAX_VELOCITY_EARNS = 500  # the earns a window keeps on the member item (each earn in the window is kept)


def _base_rate(value: object) -> object:
    """A whole number of points (a JSON integer) or a decimal string ("0.1": one point per 10
    units), kept exact; a JSON number with a fraction would have passed through a float."""
    if isinstance(value, bool | float):
        raise ValueError('the base rate is an integer or a decimal string such as "0.1"')
    if isinstance(value, str):
        if not _BASE_RATE_TEXT.fullmatch(value):
            raise ValueError('the base rate is a decimal string such as "0.1" (at most 4 decimal places)')
        value = Decimal(value)
        if value == 0:
            raise ValueError("a decimal base rate is more than 0 (a rate of 0 is the integer 0)")
    if isinstance(value, int | Decimal) and not 0 <= value <= MAX_BASE_RATE:
        raise ValueError(f"the base rate is between 0 and {MAX_BASE_RATE}")
    return value


_BASE_RATE_TEXT = re.compile(r"\d{1,4}(\.\d{1,4})?")
BaseRate = Annotated[
    int | Decimal,
    BeforeValidator(_base_rate),
    WithJsonSchema(
        {
            "oneOf": [
                {"type": "integer", "minimum": 0, "maximum": MAX_BASE_RATE},
                {"type": "string", "pattern": r"^\d{1,4}(\.\d{1,4})?$", "examples": ["0.1"]},
            ]
        }
    ),
]


class EarnRules(StrictModel):
    points_per_unit: BaseRate = Field(
        default=1,
        description='Base rate: points per 1 unit of currency, an integer or a decimal string ("0.1": '
        "one point per 10 units); the award is rounded once, as `rounding` says",
    )
    rounding: Literal["down", "nearest", "up"] = Field(
        default="down", description="Applied once, to the award's exact total; nearest rounds halves up"
    )
    minimum_purchase: Amount | None = Field(default=None, description="A smaller purchase earns nothing")
    max_age_days: JsonInteger | None = Field(
        default=None,
        ge=0,
        le=3650,
        description="A purchase whose occurred_at is older than this earns nothing",
    )
    pending_days: JsonInteger = Field(
        default=0, ge=0, le=365, description="Purchase points stay pending this many program-local days"
    )


class ItemMatch(StrictModel):
    skus: list[NaturalId] | None = Field(default=None, max_length=1000)
    categories: list[NaturalId] | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _something_to_match(self) -> ItemMatch:
        if not self.skus and not self.categories:
            raise ValueError("match needs at least one sku or category")
        return self

    def matches(self, sku: str | None, category: str | None) -> bool:
        return (sku is not None and sku in (self.skus or ())) or (
            category is not None and category in (self.categories or ())
        )


class ItemRule(StrictModel):
    id: NaturalId
    match: ItemMatch = Field(description="A line matches by its sku or its category")
    multiplier: Multiplier | None = Field(default=None, description="The line earns base rate x this")
    bonus_points: Points | None = Field(
        default=None,
        description="Fixed points per unit of quantity of the line; not scaled by any multiplier",
    )

    @model_validator(mode="after")
    def _does_something(self) -> ItemRule:
        if self.multiplier is None and self.bonus_points is None:
            raise ValueError("an item rule needs a multiplier or bonus_points")
        return self


TierName = Annotated[str, StringConstraints(min_length=1, max_length=100)]
LocaleTag = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]


def _no_float_rate(value: object) -> object:
    if isinstance(value, float | bool):
        raise ValueError('a rate must be a decimal string such as "0.05", not a float')
    return value


Rate = Annotated[
    Decimal,
    BeforeValidator(_no_float_rate),
    Field(ge=0, le=1, decimal_places=4),
    WithJsonSchema({"type": "string", "pattern": r"^(0(\.\d{1,4})?|1(\.0{1,4})?)$", "examples": ["0.05"]}),
]


class TierQualification(StrictModel):
    """Thresholds on the member's figures in the rolling window (see TierRules.window_months)."""

    spend: Amount | None = Field(default=None, description="Qualifying spend (net of refunds)")
    purchases: JsonInteger | None = Field(
        default=None, ge=1, le=1_000_000, description="Purchases (refunded ones not)"
    )
    points: Points | None = Field(
        default=None, description="Points earned by purchases and activities (not bonuses or adjustments)"
    )
    combine: Literal["any", "all"] = Field(default="any", description="any: one threshold is enough")

    @model_validator(mode="after")
    def _something_to_reach(self) -> TierQualification:
        if self.spend is None and self.purchases is None and self.points is None:
            raise ValueError("qualification needs spend, purchases or points")
        return self


class TierBenefits(StrictModel):
    """What a shop grants members of the tier; the earn multiplier and birthday bonus are the
    tier's own fields because the rules apply them, the rest the shop applies."""

    free_shipping: bool = False
    priority_service: bool = False
    discount_rate: Rate = Field(default=Decimal(0), description='Share off, e.g. "0.05" for 5%')
    rewards: list[NaturalId] = Field(
        default_factory=list,
        max_length=200,
        description="Rewards only members of this tier (and higher) may redeem",
    )


class Tier(StrictModel):
    id: NaturalId
    name: TierName
    names: dict[LocaleTag, TierName] = Field(
        default_factory=dict, max_length=20, description="The name per locale, e.g. zh-CN, en"
    )
    earn_multiplier: Multiplier = ONE
    birthday_bonus: JsonInteger = Field(
        default=0, ge=0, le=1_000_000, description="Points on the member's birthday"
    )
    qualify: TierQualification | None = Field(
        default=None,
        description="Thresholds that reach the tier; without: only an assignment does (invitation, paid VIP)",
    )
    benefits: TierBenefits = Field(default_factory=TierBenefits)


class TierRules(StrictModel):
    """How members move between tiers: up at once when an earn crosses a threshold, down only
    when evaluated (at most `max_levels_down`, after `grace_days`, never below an assigned tier)."""

    window_months: JsonInteger = Field(
        default=12, ge=1, le=36, description="The rolling window: this calendar month and the ones before"
    )
    evaluate_on: Literal["anniversary", "date"] = Field(
        default="anniversary", description="The membership anniversary, or `evaluation_date` every year"
    )
    evaluation_date: (
        Annotated[str, StringConstraints(pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")] | None
    ) = Field(default=None, description='"MM-DD", with evaluate_on "date"')
    grace_days: JsonInteger = Field(
        default=0, ge=0, le=365, description="A member short of the tier at evaluation keeps it this long"
    )
    max_levels_down: JsonInteger = Field(default=1, ge=1, le=20)

    @model_validator(mode="after")
    def _date_when_dated(self) -> TierRules:
        if (self.evaluate_on == "date") != (self.evaluation_date is not None):
            raise ValueError('evaluation_date is required with evaluate_on "date", and only then')
        return self


class DateWindow(StrictModel):
    start: date
    end: date = Field(description="Inclusive")

    @model_validator(mode="after")
    def _ordered(self) -> DateWindow:
        if self.end < self.start:
            raise ValueError("end is before start")
        return self


class Recurrence(StrictModel):
    """Program-local days on which a campaign runs; a day matching any of the parts matches."""

    weekly: list[Weekday] | None = Field(default=None, min_length=1, max_length=7)
    monthly_days: list[Annotated[int, Field(ge=1, le=31)]] | None = Field(
        default=None,
        min_length=1,
        max_length=31,
        description="Days of the month; a day beyond the month's end (e.g. 31) means its last day",
    )
    dates: list[DateWindow] | None = Field(default=None, min_length=1, max_length=366)

    @model_validator(mode="after")
    def _something_to_recur(self) -> Recurrence:
        if self.weekly is None and self.monthly_days is None and self.dates is None:
            raise ValueError("recurrence needs weekly, monthly_days or dates")
        return self


class CampaignTarget(StrictModel):
    """Tiers and channels select purchases; skus and categories select the lines a campaign boosts."""

    # An empty list would silently match nothing: leave the field out to mean "any".
    tiers: list[NaturalId] | None = Field(default=None, min_length=1)
    channels: list[NaturalId] | None = Field(default=None, min_length=1)
    categories: list[NaturalId] | None = Field(default=None, min_length=1)
    skus: list[NaturalId] | None = Field(default=None, min_length=1)

    def matches_line(self, sku: str | None, category: str | None) -> bool:
        """Lines a campaign boosts: all of them without sku/category targets."""
        if self.skus is None and self.categories is None:
            return True
        return (sku is not None and sku in (self.skus or ())) or (
            category is not None and category in (self.categories or ())
        )


class Campaign(StrictModel):
    id: NaturalId
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    starts_at: datetime | None = Field(default=None, description="Without an offset: program-local time")
    ends_at: datetime | None = Field(default=None, description="Exclusive; without an offset: program-local")
    recurrence: Recurrence | None = None
    multiplier: Multiplier | None = Field(default=None, description="At least 1; scales rate-based points")
    bonus_points: Points | None = Field(default=None, description="Fixed points once per matching purchase")
    target: CampaignTarget = Field(default_factory=CampaignTarget)

    @model_validator(mode="after")
    def _does_something(self) -> Campaign:
        if self.multiplier is None and self.bonus_points is None:
            raise ValueError("a campaign needs a multiplier or bonus_points")
        if self.multiplier is not None and self.multiplier < ONE:
            raise ValueError("a campaign multiplier is at least 1")
        return self


class ActivityLimit(StrictModel):
    count: JsonInteger = Field(ge=1, le=1_000_000)
    period: Period = Field(description="ever; day or month are program-local")


class ActivityRule(StrictModel):
    points: Points
    limit: ActivityLimit | None = None


class ReferralRule(StrictModel):
    referrer_points: Points = Field(description="Credited to the referrer")
    on: Literal["first_purchase"] = "first_purchase"


class PeriodCap(StrictModel):
    points: Points
    period: Period


class Caps(StrictModel):
    daily_points_per_member: Points | None = Field(default=None, description="All sources, program-local day")
    per_activity: dict[ActivityType, PeriodCap] = Field(default_factory=dict)


EarnSource = Literal["purchase", "activity", "signup", "birthday", "referral", "adjustment", "import"]


class ExpiryRule(StrictModel):
    policy: Literal["rolling", "fixed", "days", "never"] = "rolling"
    months: JsonInteger = Field(default=24, ge=1, le=240, description="rolling: months after the earn")
    end_of_month: bool = Field(default=True, description="rolling: extend to the end of that month")
    years_after: JsonInteger = Field(default=1, ge=0, le=20, description="fixed: years after the earn's year")
    month: JsonInteger = Field(default=12, ge=1, le=12, description="fixed: month of the expiry date")
    day: JsonInteger = Field(
        default=31,
        ge=1,
        le=31,
        description="fixed: day of the expiry date (beyond the month's end: its last day)",
    )
    days: JsonInteger = Field(default=365, ge=1, le=3650, description="days: days after the earn's day")


class ExpiryPolicy(ExpiryRule):
    """The program's default rule, and per-source rules that replace it (activity points may
    expire sooner). An adjustment or import that names its own `expires_on` keeps that date."""

    by_source: dict[EarnSource, ExpiryRule] = Field(
        default_factory=dict, description="Source (purchase, activity, ...) -> its own rule"
    )

    def rule_for(self, source: EarnSource) -> ExpiryRule:
        return self.by_source.get(source, self)


Locale = Literal["zh-CN", "en"]


def _default_reminder_templates() -> dict[Locale, str]:
    return {
        "zh-CN": "您有 {points} 积分将于 {expires_on} 到期，请尽快使用。",  # noqa: RUF001 - Chinese punctuation
        "en": "{points} of your points expire on {expires_on}. Use them before then.",
    }


class Reminders(StrictModel):
    windows_days: list[Annotated[int, Field(ge=1, le=31)]] = Field(
        default_factory=lambda: [30, 7], max_length=5, description="Days before expiry to remind"
    )
    templates: dict[Locale, Annotated[str, StringConstraints(min_length=1, max_length=500)]] = Field(
        default_factory=_default_reminder_templates,
        description="Per locale; {points} and {expires_on} are filled in. zh-CN is the fallback.",
    )


class Sunset(StrictModel):
    """The end of the program: earning stops after one program-local day, spending after another;
    what is left then expires (a `sunset` entry), and members are told ahead of it."""

    last_earning_day: date = Field(description="Program-local; later purchases and activities earn nothing")
    last_redeeming_day: date = Field(description="Program-local; what is left expires the day after")
    notices: list[Annotated[int, Field(ge=1, le=365)]] = Field(
        default_factory=lambda: [30, 7],
        max_length=5,
        description="Days before last_redeeming_day on which members with points get a notice",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Sunset:
        if self.last_redeeming_day < self.last_earning_day:
            raise ValueError("last_redeeming_day is before last_earning_day")
        return self


class VelocityRule(StrictModel):
    """How much a member may earn within a sliding window of minutes (purchases and activities;
    bonuses and adjustments do not count). An earn that takes the member past it has its points
    withheld and opens a review; `freeze` also freezes the member."""

    window_minutes: JsonInteger = Field(ge=1, le=10_080, description="The sliding window, at most a week")
    max_earns: JsonInteger | None = Field(
        default=None, ge=1, le=MAX_VELOCITY_EARNS, description="Earns allowed in the window"
    )
    max_points: JsonInteger | None = Field(default=None, ge=1, description="Points allowed in the window")
    action: Literal["review", "freeze"] = "review"

    @model_validator(mode="after")
    def _limits_something(self) -> VelocityRule:
        if self.max_earns is None and self.max_points is None:
            raise ValueError("a velocity rule limits max_earns, max_points or both")
        return self


class Risk(StrictModel):
    velocity: list[VelocityRule] = Field(default_factory=list, max_length=10)


class PointValue(StrictModel):
    points: JsonInteger = Field(default=100, ge=1)
    amount: Amount = Decimal("1.00")


class RedemptionPolicy(StrictModel):
    max_share_of_order: Annotated[Decimal, BeforeValidator(str)] = Field(
        default=Decimal("1"), gt=0, le=1, description="At most this share of an order's value in points"
    )


def _activity(points: int, count: int | None = None, period: Period = "ever") -> ActivityRule:
    return ActivityRule(
        points=points, limit=None if count is None else ActivityLimit(count=count, period=period)
    )


def standard_activities() -> dict[str, ActivityRule]:
    return {
        "test_drive": _activity(200, 1, "ever"),
        "referral": _activity(300, 5, "month"),
        "repair": _activity(100, 2, "month"),
        "maintenance": _activity(100, 1, "month"),
        "insurance": _activity(300, 1, "month"),
        "survey": _activity(50, 1, "month"),
        "review": _activity(20, 3, "day"),
        "social_share": _activity(10, 1, "day"),
    }


class Program(StrictModel):
    version: Annotated[int, BeforeValidator(_server_owned_version)] = Field(
        default=1,
        description="Set by the server. On PUT, the version the document was read at: it publishes "
        "only while that is still the current version (else 409); without it, over whatever is current",
    )
    name: str = Field(default="Loyalty program", min_length=1, max_length=200)
    currency: CurrencyCode = "CNY"
    timezone: str = "Asia/Shanghai"
    earn: EarnRules = Field(default_factory=EarnRules)
    item_rules: list[ItemRule] = Field(
        default_factory=list, max_length=200, description="Per line item; the first matching rule applies"
    )
    channel_rules: dict[NaturalId, Multiplier] = Field(
        default_factory=dict, description="Channel (online, store, app, mini_program, ...) -> multiplier"
    )
    tiers: list[Tier] = Field(
        default_factory=lambda: [Tier(id="base", name="Base")],
        min_length=1,
        max_length=20,
        description="The ladder, lowest first; the first is the base tier every member starts in",
    )
    tier_rules: TierRules = Field(default_factory=TierRules)
    campaigns: list[Campaign] = Field(default_factory=list, max_length=100)
    campaign_stacking: Literal["multiply", "add", "best"] = Field(
        default="best",
        description="Overlapping campaigns: multiply multipliers, add their (multiplier - 1), or best only",
    )
    activities: dict[ActivityType, ActivityRule] = Field(default_factory=standard_activities)
    signup_bonus: JsonInteger = Field(default=100, ge=0, le=1_000_000)
    referral: ReferralRule | None = None
    caps: Caps = Field(default_factory=Caps)
    expiry: ExpiryPolicy = Field(default_factory=ExpiryPolicy)
    point_value: PointValue = Field(default_factory=PointValue)
    redemption: RedemptionPolicy = Field(default_factory=RedemptionPolicy)
    reminders: Reminders = Field(default_factory=Reminders)
    sunset: Sunset | None = Field(default=None, description="Set to end the program")
    risk: Risk = Field(default_factory=Risk, description="Velocity rules: earning too much too fast")
    membership_plans: list[MembershipPlan] = Field(
        default_factory=list, max_length=50, description="Paid memberships: a tier for months at a price"
    )

    @model_validator(mode="before")
    @classmethod
    def _null_version_is_none(cls, data: object) -> object:
        # "version": null says as much as no version at all: an unconditional PUT.
        if isinstance(data, dict) and "version" in data and data["version"] is None:
            return {key: value for key, value in data.items() if key != "version"}
        return data

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Program:
        # Checks that span fields; each problem keeps its own path.
        zone = ZoneInfo(self.timezone)
        problems: list[tuple[Loc, str, object]] = []
        problems += _duplicates("tiers", [tier.id for tier in self.tiers])
        problems += _duplicates("item_rules", [rule.id for rule in self.item_rules])
        problems += _duplicates("campaigns", [campaign.id for campaign in self.campaigns])
        tier_ids = {tier.id for tier in self.tiers}
        if self.tiers[0].qualify is not None:
            problems.append((("tiers", 0, "qualify"), "the first (base) tier has no qualification", None))
        for index, campaign in enumerate(self.campaigns):
            for position, tier_id in enumerate(campaign.target.tiers or ()):
                if tier_id not in tier_ids:
                    loc: Loc = ("campaigns", index, "target", "tiers", position)
                    problems.append((loc, f"unknown tier {tier_id!r}", tier_id))
            starts, ends = campaign.starts_at, campaign.ends_at
            if starts and ends and _aware(ends, zone) <= _aware(starts, zone):
                problems.append((("campaigns", index, "ends_at"), "ends_at is not after starts_at", ends))
        for activity_type in self.caps.per_activity:
            if activity_type not in self.activities:
                loc = ("caps", "per_activity", activity_type)
                problems.append((loc, f"unknown activity type {activity_type!r}", activity_type))
        problems += plan_problems(self.membership_plans, [tier.id for tier in self.tiers], self.currency)
        _refuse(problems)
        return self

    def tier(self, tier_id: str | None) -> Tier | None:
        """The member's tier; None for an id the program does not define (or no id at all)."""
        return next((tier for tier in self.tiers if tier.id == tier_id), None)

    def plan(self, plan_id: str) -> MembershipPlan | None:
        return next((plan for plan in self.membership_plans if plan.plan_id == plan_id), None)

    def tier_level(self, tier_id: str | None) -> int:
        """The tier's place on the ladder; an unknown id (a tier the program dropped) is the base."""
        return next((level for level, tier in enumerate(self.tiers) if tier.id == tier_id), 0)


def _aware(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _duplicates(field: str, ids: list[str]) -> list[tuple[Loc, str, object]]:
    return [
        ((field, index, "id"), f"duplicate id {value!r}", value)
        for index, value in enumerate(ids)
        if value in ids[:index]
    ]


def _refuse(problems: list[tuple[Loc, str, object]]) -> None:
    # A ValidationError raised here keeps each problem's own path (prefixed by pydantic with the
    # path of the program), where a plain ValueError would point at the whole document.
    if problems:
        raise ValidationError.from_exception_data(
            "Program",
            [
                InitErrorDetails(
                    type=PydanticCustomError("program_rule", "{detail}", {"detail": msg}),
                    loc=loc,
                    input=value,
                )
                for loc, msg, value in problems
            ],
        )


def default_program(name: str = "Loyalty program") -> Program:
    """A complete sample a new tenant starts from; every part is meant to be edited by the shop."""
    return Program.model_validate(
        {
            "name": name,
            "currency": "CNY",
            "timezone": "Asia/Shanghai",
            "earn": {"points_per_unit": 1, "rounding": "down", "max_age_days": 90, "pending_days": 0},
            "tiers": [
                {
                    "id": "base",
                    "name": "Regular",
                    "names": {"zh-CN": "普通会员", "en": "Regular"},
                    "earn_multiplier": "1",
                    "birthday_bonus": 100,
                },
                {
                    "id": "silver",
                    "name": "Silver",
                    "names": {"zh-CN": "银卡", "en": "Silver"},
                    "earn_multiplier": "2",
                    "birthday_bonus": 300,
                    "qualify": {"spend": "5000.00"},
                    "benefits": {"free_shipping": True, "discount_rate": "0.02"},
                },
                {
                    "id": "gold",
                    "name": "Gold",
                    "names": {"zh-CN": "金卡", "en": "Gold"},
                    "earn_multiplier": "3",
                    "birthday_bonus": 500,
                    "qualify": {"spend": "20000.00", "purchases": 30, "combine": "all"},
                    "benefits": {"free_shipping": True, "priority_service": True, "discount_rate": "0.05"},
                },
            ],
            "tier_rules": {"window_months": 12, "evaluate_on": "anniversary", "grace_days": 30},
            "campaigns": [
                {
                    # Targeted at the app channels: a sample that shows campaigns without making
                    # every untargeted purchase depend on the weekday.
                    "id": "app-wednesday",
                    "name": "Double points on Wednesdays in the app",
                    "recurrence": {"weekly": ["wed"]},
                    "multiplier": "2",
                    "target": {"channels": ["app", "mini_program"]},
                }
            ],
            "campaign_stacking": "best",
            "activities": {key: rule.model_dump() for key, rule in standard_activities().items()},
            "signup_bonus": 100,
            "referral": {"referrer_points": 500, "on": "first_purchase"},
            "caps": {
                "daily_points_per_member": 100_000,
                "per_activity": {"review": {"points": 200, "period": "month"}},
            },
            "expiry": {"policy": "rolling", "months": 24, "end_of_month": True},
            "point_value": {"points": 100, "amount": "1.00"},
        }
    )
