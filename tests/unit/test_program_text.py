"""The program's rules in plain words, generated from the program document (zh-CN and en)."""

from __future__ import annotations

from datetime import UTC, datetime

from loyalty.domain.program_text import explain, locale_for
from loyalty.models.program import Program, default_program

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)


def lines(sections, section_id):
    return " ".join(next(section.lines for section in sections if section.id == section_id))


def test_the_sample_program_reads_in_english_with_its_rate_signup_tiers_expiry_and_value():
    # Given the sample program
    program = default_program("Shop")
    # When it is explained in English
    sections = explain(program, "en", NOW)
    # Then the sections say its figures
    assert [section.id for section in sections][:5] == ["earn", "campaigns", "tiers", "expiry", "value"]
    assert f"earns {program.earn.points_per_unit} point(s)" in lines(sections, "earn")
    assert f"Joining gives you {program.signup_bonus} points." in lines(sections, "earn")
    for tier in program.tiers:
        assert tier.name in lines(sections, "tiers")
    assert f"{program.point_value.points} points are worth" in lines(sections, "value")


def test_the_same_program_reads_in_chinese():
    program = default_program("Shop")
    sections = explain(program, "zh-CN", NOW)
    assert sections[0].title == "如何获得积分"
    assert f"注册即送 {program.signup_bonus} 积分" in lines(sections, "earn")
    assert all(tier.names.get("zh-CN", tier.name) in lines(sections, "tiers") for tier in program.tiers)


def test_campaigns_running_now_and_later_are_told_apart_and_ended_ones_left_out():
    # Given three campaigns: running, coming, over
    program = Program.model_validate(
        {
            "campaigns": [
                {
                    "id": "now",
                    "name": "Double days",
                    "multiplier": "2",
                    "starts_at": "2026-12-01T00:00:00+08:00",
                    "ends_at": "2026-12-31T00:00:00+08:00",
                },
                {
                    "id": "later",
                    "name": "New year",
                    "bonus_points": 50,
                    "starts_at": "2027-01-01T00:00:00+08:00",
                },
                {"id": "over", "name": "Autumn", "multiplier": "3", "ends_at": "2026-11-01T00:00:00+08:00"},
            ]
        }
    )
    # When explained on 2026-12-04
    text = lines(explain(program, "en", NOW), "campaigns")
    # Then the running one and the coming one are told, the ended one is not
    assert "Running now: Double days, \u00d72 points, until 2026-12-31." in text
    assert "Coming: New year, +50 points per purchase from 2027-01-01." in text
    assert "Autumn" not in text


def test_expiry_policies_and_a_sunset_are_told():
    program = Program.model_validate(
        {
            "expiry": {"policy": "days", "days": 90, "by_source": {"activity": {"policy": "never"}}},
            "sunset": {"last_earning_day": "2027-06-30", "last_redeeming_day": "2027-09-30"},
        }
    )
    sections = explain(program, "en", NOW)
    assert "Points expire 90 days after you earn them." in lines(sections, "expiry")
    assert "Points from activities: Points never expire." in lines(sections, "expiry")
    assert "2027-09-30" in lines(sections, "sunset")


def test_any_chinese_tag_reads_chinese_and_anything_else_english():
    assert [locale_for(tag) for tag in ("zh", "zh-TW", "ZH-cn", "en-GB", "fr", None)] == [
        "zh-CN",
        "zh-CN",
        "zh-CN",
        "en",
        "en",
        "en",
    ]


def test_a_decimal_base_rate_reads_as_one_point_per_ten_units():
    # Given a program earning "0.1" point per CNY
    document = default_program("Shop").model_dump(mode="json")
    document["earn"]["points_per_unit"] = "0.1"
    program = Program.model_validate(document)
    # When it is explained, then the rate is said in whole numbers, in both languages
    assert "Every 10 CNY you spend earns 1 point(s)" in lines(explain(program, "en", NOW), "earn")
    assert "10 CNY" in lines(explain(program, "zh-CN", NOW), "earn")
