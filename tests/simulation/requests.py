"""The requests the workload sends, as the model sees them: kind, natural id and key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar, Literal

CENT = Decimal("0.01")

# Operation kinds as the product names them in its operation records (T#{tenant}#OP#{kind}#{id}).
ENROLL, PURCHASE, REFUND, ADJUSTMENT = "enroll", "purchase", "refund", "adjustment"
REDEMPTION, CANCELLATION, HOLD, CAPTURE, RELEASE = (
    "redemption",
    "redemption_cancel",
    "hold",
    "capture",
    "release",
)
COUPON_ISSUE, DRAW, EXPIRE = "coupon_issue", "draw", "expire"
HOLD_REFUND = "hold_refund"
# Writes without an operation record, as the wire names them (see wire.py).
FULFILMENT, COUPON_USE, TIER = "fulfil", "coupon_use", "tier"


class ModelRequest:
    """What every request has: the natural id it is recorded under, and the key of what it asks
    (the same natural id with another key is a conflict, with the same key a replay)."""

    natural_field: ClassVar[str]
    key_fields: ClassVar[tuple[str, ...]] = ()

    @property
    def natural_id(self) -> str:
        return str(getattr(self, self.natural_field))

    @property
    def key(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.key_fields)


@dataclass(frozen=True)
class Enroll(ModelRequest):
    tenant_id: str
    member_id: str
    name: str | None = None
    kind = ENROLL
    natural_field = "member_id"
    key_fields = ("name",)


@dataclass(frozen=True)
class Earn(ModelRequest):
    """A purchase, sent over HTTP or dropped on the purchase queue (same body plus tenant_id)."""

    tenant_id: str
    order_id: str
    member_id: str
    amount: str  # as the shop spells it: "12.3" and "12.30" are the same request
    currency: str
    kind = PURCHASE
    natural_field = "order_id"

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.member_id, Decimal(self.amount).quantize(CENT), self.currency)

    def message_body(self) -> dict[str, Any]:
        return {
            "tenant_id": self.tenant_id,
            "order_id": self.order_id,
            "member_id": self.member_id,
            "amount": self.amount,
            "currency": self.currency,
        }


@dataclass(frozen=True)
class Refund(ModelRequest):
    tenant_id: str
    order_id: str
    refund_id: str
    amount: str
    kind = REFUND
    natural_field = "refund_id"

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.order_id, Decimal(self.amount).quantize(CENT))


@dataclass(frozen=True)
class Adjust(ModelRequest):
    tenant_id: str
    member_id: str
    adjustment_id: str
    points: int
    reason: str
    kind = ADJUSTMENT
    natural_field = "adjustment_id"
    key_fields = ("member_id", "points", "reason")


@dataclass(frozen=True)
class Redeem(ModelRequest):
    tenant_id: str
    member_id: str
    redemption_id: str
    reward_id: str
    quantity: int = 1
    kind = REDEMPTION
    natural_field = "redemption_id"
    key_fields = ("member_id", "reward_id", "quantity")


@dataclass(frozen=True)
class CancelRedemption(ModelRequest):
    tenant_id: str
    member_id: str
    redemption_id: str
    kind = CANCELLATION
    natural_field = "redemption_id"
    key_fields = ("member_id",)


@dataclass(frozen=True)
class Fulfil(ModelRequest):
    """Marks a redemption fulfilled: a conditional update, no operation record, no points."""

    tenant_id: str
    member_id: str
    redemption_id: str
    kind = FULFILMENT
    natural_field = "redemption_id"
    key_fields = ("member_id",)


@dataclass(frozen=True)
class Reserve(ModelRequest):
    tenant_id: str
    member_id: str
    hold_id: str
    points: int
    ttl_seconds: int
    order_id: str | None = None
    kind = HOLD
    natural_field = "hold_id"
    key_fields = ("member_id", "points", "ttl_seconds", "order_id")


@dataclass(frozen=True)
class Capture(ModelRequest):
    """Spends the hold's points for the order; with `points` (fewer than held) that many, the rest
    released to the lots they came from."""

    tenant_id: str
    hold_id: str
    order_id: str
    points: int | None = None
    kind = CAPTURE
    natural_field = "hold_id"
    key_fields = ("order_id", "points")


@dataclass(frozen=True)
class Release(ModelRequest):
    tenant_id: str
    hold_id: str
    kind = RELEASE
    natural_field = "hold_id"


@dataclass(frozen=True)
class HoldRefund(ModelRequest):
    """Points a captured hold spent, given back for a refund of its order (at most the capture)."""

    tenant_id: str
    hold_id: str
    refund_id: str
    points: int
    kind = HOLD_REFUND
    natural_field = "refund_id"
    key_fields = ("hold_id", "points")


@dataclass(frozen=True)
class BuyCoupon(ModelRequest):
    tenant_id: str
    member_id: str
    issue_id: str
    template_id: str
    kind = COUPON_ISSUE
    natural_field = "issue_id"
    key_fields = ("member_id", "template_id")


@dataclass(frozen=True)
class UseCoupon(ModelRequest):
    """Uses a coupon for an order: exactly once per code; the same order again answers the same."""

    tenant_id: str
    code: str
    member_id: str
    order_id: str
    amount: str
    currency: str
    kind = COUPON_USE
    natural_field = "code"
    key_fields = ("member_id", "order_id")


@dataclass(frozen=True)
class Draw(ModelRequest):
    tenant_id: str
    member_id: str
    draw_id: str
    lottery_id: str
    kind = DRAW
    natural_field = "draw_id"
    key_fields = ("member_id", "lottery_id")


@dataclass(frozen=True)
class Poison:
    """A queue message that can never succeed for a reason visible in the message alone."""

    tenant_id: str
    problem: Literal["malformed-json", "validation-error"]
    body: str
    kind = "poison"
    natural_id = ""
    key = ()


@dataclass(frozen=True)
class Expire(ModelRequest):
    """The expiry run's operation on one member (natural id `member@program-local day`)."""

    tenant_id: str
    member_id: str
    day: date
    kind = EXPIRE

    @property
    def natural_id(self) -> str:
        return f"{self.member_id}@{self.day.isoformat()}"


Earning = Enroll | Earn | Refund | Adjust
Spending = (
    Redeem
    | CancelRedemption
    | Fulfil
    | Reserve
    | Capture
    | Release
    | HoldRefund
    | BuyCoupon
    | UseCoupon
    | Draw
)
Request = Earning | Spending
QueueRequest = Earn | Poison
SPENDS = (Redeem, Reserve, BuyCoupon, Draw)  # spend available points: lapsed holds are released first
NOT_LEDGER = (Fulfil, UseCoupon)  # no ledger entry, no operation record
