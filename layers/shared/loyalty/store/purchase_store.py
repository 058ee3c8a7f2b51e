"""Purchases: what a refund needs of the purchase it refunds, as a typed record.

A purchase is recorded with its idempotency record, in the same item (T#{tenant}#OP#purchase#
{order_id}, attribute `state`), so an earn writes no more than before; this module is the only
one that knows that shape. The record's `version` guards refunds: each refund moves it on, so two
refunds of one purchase never both count the same refunded amount."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from loyalty.models.common import amount_str
from loyalty.store import keys
from loyalty.store.codec import decode
from loyalty.store.idempotency_store import OperationRecord, OperationUpdate, operation_record
from loyalty.store.table import TableStore

PURCHASE = "purchase"


@dataclass(frozen=True)
class ReferralPaid:
    """The referral bonus a referee's first purchase paid its referrer (taken back once, by the
    refund that makes the purchase whole)."""

    referrer_id: str
    points: int
    taken_back: bool = False


@dataclass(frozen=True)
class PurchaseRecord:
    order_id: str
    member_id: str
    amount: Decimal
    currency: str
    points_earned: int
    refunded_amount: Decimal
    points_clawed_back: int
    occurred_at: datetime
    available_on: date | None  # the pending lot's dates, while its points are pending
    expires_on: date | None
    referral: ReferralPaid | None = None  # purchases recorded before bonuses were noted have none
    version: int = 1

    @property
    def pending_lot(self) -> tuple[date | None, date | None] | None:
        """The (available_on, expires_on) of the lot holding this purchase's points while pending."""
        return (self.available_on, self.expires_on) if self.available_on else None

    def state(self) -> dict[str, Any]:
        """As stored on the purchase's item (amounts as decimal strings, dates as ISO strings)."""
        stored: dict[str, Any] = {
            "member_id": self.member_id,
            "amount": amount_str(self.amount),
            "currency": self.currency,
            "points_earned": self.points_earned,
            "refunded_amount": amount_str(self.refunded_amount),
            "points_clawed_back": self.points_clawed_back,
            "occurred_at": self.occurred_at.isoformat(),
            "available_on": self.available_on.isoformat() if self.available_on else None,
            "expires_on": self.expires_on.isoformat() if self.expires_on else None,
        }
        if self.referral is not None:
            stored["referral"] = {
                "referrer_id": self.referral.referrer_id,
                "points": self.referral.points,
                "taken_back": self.referral.taken_back,
            }
        return stored


class PurchaseStore(TableStore):
    def read_purchase(self, tenant_id: str, order_id: str) -> PurchaseRecord | None:
        item = self.read_item(keys.operation_pk(tenant_id, PURCHASE, order_id), keys.OPERATION_SK)
        return purchase_record(operation_record(item)) if item else None

    @staticmethod
    def refunded(
        purchase: PurchaseRecord, amount: Decimal, points: int, *, referral_taken: bool = False
    ) -> OperationUpdate:
        """The purchase after a refund of `amount` that clawed back `points` (and, when
        `referral_taken`, the referral bonus it paid), written only if it is still the version read."""
        referral = purchase.referral
        after = replace(
            purchase,
            refunded_amount=purchase.refunded_amount + amount,
            points_clawed_back=purchase.points_clawed_back + points,
            referral=replace(referral, taken_back=True) if referral and referral_taken else referral,
        )
        return OperationUpdate(PURCHASE, purchase.order_id, purchase.version, after.state())


def purchase_record(record: OperationRecord) -> PurchaseRecord:
    """A purchase from its stored item (every purchase ever stored has this shape)."""
    return decode(PurchaseRecord, record.state, order_id=record.natural_id, version=record.version)
