"""The independent model: what a correct ledger must hold, given the operations it accepted.

This module owns the simulator's own idea of the ledger: the requests the workload sends, the
decision each one deserves (accept, replay, or refuse with the problem types that may explain the
refusal) and the arithmetic of an accepted one (earn rate rounded down, debt settled before a
credit, proportional clawback on the running refunded total, new lots dated by the program's
expiry policy in its time zone, purchase points pending for the program's return window and
spendable from its program-local maturity day, a refund taking its purchase's pending points
first, debits oldest expiry first with never-expiring points last).

It deliberately imports nothing from `loyalty.domain`: an arithmetic error in the product shows up
as a disagreement with this model instead of being reproduced by it. It does no I/O.

Assumptions (true of the programs the simulator publishes): no campaigns, one tier, no caps, no
referral, and no expiry job running, so points stay spendable until something debits them.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

CENT = Decimal("0.01")

# Operation kinds as the product names them in its operation records (T#{tenant}#OP#{kind}#{id}).
ENROLL, PURCHASE, REFUND, ADJUSTMENT = "enroll", "purchase", "refund", "adjustment"


@dataclass(frozen=True)
class TenantSpec:
    """One simulated program: the few rules the model needs, and the document published for it."""

    tenant_id: str
    currency: str
    timezone: str
    points_per_unit: int
    signup_bonus: int
    expiry: dict[str, Any]
    pending_days: int = 0

    def program_document(self) -> dict[str, Any]:
        return {
            "name": self.tenant_id.title(),
            "currency": self.currency,
            "timezone": self.timezone,
            "earn": {"points_per_unit": self.points_per_unit, "pending_days": self.pending_days},
            "signup_bonus": self.signup_bonus,
            "expiry": self.expiry,
        }


# --- requests -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Enroll:
    tenant_id: str
    member_id: str
    name: str | None = None
    kind = ENROLL

    @property
    def natural_id(self) -> str:
        return self.member_id

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.name,)


@dataclass(frozen=True)
class Earn:
    """A purchase, sent over HTTP or dropped on the purchase queue (same body plus tenant_id)."""

    tenant_id: str
    order_id: str
    member_id: str
    amount: str  # as the shop spells it: "12.3" and "12.30" are the same request
    currency: str
    kind = PURCHASE

    @property
    def natural_id(self) -> str:
        return self.order_id

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
class Refund:
    tenant_id: str
    order_id: str
    refund_id: str
    amount: str
    kind = REFUND

    @property
    def natural_id(self) -> str:
        return self.refund_id

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.order_id, Decimal(self.amount).quantize(CENT))


@dataclass(frozen=True)
class Adjust:
    tenant_id: str
    member_id: str
    adjustment_id: str
    points: int
    reason: str
    kind = ADJUSTMENT

    @property
    def natural_id(self) -> str:
        return self.adjustment_id

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.member_id, self.points, self.reason)


@dataclass(frozen=True)
class Poison:
    """A queue message that can never succeed for a reason visible in the message alone."""

    tenant_id: str
    problem: Literal["malformed-json", "validation-error"]
    body: str
    kind = "poison"
    natural_id = ""
    key = ()


Request = Enroll | Earn | Refund | Adjust
QueueRequest = Earn | Poison


# --- decisions and effects --------------------------------------------------------------------------
@dataclass(frozen=True)
class Decision:
    verdict: Literal["accept", "replay", "refuse"]
    problems: frozenset[str] = frozenset()  # refuse: every problem type that may explain it

    def __str__(self) -> str:
        return self.verdict if self.verdict != "refuse" else f"refuse({', '.join(sorted(self.problems))})"


ACCEPT = Decision("accept")
REPLAY = Decision("replay")


def refuse(*problems: str) -> Decision:
    return Decision("refuse", frozenset(problems))


@dataclass(frozen=True)
class Effect:
    """What an accepted operation did to its member, as the answer to the caller should say it."""

    member_id: str
    entry_points: int  # the signed ledger amount
    answer: dict[str, Any]  # fields the product's answer must carry with these values


LotKey = tuple[date | None, date | None]  # (available_on while pending, expires_on)


@dataclass
class MemberModel:
    debt: int = 0
    entries: int = 0  # one ledger entry per accepted operation: also the member's version
    lots: dict[LotKey, int] = field(default_factory=dict)

    @property
    def points(self) -> int:
        return sum(self.lots.values())

    def pending(self, today: date) -> int:
        return sum(left for (on, _), left in self.lots.items() if on is not None and on > today)

    def available(self, today: date) -> int:
        return self.points - self.pending(today)

    def by_expiry(self) -> dict[date | None, int]:
        merged: dict[date | None, int] = {}
        for (_, expires_on), left in self.lots.items():
            merged[expires_on] = merged.get(expires_on, 0) + left
        return merged


@dataclass
class OrderModel:
    member_id: str
    amount: Decimal
    points_earned: int
    pending_lot: LotKey | None  # where its points wait while the return window is open
    refunded: Decimal = Decimal("0.00")
    clawed: int = 0


@dataclass
class Applied:
    """An accepted natural id: the request that took it and, once heard, the answer it got."""

    request: Request
    status: int
    expected: dict[str, Any]  # what its answer must say (the effect as the model computed it)
    answer: dict[str, Any] | None = None  # the answer the caller heard first, if any


class LedgerModel:
    def __init__(self, tenants: list[TenantSpec]) -> None:
        self.tenants = {tenant.tenant_id: tenant for tenant in tenants}
        self.members: dict[tuple[str, str], MemberModel] = {}
        self.orders: dict[tuple[str, str], OrderModel] = {}
        self.applied: dict[tuple[str, str, str], Applied] = {}

    # --- questions ---------------------------------------------------------------------------------
    def member(self, tenant_id: str, member_id: str) -> MemberModel | None:
        return self.members.get((tenant_id, member_id))

    def today(self, tenant_id: str, now: datetime) -> date:
        return now.astimezone(ZoneInfo(self.tenants[tenant_id].timezone)).date()

    def available(self, tenant_id: str, member_id: str, now: datetime) -> int:
        member = self.member(tenant_id, member_id)
        return member.available(self.today(tenant_id, now)) if member else 0

    def applied_request(self, request: Request | Poison) -> Applied | None:
        return self.applied.get((request.tenant_id, request.kind, request.natural_id))

    def member_of(self, request: Request | Poison) -> str | None:
        """The member an operation changes (a refund changes its order's member), if known."""
        if isinstance(request, Refund):
            order = self.orders.get((request.tenant_id, request.order_id))
            return order.member_id if order else None
        if isinstance(request, Poison):
            return None
        return request.member_id

    def decide(self, request: Request | Poison, now: datetime) -> Decision:
        """The answer a correct ledger gives `request` now (the product's checks, in its order)."""
        if isinstance(request, Poison):
            return refuse(request.problem)
        tenant = self.tenants.get(request.tenant_id)
        if tenant is None:
            return refuse("tenant-not-found")
        problems: set[str] = set()
        if isinstance(request, Earn) and request.currency != tenant.currency:
            problems.add("invalid-request")
        applied = self.applied_request(request)
        if applied is not None:
            if applied.request.key == request.key and not problems:
                return REPLAY
            problems.add("idempotency-conflict")
            return refuse(*problems)
        if isinstance(request, Earn | Adjust) and self.member(request.tenant_id, request.member_id) is None:
            problems.add("member-not-found")
        if isinstance(request, Refund):
            order = self.orders.get((request.tenant_id, request.order_id))
            if order is None:
                problems.add("purchase-not-found")
            elif order.refunded + Decimal(request.amount) > order.amount:
                problems.add("refund-exceeds-purchase")
        if (
            isinstance(request, Adjust)
            and not problems
            and -request.points > self.available(request.tenant_id, request.member_id, now)
        ):
            problems.add("insufficient-points")
        return refuse(*problems) if problems else ACCEPT

    # --- changes -----------------------------------------------------------------------------------
    def apply(self, request: Request, now: datetime) -> Effect:
        """Record an accepted operation; the caller has checked `decide(request)` said accept."""
        tenant = self.tenants[request.tenant_id]
        today = self.today(request.tenant_id, now)
        expires_on = expiry_date(tenant.expiry, now, tenant.timezone)
        answer: dict[str, Any]
        if isinstance(request, Enroll):
            member = self.members.setdefault((request.tenant_id, request.member_id), MemberModel())
            points, settled = self._credit(member, tenant.signup_bonus, (None, expires_on))
            answer = {}
        elif isinstance(request, Earn):
            member = self.members[(request.tenant_id, request.member_id)]
            earned = int((Decimal(request.amount) * tenant.points_per_unit).to_integral_value(ROUND_FLOOR))
            pending_until = (
                today + timedelta(days=tenant.pending_days) if tenant.pending_days and earned else None
            )
            lot = (pending_until, expires_on)
            points, settled = self._credit(member, earned, lot)
            self.orders[(request.tenant_id, request.order_id)] = OrderModel(
                request.member_id,
                Decimal(request.amount).quantize(CENT),
                earned,
                lot if pending_until is not None and points else None,
            )
            answer = {"points_earned": earned, "points_credited": points, "debt_settled": settled}
        elif isinstance(request, Refund):
            order = self.orders[(request.tenant_id, request.order_id)]
            member = self.members[(request.tenant_id, order.member_id)]
            refunded_after = order.refunded + Decimal(request.amount)
            due = Decimal(order.points_earned) * refunded_after / order.amount
            clawback = max(0, int(due.to_integral_value(ROUND_FLOOR)) - order.clawed)
            taken, incurred = self._debit(member, clawback, today, prefer=order.pending_lot)
            order.refunded, order.clawed = refunded_after.quantize(CENT), order.clawed + clawback
            points = -taken
            answer = {
                "points_clawed_back": clawback,
                "points_debited": taken,
                "debt_incurred": incurred,
                "refunded_total": f"{order.refunded:.2f}",
            }
        else:
            member = self.members[(request.tenant_id, request.member_id)]
            if request.points > 0:
                points, _ = self._credit(member, request.points, (None, expires_on))
            else:
                taken, incurred = self._debit(member, -request.points, today)
                assert incurred == 0, "a deduction never creates debt"
                points = -taken
            answer = {"points": request.points}
        member.entries += 1
        answer["balance"] = {"available": member.available(today), "pending": member.pending(today)}
        self.applied[(request.tenant_id, request.kind, request.natural_id)] = Applied(request, 201, answer)
        return Effect(self.member_of(request) or "", points, answer)

    @staticmethod
    def _credit(member: MemberModel, points: int, lot: LotKey) -> tuple[int, int]:
        """Settle debt first; the rest goes to the lot of these dates (merging with its twin)."""
        settled = min(member.debt, points)
        net = points - settled
        member.debt -= settled
        if net:
            member.lots[lot] = member.lots.get(lot, 0) + net
        return net, settled

    @staticmethod
    def _debit(
        member: MemberModel, points: int, today: date, prefer: LotKey | None = None
    ) -> tuple[int, int]:
        """Take `points`: from the `prefer`red pending lot while it is pending, then from available
        points oldest expiry first (never-expiring last); what is missing becomes debt."""
        for (on, expires_on), left in list(member.lots.items()):
            if on is not None and on <= today:  # matured: now part of the available lot of its expiry
                del member.lots[(on, expires_on)]
                member.lots[(None, expires_on)] = member.lots.get((None, expires_on), 0) + left
        wanted, taken = points, 0
        if prefer is not None and prefer in member.lots:
            take = min(wanted, member.lots[prefer])
            member.lots[prefer] -= take
            wanted, taken = wanted - take, take
        spendable = sorted(
            (key for key in member.lots if key[0] is None),
            key=lambda key: (key[1] is None, key[1] or date.min),
        )
        for key in spendable:
            take = min(wanted, member.lots[key])
            member.lots[key] -= take
            wanted, taken = wanted - take, taken + take
        member.lots = {key: left for key, left in member.lots.items() if left}
        member.debt += wanted
        return taken, wanted


def expiry_date(policy: dict[str, Any], now: datetime, timezone: str) -> date | None:
    """The last spendable day of points earned at `now`, program-local, per the expiry policy."""
    kind = policy.get("policy", "rolling")
    if kind == "never":
        return None
    today = now.astimezone(ZoneInfo(timezone)).date()
    if kind == "fixed":
        return date(today.year + policy.get("years_after", 1), policy.get("month", 12), policy.get("day", 31))
    index = today.month - 1 + policy.get("months", 24)
    year, month = today.year + index // 12, index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    if policy.get("end_of_month", True):
        return date(year, month, last)
    return date(year, month, min(today.day, last))
