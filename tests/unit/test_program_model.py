"""The program document: the default sample, round trips, server-owned fields, and the paths of
validation errors."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from loyalty.domain.rules import MemberFacts, evaluate_purchase
from loyalty.models.api import PurchaseRequest
from loyalty.models.program import Program, default_program


def test_given_the_default_program_when_dumped_to_json_and_validated_then_it_is_unchanged():
    program = default_program("Shop")
    document = program.model_dump(mode="json")
    assert Program.model_validate(document) == program
    assert Program.model_validate_json(program.model_dump_json()) == program


def test_given_a_new_tenant_when_it_gets_the_default_program_then_it_is_a_complete_sample():
    program = default_program("Shop")
    assert (program.name, program.currency, program.timezone) == ("Shop", "CNY", "Asia/Shanghai")
    assert program.earn.points_per_unit == 1
    assert {tier.id: tier.earn_multiplier for tier in program.tiers} == {"base": 1, "silver": 2, "gold": 3}
    assert program.tiers[1].qualify is not None
    assert program.tiers[0].qualify is None
    assert [campaign.recurrence and campaign.recurrence.weekly for campaign in program.campaigns] == [["wed"]]
    standard = {
        "test_drive",
        "referral",
        "repair",
        "maintenance",
        "insurance",
        "survey",
        "review",
        "social_share",
    }
    assert set(program.activities) >= standard
    assert all(rule.limit is not None for rule in program.activities.values())
    assert program.caps.daily_points_per_member == 100_000
    assert (program.point_value.points, program.point_value.amount) == (100, Decimal("1.00"))
    assert (program.expiry.policy, program.expiry.months) == ("rolling", 24)
    assert program.referral is not None
    assert program.referral.referrer_points == 500


def test_given_the_default_program_when_a_silver_member_buys_in_the_app_on_wednesday_then_points_quadruple():
    body = {"order_id": "o", "member_id": "m", "amount": "100.00", "currency": "CNY", "channel": "app"}
    wednesday = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
    award = evaluate_purchase(
        default_program(), PurchaseRequest.model_validate(body), MemberFacts(tier="silver"), wednesday
    )
    assert (award.points, award.rule_ids) == (400, ["base", "tier:silver", "campaign:app-wednesday"])


@pytest.mark.parametrize("day", range(1, 8))
def test_given_the_default_program_an_untargeted_purchase_earns_the_same_every_day_of_the_week(day):
    # The sample's campaigns are targeted, so tests and demos on the real clock are stable.
    body = {"order_id": "o", "member_id": "m", "amount": "100.00", "currency": "CNY"}
    award = evaluate_purchase(
        default_program(),
        PurchaseRequest.model_validate(body),
        MemberFacts(),
        datetime(2026, 11, day, 4, tzinfo=UTC),
    )
    assert award.points == 100


def test_given_a_foundation_era_document_when_validated_then_it_still_reads():
    stored = {
        "version": 3,
        "name": "Old shop",
        "currency": "CNY",
        "timezone": "Asia/Shanghai",
        "earn": {"points_per_unit": 2, "rounding": "down"},
        "signup_bonus": 50,
        "expiry": {"policy": "rolling", "months": 12, "end_of_month": True},
        "point_value": {"points": 100, "amount": "1.00"},
    }
    program = Program.model_validate(stored)
    assert (program.version, program.earn.points_per_unit, program.signup_bonus) == (3, 2, 50)
    assert [tier.id for tier in program.tiers] == ["base"]
    assert program.campaigns == []
    assert program.caps.daily_points_per_member is None


@pytest.mark.parametrize(("sent", "kept"), [(7, 7), (0, 0), ("abc", 0), (True, 0)], ids=str)
def test_given_a_version_on_input_when_validated_then_it_is_never_refused(sent, kept):
    # A value that is no version becomes 0, a version no program has: a PUT carrying it is 409
    document = {**default_program().model_dump(mode="json"), "version": sent}
    program = Program.model_validate(document)
    assert (program.version, "version" in program.model_fields_set) == (kept, True)


def test_given_a_null_or_no_version_when_validated_then_the_document_claims_none():
    document = default_program().model_dump(mode="json")
    del document["version"]
    for sent in (document, {**document, "version": None}):
        program = Program.model_validate(sent)
        assert (program.version, "version" in program.model_fields_set) == (1, False)


def test_given_multipliers_as_strings_or_integers_when_validated_then_they_are_exact_decimals():
    program = Program.model_validate({"channel_rules": {"app": "1.5", "store": 2}})
    assert program.channel_rules == {"app": Decimal("1.5"), "store": Decimal(2)}


def test_given_the_program_model_when_its_json_schema_is_built_then_multipliers_are_strings():
    schema = Program.model_json_schema()
    assert "campaigns" in schema["properties"]
    assert schema["$defs"]["Tier"]["properties"]["earn_multiplier"]["type"] == "string"


def _with(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    document = copy.deepcopy(default_program().model_dump(mode="json"))
    target = document
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return document


CAMPAIGN = {"id": "c", "name": "C", "multiplier": "2"}


@pytest.mark.parametrize(
    ("document", "loc"),
    [
        (_with(("bogus",), 1), ("bogus",)),
        (_with(("earn", "bogus"), 1), ("earn", "bogus")),
        (_with(("earn", "rounding"), "sideways"), ("earn", "rounding")),
        (_with(("earn", "minimum_purchase"), 10.5), ("earn", "minimum_purchase")),
        (_with(("timezone",), "Mars/Olympus"), ("timezone",)),
        (_with(("tiers",), []), ("tiers",)),
        (_with(("tiers", 1, "id"), "base"), ("tiers", 1, "id")),
        (_with(("campaigns", 0, "target"), {"tiers": ["platinum"]}), ("campaigns", 0, "target", "tiers", 0)),
        (_with(("campaigns", 0, "target"), {"tiers": []}), ("campaigns", 0, "target", "tiers")),
        (_with(("campaigns", 0, "multiplier"), "0.5"), ("campaigns", 0)),
        (
            _with(("campaigns", 0, "recurrence"), {"monthly_days": [32]}),
            ("campaigns", 0, "recurrence", "monthly_days", 0),
        ),
        (_with(("campaigns", 0, "recurrence"), {}), ("campaigns", 0, "recurrence")),
        (
            _with(("campaigns", 0, "recurrence"), {"weekly": ["wednesday"]}),
            ("campaigns", 0, "recurrence", "weekly", 0),
        ),
        (
            _with(("campaigns", 0, "recurrence"), {"dates": [{"start": "2026-10-07", "end": "2026-10-01"}]}),
            ("campaigns", 0, "recurrence", "dates", 0),
        ),
        (
            _with(
                ("campaigns",),
                [{**CAMPAIGN, "starts_at": "2026-11-12T00:00:00", "ends_at": "2026-11-11T00:00:00"}],
            ),
            ("campaigns", 0, "ends_at"),
        ),
        (_with(("campaigns",), [CAMPAIGN, CAMPAIGN]), ("campaigns", 1, "id")),
        (_with(("campaign_stacking",), "max"), ("campaign_stacking",)),
        (_with(("item_rules",), [{"id": "r", "match": {"skus": ["A"]}}]), ("item_rules", 0)),
        (_with(("item_rules",), [{"id": "r", "match": {}, "multiplier": "2"}]), ("item_rules", 0, "match")),
        (
            _with(("item_rules",), [{"id": "r", "match": {"skus": ["A"]}, "multiplier": 1.5}]),
            ("item_rules", 0, "multiplier"),
        ),
        (_with(("channel_rules",), {"app": "101"}), ("channel_rules", "app")),
        (_with(("activities", "Bad-Type"), {"points": 1}), ("activities", "Bad-Type", "[key]")),
        (
            _with(("activities", "review", "limit", "period"), "week"),
            ("activities", "review", "limit", "period"),
        ),
        (
            _with(("caps", "per_activity", "karaoke"), {"points": 1, "period": "day"}),
            ("caps", "per_activity", "karaoke"),
        ),
        (_with(("referral", "on"), "signup"), ("referral", "on")),
    ],
    ids=[
        "unknown-field",
        "unknown-nested-field",
        "rounding",
        "minimum-as-float",
        "timezone",
        "no-tiers",
        "duplicate-tier",
        "campaign-unknown-tier",
        "empty-target-list",
        "campaign-multiplier-below-1",
        "monthly-day-32",
        "empty-recurrence",
        "weekday-spelling",
        "date-window-reversed",
        "window-reversed",
        "duplicate-campaign",
        "stacking",
        "item-rule-does-nothing",
        "item-rule-matches-nothing",
        "multiplier-float",
        "multiplier-too-large",
        "activity-type-name",
        "limit-period",
        "cap-unknown-activity",
        "referral-on",
    ],
)
def test_given_an_invalid_document_when_validated_then_the_error_points_at_the_field(document, loc):
    with pytest.raises(ValidationError) as raised:
        Program.model_validate(document)
    assert loc in [error["loc"] for error in raised.value.errors()]
