"""The program document: the published rules of one tenant's loyalty program.

This is the foundation's subset (base earn rate, signup bonus, expiry policy, point value);
the rules, tiers and expiry issues extend it. A new tenant starts from `default_program()`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from loyalty.models.common import Amount, CurrencyCode, StrictModel


class EarnRules(StrictModel):
    points_per_unit: int = Field(default=1, ge=0, le=1000, description="Points per 1 unit of currency")
    rounding: Literal["down"] = "down"


class ExpiryPolicy(StrictModel):
    policy: Literal["rolling", "fixed", "never"] = "rolling"
    months: int = Field(default=24, ge=1, le=240, description="rolling: months after the earn")
    end_of_month: bool = Field(default=True, description="rolling: extend to the end of that month")
    years_after: int = Field(default=1, ge=0, le=20, description="fixed: years after the earn's year")
    month: int = Field(default=12, ge=1, le=12, description="fixed: month of the expiry date")
    day: int = Field(default=31, ge=1, le=31, description="fixed: day of the expiry date")


class PointValue(StrictModel):
    points: int = Field(default=100, ge=1)
    amount: Amount = Decimal("1.00")


class Program(StrictModel):
    version: int = Field(default=1, ge=1, description="Owned by the server; ignored on PUT")
    name: str = Field(default="Loyalty program", min_length=1, max_length=200)
    currency: CurrencyCode = "CNY"
    timezone: str = "Asia/Shanghai"
    earn: EarnRules = EarnRules()
    signup_bonus: int = Field(default=100, ge=0, le=1_000_000)
    expiry: ExpiryPolicy = ExpiryPolicy()
    point_value: PointValue = PointValue()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value


def default_program(name: str = "Loyalty program") -> Program:
    return Program(name=name)
