"""The independent model: what a correct ledger must hold, given the operations it accepted.

This module owns the simulator's own idea of the ledger: the requests the workload sends, the
decision each one deserves (accept, replay, or refuse with the problem types that may explain the
refusal) and the arithmetic of an accepted one (earn rate rounded down, debt settled before a
credit, proportional clawback on the running refunded total, new lots dated by the program's
expiry policy in its time zone, purchase points pending for the program's return window and
spendable from its program-local maturity day, a refund taking its purchase's pending points
first, debits oldest expiry first with never-expiring points last).

Spending: catalog redemptions (stock, per-member limits, rewards kept for a tier and above) and
their cancellation (the very lots back, stock and count back), checkout holds (points move from
available to held, keeping their lots; a capture spends them, a release or a lapse gives the lots
back; a spend, a capture or the sweep releases a lapsed hold first), coupons bought with points
and used once per code, lottery draws (the roll from a random source seeded by the draw id, a
prize that ran out falling back) with a daily limit. Scheduled runs: the expiry run takes every
lot whose last day is over in the program's zone; the tiers run evaluates a member on its review
day (keep, rise, a grace period, then down at most `max_levels_down`); an earn raises a member at
once. Each ladder's figures are monthly buckets of spend, purchases and points in a rolling window.

Risk: a purchase of points that, with the member's purchases before it in a velocity rule's window
(counted in whole epoch seconds, as the product keeps them), exceeds the rule's count or points has
its points withheld (an entry of all of them, no lot, no debt settled); a `freeze` rule freezes the
member, whose later credits (purchases, grants) are withheld and whose spends and captures are
refused with member-frozen (before any lapsed hold is released). A refund's clawback takes the
purchase's pending points first, then withheld points, then available ones.

It deliberately imports nothing from `loyalty.domain`: an arithmetic error in the product shows up
as a disagreement with this model instead of being reproduced by it. It does no I/O.

Assumptions (true of the programs the simulator publishes): no campaigns, tiers without earn
multipliers, no caps, no referral, no sunset, rewards without cash, windows or campaign prices.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from tests.simulation.requests import (
    CENT,
    EXPIRE,
    NOT_LEDGER,
    SPENDS,
    Adjust,
    BuyCoupon,
    CancelRedemption,
    Capture,
    Draw,
    Earn,
    Enroll,
    Expire,
    Fulfil,
    HoldRefund,
    Poison,
    Redeem,
    Refund,
    Release,
    Request,
    Reserve,
    UseCoupon,
)
from tests.simulation.specs import CouponSpec, LadderSpec, TenantSpec, coupon_code, draw_source


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
class TierModel:
    level: int = 0
    since: date | None = None
    review_on: date | None = None
    grace_until: date | None = None
    buckets: dict[str, tuple[Decimal, int, int]] = field(default_factory=dict)  # "YYYY-MM" -> figures


@dataclass
class MemberModel:
    debt: int = 0
    entries: int = 0  # one ledger entry per accepted operation: also the member's version
    lots: dict[LotKey, int] = field(default_factory=dict)
    held: int = 0  # points of open holds (their lots live on the holds)
    last_posted: datetime | None = None  # when its last ledger entry was written (re-indexed)
    tier: TierModel = field(default_factory=TierModel)
    reward_counts: dict[str, int] = field(default_factory=dict)
    draw_counts: dict[tuple[str, date], int] = field(default_factory=dict)
    had_holds: bool = False
    withheld: int = 0  # earned while frozen or past a velocity rule: in no lot, not spendable
    frozen: bool = False  # a `freeze` velocity rule froze it: no spending, every credit withheld
    recent: list[tuple[int, int]] = field(
        default_factory=list
    )  # (epoch second, points): what the rules count

    @property
    def points(self) -> int:
        """Points in the member's own lots: available + pending (held points sit on the holds)."""
        return sum(self.lots.values())

    def pending(self, today: date) -> int:
        return sum(left for (on, _), left in self.lots.items() if on is not None and on > today)

    def available(self, today: date) -> int:
        return self.points - self.pending(today)

    def by_expiry(self) -> dict[date | None, int]:
        return _by_expiry(self.lots)

    def balance(self, today: date) -> dict[str, int]:
        return {
            "available": self.available(today),
            "pending": self.pending(today),
            "held": self.held,
            "withheld": self.withheld,
        }


@dataclass
class OrderModel:
    member_id: str
    amount: Decimal
    points_earned: int
    pending_lot: LotKey | None  # where its points wait while the return window is open
    bought_on: date  # program-local: the month its tier figures count in
    refunded: Decimal = Decimal("0.00")
    clawed: int = 0


@dataclass
class RedemptionModel:
    member_id: str
    reward_id: str
    quantity: int
    points: int
    lots: dict[LotKey, int]
    stock_taken: bool
    status: str = "requested"


@dataclass
class HoldModel:
    member_id: str
    points: int
    lots: dict[LotKey, int]
    expires_at: datetime
    order_id: str | None
    status: str = "held"
    captured: int | None = None  # the points a capture spent (its lots: `lots` from then on)
    refunded: int = 0  # of those, given back by refunds of the order


@dataclass
class CouponModel:
    member_id: str
    template: CouponSpec
    valid_until: datetime
    points_paid: int
    status: str = "issued"
    order_id: str | None = None
    discount: Decimal = Decimal("0.00")


@dataclass
class Applied:
    """An accepted natural id: the request that took it and, once heard, the answer it got."""

    request: Request | Expire
    status: int
    expected: dict[str, Any]  # what its answer must say (the effect as the model computed it)
    answer: dict[str, Any] | None = None  # the answer the caller heard first, if any
    replay_status: int | None = None  # what a replay answers (None: the same status)
    marks_replay: bool = True  # a replay says it is one (coupon uses and fulfilments do not)


@dataclass
class JobOutcome:
    """What one scheduled run changed, as the model applied it from the commit journal."""

    members: int = 0
    points: int = 0
    raised: int = 0
    lowered: int = 0


class LedgerModel:
    def __init__(self, tenants: list[TenantSpec]) -> None:
        self.tenants = {tenant.tenant_id: tenant for tenant in tenants}
        self.members: dict[tuple[str, str], MemberModel] = {}
        self.orders: dict[tuple[str, str], OrderModel] = {}
        self.applied: dict[tuple[str, str, str], Applied] = {}
        self.redemptions: dict[tuple[str, str], RedemptionModel] = {}
        self.holds: dict[tuple[str, str], HoldModel] = {}
        self.coupons: dict[tuple[str, str], CouponModel] = {}
        self.stock: dict[tuple[str, str], int] = {}  # (tenant, reward) -> left, limited rewards
        self.redeemed: dict[tuple[str, str], int] = {}  # (tenant, reward) -> its `redeemed` counter
        self.prizes: dict[tuple[str, str, str], int] = {}  # (tenant, lottery, prize) -> left
        self.wins: dict[tuple[str, str, str], int] = {}  # (tenant, lottery, prize) -> draws that won it
        self.raised_by_earns = 0
        self.withheld_earns = 0  # purchases whose points a velocity rule (or a freeze) withheld
        self.frozen_by_velocity = 0
        for tenant in tenants:
            for reward in tenant.rewards:
                self.redeemed[(tenant.tenant_id, reward.reward_id)] = 0
                if reward.stock is not None:
                    self.stock[(tenant.tenant_id, reward.reward_id)] = reward.stock
            if tenant.lottery is not None:
                for prize in tenant.lottery.prizes:
                    if prize.stock is not None:
                        self.prizes[(tenant.tenant_id, tenant.lottery.lottery_id, prize.prize_id)] = (
                            prize.stock
                        )

    # --- questions ---------------------------------------------------------------------------------
    def member(self, tenant_id: str, member_id: str) -> MemberModel | None:
        return self.members.get((tenant_id, member_id))

    def today(self, tenant_id: str, now: datetime) -> date:
        return now.astimezone(ZoneInfo(self.tenants[tenant_id].timezone)).date()

    def available(self, tenant_id: str, member_id: str, now: datetime) -> int:
        member = self.member(tenant_id, member_id)
        return member.available(self.today(tenant_id, now)) if member else 0

    def applied_request(self, request: Request | Poison | Expire) -> Applied | None:
        return self.applied.get((request.tenant_id, request.kind, request.natural_id))

    def member_of(self, request: Request | Poison) -> str | None:
        """The member an operation changes (a refund changes its order's member), if known."""
        if isinstance(request, Refund):
            order = self.orders.get((request.tenant_id, request.order_id))
            return order.member_id if order else None
        if isinstance(request, Capture | Release | HoldRefund):
            hold = self.holds.get((request.tenant_id, request.hold_id))
            return hold.member_id if hold else None
        if isinstance(request, Poison | UseCoupon):
            return None
        return request.member_id

    def lapsed_holds(self, tenant_id: str, member_id: str, now: datetime) -> list[str]:
        """The member's open holds whose time is up (a spend releases them before it debits)."""
        return [
            hold_id
            for (tenant, hold_id), hold in self.holds.items()
            if tenant == tenant_id and hold.member_id == member_id and hold.status == "held"
            if hold.expires_at <= now
        ]

    def releases_on_the_way(self, request: Request, now: datetime) -> list[str]:
        """Lapsed holds this request releases before it decides (a spend that gets as far as
        spending, or a capture of a lapsed hold): each such release is a commit of its own."""
        if isinstance(request, Capture):
            hold = self.holds.get((request.tenant_id, request.hold_id))
            if (
                self.applied_request(request) is None
                and hold
                and hold.status == "held"
                and not self.members[(request.tenant_id, hold.member_id)].frozen
                and not _other_order(hold.order_id, request.order_id)
            ):
                return [request.hold_id] if now >= hold.expires_at else []
            return []
        if not isinstance(request, SPENDS) or not self._reaches_spending(request):
            return []
        return self.lapsed_holds(request.tenant_id, request.member_id, now)

    def _reaches_spending(self, request: Request) -> bool:
        """Whether a spend passes the checks made before lapsed holds are released."""
        tenant = self.tenants.get(request.tenant_id)
        member = self.member(request.tenant_id, getattr(request, "member_id", ""))
        if tenant is None or member is None or self.applied_request(request) is not None or member.frozen:
            return False
        if isinstance(request, Redeem):
            reward = tenant.reward(request.reward_id)
            return (
                reward is not None
                and self._may_redeem(tenant, member, request.reward_id)
                and (reward.per_member_limit is None or request.quantity <= reward.per_member_limit)
            )
        if isinstance(request, BuyCoupon):
            template = tenant.coupon(request.template_id)
            return template is not None and template.points_cost is not None
        if isinstance(request, Draw):
            return tenant.lottery is not None and tenant.lottery.lottery_id == request.lottery_id
        return True

    def _spendable(self, request: Request, now: datetime) -> int:
        """Available points once the lapsed holds this request releases are back."""
        member = self.members[(request.tenant_id, getattr(request, "member_id", ""))]
        lapsed = self.releases_on_the_way(request, now)
        return member.available(self.today(request.tenant_id, now)) + sum(
            self.holds[(request.tenant_id, hold_id)].points for hold_id in lapsed
        )

    @staticmethod
    def _may_redeem(tenant: TenantSpec, member: MemberModel, reward_id: str) -> bool:
        if tenant.ladder is None:
            return True
        lowest = next(
            (level for level, tier in enumerate(tenant.ladder.tiers) if reward_id in tier.rewards), 0
        )
        return member.tier.level >= lowest

    def decide(self, request: Request | Poison, now: datetime) -> Decision:
        """The answer a correct ledger gives `request` now (the product's checks, in its order)."""
        if isinstance(request, Poison):
            return refuse(request.problem)
        tenant = self.tenants.get(request.tenant_id)
        if tenant is None:
            return refuse("tenant-not-found")
        if isinstance(request, Enroll | Earn | Refund | Adjust):
            return self._decide_earning(request, tenant, now)
        if isinstance(request, CancelRedemption | Fulfil):
            return self._decide_redemption_change(request)
        if isinstance(request, Capture | Release):
            return self._decide_hold_change(request, now)
        if isinstance(request, HoldRefund):
            return self._decide_hold_refund(request)
        if isinstance(request, UseCoupon):
            return self._decide_coupon_use(request, tenant, now)
        return self._decide_spend(request, tenant, now)

    def _decide_earning(
        self, request: Enroll | Earn | Refund | Adjust, tenant: TenantSpec, now: datetime
    ) -> Decision:
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

    def _replay_or_conflict(self, request: Request) -> Decision | None:
        applied = self.applied_request(request)
        if applied is None:
            return None
        return REPLAY if applied.request.key == request.key else refuse("idempotency-conflict")

    def _decide_spend(self, request: Request, tenant: TenantSpec, now: datetime) -> Decision:
        """A spend by a frozen member is refused: `member-frozen`, or whatever the product checks
        before it (the model does not fix that order)."""
        decision = self._decide_spend_checks(request, tenant, now)
        member = self.member(request.tenant_id, getattr(request, "member_id", ""))
        if member is None or not member.frozen or decision.verdict == "replay":
            return decision
        return refuse("member-frozen", *decision.problems)

    def _decide_spend_checks(self, request: Request, tenant: TenantSpec, now: datetime) -> Decision:
        """Redemptions, holds, coupons bought with points and draws: the order of the product's checks."""
        assert isinstance(request, SPENDS)
        replayed = self._replay_or_conflict(request)
        if replayed is not None:
            return replayed
        member = self.member(request.tenant_id, request.member_id)
        if member is None:
            return refuse("member-not-found")
        cost: int
        if isinstance(request, Redeem):
            reward = tenant.reward(request.reward_id)
            if reward is None:
                return refuse("reward-not-found")
            if not self._may_redeem(tenant, member, request.reward_id):
                return refuse("reward-unavailable")
            limit = reward.per_member_limit
            if limit is not None and request.quantity > limit:
                return refuse("member-limit-reached")
            cost = reward.points_cost * request.quantity
        elif isinstance(request, BuyCoupon):
            template = tenant.coupon(request.template_id)
            if template is None:
                return refuse("coupon-template-not-found")
            if template.points_cost is None:
                return refuse("invalid-request")
            cost = template.points_cost
        elif isinstance(request, Draw):
            lottery = tenant.lottery
            if lottery is None or lottery.lottery_id != request.lottery_id:
                return refuse("lottery-not-found")
            cost = lottery.points_cost
        else:
            cost = request.points
        if cost > self._spendable(request, now):
            return refuse("insufficient-points")
        if isinstance(request, Redeem):
            reward = tenant.reward(request.reward_id)
            assert reward is not None
            left = self.stock.get((request.tenant_id, request.reward_id))
            if left is not None and left < request.quantity:
                return refuse("out-of-stock")
            counted = member.reward_counts.get(request.reward_id, 0)
            if reward.per_member_limit is not None and counted + request.quantity > reward.per_member_limit:
                return refuse("member-limit-reached")
        if isinstance(request, Draw):
            lottery = tenant.lottery
            assert lottery is not None
            today = self.today(request.tenant_id, now)
            drawn = member.draw_counts.get((request.lottery_id, today), 0)
            if lottery.daily_limit is not None and drawn >= lottery.daily_limit:
                return refuse("member-limit-reached")
        return ACCEPT

    def _decide_redemption_change(self, request: CancelRedemption | Fulfil) -> Decision:
        if isinstance(request, CancelRedemption):
            replayed = self._replay_or_conflict(request)
            if replayed is not None:
                return replayed
        redemption = self.redemptions.get((request.tenant_id, request.redemption_id))
        if redemption is None or redemption.member_id != request.member_id:
            return refuse("redemption-not-found")
        if isinstance(request, Fulfil) and redemption.status == "fulfilled":
            return REPLAY
        if redemption.status != "requested":
            return refuse("redemption-state")
        return ACCEPT

    def _decide_hold_change(self, request: Capture | Release, now: datetime) -> Decision:
        replayed = self._replay_or_conflict(request)
        if replayed is not None:
            return replayed
        hold = self.holds.get((request.tenant_id, request.hold_id))
        if hold is None:
            return refuse("hold-not-found")
        if hold.status != "held":
            return refuse("hold-closed")
        if isinstance(request, Capture) and self.members[(request.tenant_id, hold.member_id)].frozen:
            return refuse("member-frozen")  # the hold stays open
        if isinstance(request, Capture) and _other_order(hold.order_id, request.order_id):
            return refuse("hold-order-mismatch")  # refused before a lapsed hold is released
        if isinstance(request, Capture) and now >= hold.expires_at:
            return refuse("hold-closed")  # released on the way
        return ACCEPT

    def _decide_hold_refund(self, request: HoldRefund) -> Decision:
        replayed = self._replay_or_conflict(request)
        if replayed is not None:
            return replayed
        hold = self.holds.get((request.tenant_id, request.hold_id))
        if hold is None:
            return refuse("hold-not-found")
        if (
            hold.status != "captured"
            or hold.captured is None
            or hold.refunded + request.points > hold.captured
        ):
            return refuse("refund-exceeds-capture")
        return ACCEPT

    def _decide_coupon_use(self, request: UseCoupon, tenant: TenantSpec, now: datetime) -> Decision:
        if request.currency != tenant.currency:
            return refuse("invalid-request")
        coupon = self.coupons.get((request.tenant_id, request.code))
        if coupon is None:
            return refuse("coupon-not-found")
        if coupon.status == "used":
            return (
                REPLAY
                if (coupon.order_id, coupon.member_id) == (request.order_id, request.member_id)
                else (refuse("coupon-unusable"))
            )
        minimum = Decimal(coupon.template.min_spend) if coupon.template.min_spend else None
        if (
            coupon.member_id != request.member_id
            or now >= coupon.valid_until
            or (minimum is not None and Decimal(request.amount) < minimum)
        ):
            return refuse("coupon-unusable")
        return ACCEPT

    # --- scheduled runs: what each may commit ------------------------------------------------------
    def expiry_due(self, tenant_id: str, member_id: str, now: datetime) -> int:
        """Points of the member's own lots whose last day is over in the program's zone."""
        member = self.member(tenant_id, member_id)
        if member is None:
            return 0
        today = self.today(tenant_id, now)
        return sum(left for (_, expires_on), left in member.lots.items() if expires_on and expires_on < today)

    def overdue_lots(self, tenant_id: str, member_id: str, now: datetime) -> dict[date | None, int]:
        member = self.members[(tenant_id, member_id)]
        today = self.today(tenant_id, now)
        return {day: left for day, left in member.by_expiry().items() if day is not None and day < today}

    def review_due(self, tenant_id: str, member_id: str, now: datetime) -> bool:
        member = self.member(tenant_id, member_id)
        review_on = member.tier.review_on if member else None
        return review_on is not None and review_on <= self.today(tenant_id, now)

    # --- changes -----------------------------------------------------------------------------------
    def apply(self, request: Request, now: datetime) -> Effect:
        """Record an accepted operation; the caller has checked `decide(request)` said accept."""
        tenant = self.tenants[request.tenant_id]
        today = self.today(request.tenant_id, now)
        status, replay_status, points = 201, None, 0
        answer: dict[str, Any]
        if isinstance(request, Enroll | Earn | Refund | Adjust):
            member, points, answer = self._apply_earning(request, tenant, now, today)
            replay_status = 200 if isinstance(request, Enroll) else None
        elif isinstance(request, Redeem | CancelRedemption | Fulfil):
            member, points, answer = self._apply_redemption(request, tenant, now, today)
            status = 201 if isinstance(request, Redeem) else 200
        elif isinstance(request, HoldRefund):
            member, points, answer = self._apply_hold_refund(request, today)
        elif isinstance(request, Reserve | Capture | Release):
            member, points, answer = self._apply_hold(request, now, today)
            status = 201 if isinstance(request, Reserve) else 200
        elif isinstance(request, BuyCoupon | UseCoupon):
            member, points, answer = self._apply_coupon(request, tenant, now, today)
            status = 201 if isinstance(request, BuyCoupon) else 200
        else:
            member, points, answer = self._apply_draw(request, tenant, now, today)
        if not isinstance(request, NOT_LEDGER):
            member.entries += 1
            member.last_posted = now
            answer["balance"] = member.balance(today)
        self.applied[(request.tenant_id, request.kind, request.natural_id)] = Applied(
            request,
            status,
            answer,
            replay_status=replay_status,
            marks_replay=not isinstance(request, NOT_LEDGER),
        )
        return Effect(self.member_of(request) or "", points, answer)

    def _apply_earning(
        self, request: Enroll | Earn | Refund | Adjust, tenant: TenantSpec, now: datetime, today: date
    ) -> tuple[MemberModel, int, dict[str, Any]]:
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
            was_frozen = member.frozen
            withhold = self._past_velocity(tenant, member, now, earned)
            self.withheld_earns += withhold
            self.frozen_by_velocity += member.frozen and not was_frozen
            if withhold:
                points, settled = self._withhold(member, earned), 0
            else:
                points, settled = self._credit(member, earned, lot)
            self.orders[(request.tenant_id, request.order_id)] = OrderModel(
                request.member_id,
                Decimal(request.amount).quantize(CENT),
                earned,
                lot if pending_until is not None and points and not withhold else None,
                today,
            )
            answer = {"points_earned": earned, "points_credited": points, "debt_settled": settled}
            if tenant.ladder is not None:
                _add_figures(member.tier, tenant.ladder, today, today, Decimal(request.amount), 1, earned)
                answer["tier_change"] = self._raise_after_earn(tenant.ladder, member.tier, today)
                self.raised_by_earns += answer["tier_change"] is not None
        elif isinstance(request, Refund):
            order = self.orders[(request.tenant_id, request.order_id)]
            member = self.members[(request.tenant_id, order.member_id)]
            refunded_after = order.refunded + Decimal(request.amount)
            due = Decimal(order.points_earned) * refunded_after / order.amount
            clawback = max(0, int(due.to_integral_value(ROUND_FLOOR)) - order.clawed)
            taken, incurred, _ = self._debit(member, clawback, today, prefer=order.pending_lot, withheld=True)
            if tenant.ladder is not None:
                fully = refunded_after >= order.amount
                _add_figures(
                    member.tier,
                    tenant.ladder,
                    order.bought_on,
                    today,
                    -Decimal(request.amount),
                    -int(fully),
                    -clawback,
                )
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
            if request.points > 0 and member.frozen:
                points = self._withhold(member, request.points)
            elif request.points > 0:
                points, _ = self._credit(member, request.points, (None, expires_on))
            else:
                taken, incurred, _ = self._debit(member, -request.points, today)
                assert incurred == 0, "a deduction never creates debt"
                points = -taken
            answer = {"points": request.points}
        return member, points, answer

    def _apply_redemption(
        self, request: Redeem | CancelRedemption | Fulfil, tenant: TenantSpec, now: datetime, today: date
    ) -> tuple[MemberModel, int, dict[str, Any]]:
        member = self.members[(request.tenant_id, request.member_id)]
        where = (request.tenant_id, request.redemption_id)
        if isinstance(request, Redeem):
            reward = tenant.reward(request.reward_id)
            assert reward is not None
            cost = reward.points_cost * request.quantity
            taken, _, drawn = self._debit(member, cost, today)
            member.reward_counts[request.reward_id] = (
                member.reward_counts.get(request.reward_id, 0) + request.quantity
            )
            stocked = (request.tenant_id, request.reward_id) in self.stock
            if stocked:
                self.stock[(request.tenant_id, request.reward_id)] -= request.quantity
            self.redeemed[(request.tenant_id, request.reward_id)] += request.quantity
            self.redemptions[where] = RedemptionModel(
                request.member_id, request.reward_id, request.quantity, cost, drawn, stocked
            )
            answer = {"points": cost, "quantity": request.quantity, "status": "requested"}
            return member, -taken, answer
        redemption = self.redemptions[where]
        if isinstance(request, Fulfil):
            redemption.status = "fulfilled"
            return member, 0, {"status": "fulfilled", "points": redemption.points}
        self._restore(member, redemption.lots, today)
        member.reward_counts[redemption.reward_id] -= redemption.quantity
        if redemption.stock_taken and (request.tenant_id, redemption.reward_id) in self.stock:
            self.stock[(request.tenant_id, redemption.reward_id)] += redemption.quantity
            self.redeemed[(request.tenant_id, redemption.reward_id)] -= redemption.quantity
        redemption.status = "cancelled"
        answer = {"status": "cancelled", "points": redemption.points, "points_returned": redemption.points}
        return member, redemption.points, answer

    def _apply_hold(
        self, request: Reserve | Capture | Release, now: datetime, today: date
    ) -> tuple[MemberModel, int, dict[str, Any]]:
        where = (request.tenant_id, request.hold_id)
        if isinstance(request, Reserve):
            member = self.members[(request.tenant_id, request.member_id)]
            _, _, drawn = self._debit(member, request.points, today)
            member.held += request.points
            member.had_holds = True
            expires_at = now + timedelta(seconds=request.ttl_seconds)
            self.holds[where] = HoldModel(
                request.member_id, request.points, drawn, expires_at, request.order_id
            )
            return member, 0, {"points": request.points, "status": "held", "order_id": request.order_id}
        hold = self.holds[where]
        member = self.members[(request.tenant_id, hold.member_id)]
        member.held -= hold.points
        if isinstance(request, Capture):
            hold.status, hold.order_id = "captured", hold.order_id or request.order_id
            spent = hold.points if request.points is None else request.points
            if spent < hold.points:  # the rest goes back to its lots first, an entry of its own
                hold.lots, rest = _split_lots(hold.lots, spent)
                self._restore(member, rest, today)
                member.entries += 1
            hold.captured = spent
            answer = {"points": hold.points, "status": "captured", "order_id": hold.order_id}
            answer["captured"] = spent
            return member, -spent, answer
        self._restore(member, hold.lots, today)
        hold.status = "released"
        return member, 0, {"points": hold.points, "status": "released"}

    def _apply_hold_refund(self, request: HoldRefund, today: date) -> tuple[MemberModel, int, dict[str, Any]]:
        """Points back in the lots the capture spent, the last spent first, with their dates."""
        hold = self.holds[(request.tenant_id, request.hold_id)]
        member = self.members[(request.tenant_id, hold.member_id)]
        returned, hold.lots = _split_lots(hold.lots, request.points, newest_first=True)
        self._restore(member, returned, today)
        hold.refunded += request.points
        answer = {"points": request.points, "captured": hold.captured, "refunded": hold.refunded}
        return member, request.points, answer

    def _apply_coupon(
        self, request: BuyCoupon | UseCoupon, tenant: TenantSpec, now: datetime, today: date
    ) -> tuple[MemberModel, int, dict[str, Any]]:
        if isinstance(request, BuyCoupon):
            member = self.members[(request.tenant_id, request.member_id)]
            template = tenant.coupon(request.template_id)
            assert template is not None
            assert template.points_cost is not None
            taken, _, _ = self._debit(member, template.points_cost, today)
            code = coupon_code(request.tenant_id, request.issue_id)
            valid_until = now + timedelta(days=template.valid_days)
            self.coupons[(request.tenant_id, code)] = CouponModel(
                request.member_id, template, valid_until, template.points_cost
            )
            answer = {"code": code, "points_paid": template.points_cost, "status": "issued"}
            return member, -taken, answer
        coupon = self.coupons[(request.tenant_id, request.code)]
        coupon.status, coupon.order_id = "used", request.order_id
        coupon.discount = coupon.template.discount(Decimal(request.amount))
        answer = {
            "valid": True,
            "order_id": request.order_id,
            "discount": {"amount": f"{coupon.discount:.2f}"},
        }
        return self.members[(request.tenant_id, coupon.member_id)], 0, answer

    def _apply_draw(
        self, request: Draw, tenant: TenantSpec, now: datetime, today: date
    ) -> tuple[MemberModel, int, dict[str, Any]]:
        lottery = tenant.lottery
        assert lottery is not None
        member = self.members[(request.tenant_id, request.member_id)]
        taken, _, _ = self._debit(member, lottery.points_cost, today)
        rolled = draw_source(request.tenant_id, request.draw_id).randrange(lottery.total_weight)
        edge, drawn = 0, None
        for prize in lottery.prizes:
            edge += prize.weight
            if rolled < edge:
                drawn = prize
                break
        won = drawn
        where = (request.tenant_id, lottery.lottery_id, drawn.prize_id) if drawn else None
        if drawn is not None and drawn.stock is not None and where is not None and self.prizes[where] <= 0:
            won = next(
                (prize for prize in lottery.prizes if prize.prize_id == lottery.fallback_prize_id), None
            )
        if won is not None:
            prize = (request.tenant_id, lottery.lottery_id, won.prize_id)
            self.wins[prize] = self.wins.get(prize, 0) + 1
            if won.stock is not None:
                self.prizes[prize] -= 1
        count = (request.lottery_id, today)
        member.draw_counts[count] = member.draw_counts.get(count, 0) + 1
        answer = {
            "prize_id": won.prize_id if won else None,
            "drawn_prize_id": drawn.prize_id if drawn else None,
            "fell_back": drawn is not None and won is not drawn,
            "roll": rolled,
            "total_weight": lottery.total_weight,
            "points": lottery.points_cost,
        }
        return member, -taken, answer

    def release_lapsed(self, tenant_id: str, hold_id: str, now: datetime) -> Effect:
        """A lapsed hold released by a spend, a capture or the sweep: as an explicit release."""
        return self.apply(Release(tenant_id, hold_id), now)

    def expire(self, tenant_id: str, member_id: str, now: datetime) -> Effect:
        """The expiry run on one member: every lot whose last day is over goes (pending ones too)."""
        member = self.members[(tenant_id, member_id)]
        today = self.today(tenant_id, now)
        due = [key for key in member.lots if key[1] is not None and key[1] < today]
        points = sum(member.lots.pop(key) for key in due)
        member.entries += 1
        member.last_posted = now
        answer = {"points_expired": points, "balance": member.balance(today)}
        request = Expire(tenant_id, member_id, today)
        self.applied[(tenant_id, EXPIRE, request.natural_id)] = Applied(request, 200, answer)
        return Effect(member_id, -points, answer)

    def review(self, tenant_id: str, member_id: str) -> tuple[int, int]:
        """The tiers run's evaluation of a member on its review day; (level before, after)."""
        ladder = self.tenants[tenant_id].ladder
        assert ladder is not None
        status = self.members[(tenant_id, member_id)].tier
        day = status.review_on
        assert day is not None
        level = status.level
        reached = _qualified_level(ladder, _window_figures(status, ladder, day))
        if reached >= level:
            if reached > level:
                _move(ladder, status, day, reached)
            else:
                status.review_on, status.grace_until = _next_review(ladder, day), None
        elif ladder.grace_days and status.grace_until is None:
            status.review_on = status.grace_until = day + timedelta(days=ladder.grace_days)
        else:
            _move(ladder, status, day, max(reached, level - ladder.max_levels_down))
        return level, status.level

    @staticmethod
    def _raise_after_earn(ladder: LadderSpec, status: TierModel, today: date) -> dict[str, str] | None:
        reached = _qualified_level(ladder, _window_figures(status, ladder, today))
        if reached <= status.level:
            return None
        before = ladder.tiers[status.level].tier_id
        _move(ladder, status, today, reached)
        return {"from_tier": before, "to_tier": ladder.tiers[reached].tier_id, "reason": "qualified"}

    @staticmethod
    def _past_velocity(tenant: TenantSpec, member: MemberModel, now: datetime, points: int) -> bool:
        """Whether this purchase, with the member's earlier ones in each rule's window, breaks a
        velocity rule (then its points are withheld; a `freeze` rule freezes the member). A
        frozen member's purchase is withheld anyway. Only purchases of points count."""
        if not tenant.velocity or points <= 0:
            return member.frozen

        def since(minutes: int) -> int:  # the product counts in whole epoch seconds
            return int((now - timedelta(minutes=minutes)).timestamp())

        longest = max(rule.window_minutes for rule in tenant.velocity)
        member.recent = [(at, p) for at, p in member.recent if at > since(longest)]
        member.recent.append((int(now.timestamp()), points))
        broken = []
        for rule in tenant.velocity:
            inside = [p for at, p in member.recent if at > since(rule.window_minutes)]
            if (rule.max_earns is not None and len(inside) > rule.max_earns) or (
                rule.max_points is not None and sum(inside) > rule.max_points
            ):
                broken.append(rule)
        withheld = member.frozen or bool(broken)
        member.frozen = member.frozen or any(rule.action == "freeze" for rule in broken)
        return withheld

    @staticmethod
    def _withhold(member: MemberModel, points: int) -> int:
        """Recorded, but withheld: no lot, no debt settled; the entry carries all of it."""
        member.withheld += points
        return points

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
    def _mature(member: MemberModel, today: date) -> None:
        """Pending lots whose day has come join the available lot of their expiry."""
        for (on, expires_on), left in list(member.lots.items()):
            if on is not None and on <= today:
                del member.lots[(on, expires_on)]
                member.lots[(None, expires_on)] = member.lots.get((None, expires_on), 0) + left

    @classmethod
    def _debit(
        cls,
        member: MemberModel,
        points: int,
        today: date,
        prefer: LotKey | None = None,
        withheld: bool = False,
    ) -> tuple[int, int, dict[LotKey, int]]:
        """Take `points`: from the `prefer`red pending lot while it is pending, then (a refund's
        clawback, `withheld`) from withheld points, then from available points oldest expiry first
        (never-expiring last); what is missing becomes debt. Returns (taken, debt incurred, points
        taken per lot)."""
        cls._mature(member, today)
        wanted, taken = points, 0
        drawn: dict[LotKey, int] = {}
        if prefer is not None and prefer in member.lots:
            take = min(wanted, member.lots[prefer])
            member.lots[prefer] -= take
            wanted, taken = wanted - take, take
            drawn[prefer] = take
        if withheld:
            take = min(wanted, member.withheld)
            member.withheld -= take
            wanted, taken = wanted - take, taken + take
        spendable = sorted(
            (key for key in member.lots if key[0] is None),
            key=lambda key: (key[1] is None, key[1] or date.min),
        )
        for key in spendable:
            take = min(wanted, member.lots[key])
            member.lots[key] -= take
            wanted, taken = wanted - take, taken + take
            if take:
                drawn[key] = drawn.get(key, 0) + take
        member.lots = {key: left for key, left in member.lots.items() if left}
        member.debt += wanted
        return taken, wanted, {key: points for key, points in drawn.items() if points}

    @classmethod
    def _restore(cls, member: MemberModel, lots: dict[LotKey, int], today: date) -> None:
        """Points given back into the very lots they came from (their dates, past or not)."""
        cls._mature(member, today)
        for key, points in lots.items():
            member.lots[key] = member.lots.get(key, 0) + points


def _split_lots(
    lots: dict[LotKey, int], points: int, *, newest_first: bool = False
) -> tuple[dict[LotKey, int], dict[LotKey, int]]:
    """`points` taken from `lots` oldest expiry first (never-expiring last; a partial capture) or
    the other way round (a refund gives back the last spent first), and the rest."""
    taken: dict[LotKey, int] = {}
    rest: dict[LotKey, int] = {}
    wanted = points
    for key in sorted(lots, key=lambda key: (key[1] or date.max, key[0] or date.min), reverse=newest_first):
        part = min(wanted, lots[key])
        wanted -= part
        if part:
            taken[key] = part
        if lots[key] - part:
            rest[key] = lots[key] - part
    return taken, rest


# --- tiers ------------------------------------------------------------------------------------------
def _month(day: date) -> str:
    return f"{day:%Y-%m}"


def _window_start(day: date, ladder: LadderSpec) -> str:
    index = day.year * 12 + day.month - 1 - (ladder.window_months - 1)
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _add_figures(
    status: TierModel, ladder: LadderSpec, day: date, today: date, spend: Decimal, purchases: int, points: int
) -> None:
    """Figures added to the month of `day`; months no window ending today or later can reach are
    dropped first (so a review made late counts only the months still kept, as the product does)."""
    month, oldest = _month(day), _window_start(today, ladder)
    status.buckets = {kept: figures for kept, figures in status.buckets.items() if kept >= oldest}
    if month < oldest:
        return
    old = status.buckets.get(month, (Decimal("0.00"), 0, 0))
    status.buckets[month] = (
        max(old[0] + spend, Decimal(0)),
        max(old[1] + purchases, 0),
        max(old[2] + points, 0),
    )


def _window_figures(status: TierModel, ladder: LadderSpec, day: date) -> Decimal:
    first, last = _window_start(day, ladder), _month(day)
    return sum(
        (spend for month, (spend, _, _) in status.buckets.items() if first <= month <= last), Decimal(0)
    )


def _qualified_level(ladder: LadderSpec, spend: Decimal) -> int:
    return max(
        (
            level
            for level, tier in enumerate(ladder.tiers)
            if tier.spend is not None and spend >= Decimal(tier.spend)
        ),
        default=0,
    )


def _next_review(ladder: LadderSpec, after: date) -> date:
    month, day = (int(part) for part in ladder.evaluation_date.split("-"))
    for year in (after.year, after.year + 1):
        candidate = date(year, month, min(day, calendar.monthrange(year, month)[1]))
        if candidate > after:
            return candidate
    raise AssertionError("unreachable")


def _move(ladder: LadderSpec, status: TierModel, day: date, level: int) -> None:
    status.level, status.since, status.grace_until = level, day, None
    status.review_on = _next_review(ladder, day) if level else None


def _by_expiry(lots: dict[LotKey, int]) -> dict[date | None, int]:
    merged: dict[date | None, int] = {}
    for (_, expires_on), left in lots.items():
        merged[expires_on] = merged.get(expires_on, 0) + left
    return merged


def expiry_date(policy: dict[str, Any], now: datetime, timezone: str) -> date | None:
    """The last spendable day of points earned at `now`, program-local, per the expiry policy."""
    kind = policy.get("policy", "rolling")
    if kind == "never":
        return None
    today = now.astimezone(ZoneInfo(timezone)).date()
    if kind == "days":
        return today + timedelta(days=policy.get("days", 365))
    if kind == "fixed":
        return date(today.year + policy.get("years_after", 1), policy.get("month", 12), policy.get("day", 31))
    index = today.month - 1 + policy.get("months", 24)
    year, month = today.year + index // 12, index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    if policy.get("end_of_month", True):
        return date(year, month, last)
    return date(year, month, min(today.day, last))


def _other_order(held_for: str | None, named: str | None) -> bool:
    """A capture naming another order than the one its hold was made for (refused)."""
    return held_for is not None and named is not None and named != held_for
