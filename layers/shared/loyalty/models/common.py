"""Value types shared by every boundary model: natural ids, money amounts, points."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    WithJsonSchema,
)

# Ids end up inside DynamoDB keys ("T#tenant#M#member"): the charset excludes "#", "/", spaces,
# unicode and control characters so no id can ever address another tenant's or member's item.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"
NaturalId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
TenantId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9\-]{2,31}$")]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=200)]
LanguageTag = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$")]
ImageUrl = Annotated[str, StringConstraints(pattern=r"^https://[^\s]{1,2000}$")]

MAX_AMOUNT = Decimal("99999999.99")
CENT = Decimal("0.01")
MAX_POINTS = 1_000_000_000

# Points (and counts of them) are JSON integers and nothing else: pydantic's lax mode would take
# `true` as 1, "100" as 100 and 2.0 as 2, so a client bug would credit points instead of failing.
# Strict keeps the JSON schema `integer` and refuses every other JSON type with a 422.
JsonInteger = Annotated[int, Strict()]
# A price in points (a reward's, a coupon's, a lottery draw's): at least one point.
Cost = Annotated[JsonInteger, Field(ge=1, le=MAX_POINTS)]


def _money(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("amount must be a finite number")
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int) or exponent < -2:
        raise ValueError("amount has at most 2 decimal places")
    if value <= 0:
        raise ValueError("amount must be positive")
    if value > MAX_AMOUNT:
        raise ValueError(f"amount must be at most {MAX_AMOUNT}")
    return value.quantize(CENT)  # one spelling per amount: "129.9" and "129.90" are the same request


def _decimal_string(value: object) -> object:
    # Money travels as a decimal string; a JSON number would have passed through a float somewhere.
    if isinstance(value, float | bool):
        raise ValueError('amount must be a decimal string such as "129.90", not a number')
    return value


Amount = Annotated[
    Decimal,
    BeforeValidator(_decimal_string),
    AfterValidator(_money),
    WithJsonSchema({"type": "string", "pattern": r"^\d{1,8}(\.\d{1,2})?$", "examples": ["129.90"]}),
]


class StrictModel(BaseModel):
    """Requests reject unknown fields: a client can never set a balance or a tier."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, defer_build=True)


class ResponseModel(BaseModel):
    model_config = ConfigDict(defer_build=True)


def amount_str(value: Decimal) -> str:
    return f"{value:.2f}"
