"""Paid memberships in the simulation (issue 18): a cohort of echo's members buys them, extends
them, replays and cancels them, while the clock runs across their ends and the tiers run lapses
them.

Owns the membership model and the membership steps. The cohort (`vip1`..) is enrolled here and
earns nothing, so its earned tier is the base tier and the model of its tier is exact: a
membership is a floor, the plan's tier from `starts_on` up to `ends_on` exclusive (program-local
days); a purchase with one in force starts on the last one's end; a cancellation, or the tiers
run on the day one ended, takes the member back to the best membership still in force (else the
base tier). The model mirrors the member's tier status (tier, review day, grace) in the ledger
model, so the observer's check of every touched member compares it with the table; each step
also reads the member view (tier and membership in force) and the member's memberships (each id
once, each with its status today). Memberships move no points: the ledger invariants hold as
ever. Every choice here comes from its own RNG (seeded from the run's seed), and the wire draws
its faults from it during these steps, so the main workload's sequence stays the same.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from loyalty.errors import LoyaltyError
from loyalty.models.memberships import MembershipRequest
from loyalty.operations import members, memberships
from loyalty.operations.context import Outcome
from tests.simulation.observe import (
    ANSWERS_TRUE,
    AT_MOST_ONCE,
    CAUSED_FAILURES,
    ONLY_ACCEPTABLE_COMMITS,
    violation,
)
from tests.simulation.oracle import LedgerModel, TierModel, _next_review
from tests.simulation.requests import Enroll
from tests.simulation.specs import TenantSpec

if TYPE_CHECKING:
    from tests.simulation.simulator import Simulator

TENANT = "echo"  # the tenant with the ladder and the plans
COHORT = 12  # members who buy memberships (and earn nothing)
RATE = 0.035  # a membership step after about one operation in thirty
MEMBERSHIP_LAPSES = "a member holds a membership's tier only while it is in force (till the tiers run)"
MEMBERSHIP_EXTENDS = "a membership bought while one is in force starts on the last one's end"
MEMBERSHIP_ONCE = "each membership id is bought at most once, and listed once"


@dataclass(frozen=True)
class BuyMembership:
    tenant_id: str
    member_id: str
    membership_id: str
    plan_id: str
    order_id: str
    amount: str
    currency: str

    def describe(self) -> str:
        return (
            f"buy membership {self.tenant_id}/{self.membership_id} member {self.member_id} plan "
            f"{self.plan_id} order {self.order_id} {self.amount} {self.currency}"
        )


@dataclass(frozen=True)
class CancelMembership:
    tenant_id: str
    member_id: str
    membership_id: str

    def describe(self) -> str:
        return f"cancel membership {self.tenant_id}/{self.membership_id} member {self.member_id}"


MembershipCall = BuyMembership | CancelMembership


@dataclass
class Period:
    request: BuyMembership
    tier_id: str
    level: int
    starts_on: date
    ends_on: date
    answer: dict[str, Any]  # what the purchase answered (and every replay answers)
    cancelled: bool = False
    live: bool = True  # on the member's tier status: neither cancelled nor lapsed by the tiers run

    def status(self, today: date) -> str:
        if self.cancelled:
            return "cancelled"
        if self.ends_on <= today:
            return "ended"
        return "active" if self.starts_on <= today else "scheduled"


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


class MembershipModel:
    """What a correct ledger holds of the cohort's memberships, and the tier they give."""

    def __init__(self, model: LedgerModel, tenant: TenantSpec) -> None:
        assert tenant.ladder is not None
        self.model, self.tenant, self.ladder = model, tenant, tenant.ladder
        self.levels = {tier.tier_id: level for level, tier in enumerate(self.ladder.tiers)}
        self.periods: dict[str, list[Period]] = {}  # member -> memberships, in the order bought
        self.bought: dict[str, Period] = {}  # membership id -> its membership
        self.lapsed = 0  # memberships the tiers run took back

    def _status(self, member_id: str) -> TierModel:
        return self.model.members[(self.tenant.tenant_id, member_id)].tier

    def live(self, member_id: str) -> list[Period]:
        return [period for period in self.periods.get(member_id, []) if period.live]

    def floor(self, member_id: str, day: date) -> int:
        return max((p.level for p in self.live(member_id) if p.starts_on <= day < p.ends_on), default=0)

    def in_force(self, member_id: str, day: date) -> Period | None:
        return next((p for p in self.live(member_id) if p.starts_on <= day < p.ends_on), None)

    def paid_until(self, member_id: str, day: date) -> date | None:
        return max((p.ends_on for p in self.live(member_id) if p.ends_on > day), default=None)

    def tier_id(self, member_id: str) -> str:
        return self.ladder.tiers[self._status(member_id).level].tier_id

    def _review_after(self, member_id: str, day: date, level: int) -> date | None:
        live = self.live(member_id)
        if any(p.ends_on <= day for p in live):  # ended, to lapse: the review still to come, or tomorrow
            pending = self._status(member_id).review_on
            return pending if pending and pending <= day else day + timedelta(days=1)
        days = [m for p in live for m in (p.starts_on, p.ends_on) if m > day]
        if level == 0 and not days:
            return None
        review = _next_review(self.ladder, day)
        return min((m for m in days if m < review), default=review)

    def _move(self, member_id: str, day: date, level: int) -> None:
        status = self._status(member_id)
        status.level, status.since, status.grace_until = level, day, None
        status.review_on = self._review_after(member_id, day, level)

    # --- what a correct ledger answers -----------------------------------------------------------
    def decide(self, request: MembershipCall, today: date) -> tuple[str, str | None]:
        """(accept | replay | refuse, the problem of a refusal)."""
        known = self.bought.get(request.membership_id)
        if isinstance(request, CancelMembership):
            if known is None or known.request.member_id != request.member_id:
                return "refuse", "membership-not-found"
            if known.cancelled:
                return "replay", None
            if known.live and known.ends_on > today:
                return "accept", None
            return "refuse", "membership-ended"
        if known is not None:
            same = (known.request.plan_id, known.request.order_id, known.request.currency) == (
                request.plan_id,
                request.order_id,
                request.currency,
            ) and Decimal(known.request.amount) == Decimal(request.amount)
            return ("replay", None) if same else ("refuse", "idempotency-conflict")
        if self.model.member(request.tenant_id, request.member_id) is None:
            return "refuse", "member-not-found"
        plan = self.tenant.plan(request.plan_id)
        if plan is None:
            return "refuse", "unknown-plan"
        if (Decimal(request.amount), request.currency) != (Decimal(plan.price), self.tenant.currency):
            return "refuse", "price-mismatch"
        return "accept", None

    def expected(self, request: MembershipCall) -> dict[str, Any]:
        period = self.bought[request.membership_id]
        if isinstance(request, BuyMembership):
            return period.answer
        return {**period.answer, "status": "cancelled"}

    # --- what committed --------------------------------------------------------------------------
    def buy(self, request: BuyMembership, today: date) -> None:
        plan = self.tenant.plan(request.plan_id)
        assert plan is not None
        member_id = request.member_id
        starts_on = self.paid_until(member_id, today) or today
        period = Period(
            request,
            plan.tier_id,
            self.levels[plan.tier_id],
            starts_on,
            add_months(starts_on, plan.months),
            {},
        )
        period.answer = {
            "membership_id": request.membership_id,
            "plan_id": plan.plan_id,
            "tier_id": plan.tier_id,
            "starts_on": starts_on.isoformat(),
            "ends_on": period.ends_on.isoformat(),
            "order_id": request.order_id,
            "amount": f"{Decimal(request.amount):.2f}",
            "currency": request.currency,
            "status": period.status(today),
        }
        self.periods.setdefault(member_id, []).append(period)
        self.bought[request.membership_id] = period
        status = self._status(member_id)
        target = self.floor(member_id, today)
        if target > status.level:
            self._move(member_id, today, target)
        else:
            status.review_on = self._review_after(member_id, today, status.level)

    def cancel(self, request: CancelMembership, today: date) -> None:
        period = self.bought[request.membership_id]
        period.cancelled, period.live = True, False
        self._fall_back(request.member_id, today, [period])

    def _fall_back(self, member_id: str, day: date, gone: list[Period]) -> None:
        status = self._status(member_id)
        level, held_by = status.level, max(period.level for period in gone)
        floor = self.floor(member_id, day)
        target = max(level, floor) if level > held_by else floor  # the cohort earns nothing: base
        if target != level:
            self._move(member_id, day, target)
        else:
            status.review_on = self._review_after(member_id, day, level)

    def holds(self, tenant_id: str, member_id: str) -> bool:
        return tenant_id == self.tenant.tenant_id and member_id in self.periods

    def review(self, member_id: str) -> tuple[int, int]:
        """The tiers run on the member's review day: memberships ended by then lapse, else the
        ordinary evaluation (figures of nothing: the floor decides); (level before, after)."""
        status = self._status(member_id)
        day, before = status.review_on, status.level
        assert day is not None
        ended = [period for period in self.live(member_id) if period.ends_on <= day]
        if ended:
            for period in ended:
                period.live = False
            self.lapsed += len(ended)
            self._fall_back(member_id, day, ended)
            return before, status.level
        reached = self.floor(member_id, day)
        if reached > before:
            self._move(member_id, day, reached)
        elif reached == before:
            status.review_on, status.grace_until = self._review_after(member_id, day, before), None
        elif self.ladder.grace_days and status.grace_until is None:
            status.review_on = status.grace_until = day + timedelta(days=self.ladder.grace_days)
        else:
            self._move(member_id, day, max(reached, before - self.ladder.max_levels_down))
        return before, status.level

    def _show(self, member_id: str) -> list[tuple[object, ...]]:
        return [
            (p.request.membership_id, p.tier_id, str(p.starts_on), str(p.ends_on), p.cancelled, p.live)
            for p in self.periods.get(member_id, [])
        ]

    def check_after_tiers_run(self, today: date) -> None:
        """After a tiers run that finished, each member of the cohort holds exactly the best
        membership in force (its earned tier is the base): none holds a tier after its end."""
        for member_id in self.periods:
            level = self._status(member_id).level
            if level != self.floor(member_id, today):
                raise violation(
                    MEMBERSHIP_LAPSES,
                    f"{self.tenant.tenant_id}/{member_id} on {today}: tier level {level}, memberships in "
                    f"force give {self.floor(member_id, today)}; review on "
                    f"{self._status(member_id).review_on}, memberships (id, tier, starts, ends, "
                    f"cancelled, live): {self._show(member_id)}",
                )

    def check_none_left_unlapsed(self, today: date) -> None:
        """An ended membership still on a member's status is lapsed by the tiers run on the
        member's next review: every such member has one, by tomorrow (a cancellation that drops the
        member to the base tier once left the membership that ended before it with none)."""
        for member_id in self.periods:
            ended = [p.request.membership_id for p in self.live(member_id) if p.ends_on <= today]
            review_on = self._status(member_id).review_on
            if ended and (review_on is None or review_on > today + timedelta(days=1)):
                raise violation(
                    MEMBERSHIP_LAPSES,
                    f"{self.tenant.tenant_id}/{member_id} on {today}: ended memberships {ended} are "
                    f"still on the status, with review on {review_on}: {self._show(member_id)}",
                )


class MembershipSteps:
    """The membership steps the simulator interleaves with its workload."""

    def __init__(self, simulator: Simulator, tenant: TenantSpec) -> None:
        self.sim = simulator
        self.rng = random.Random(f"{simulator.config.seed}/memberships")  # not a secret
        self.model = MembershipModel(simulator.model, tenant)
        self.tenant = tenant
        self.cohort: list[str] = []
        self.sent: list[BuyMembership] = []
        self.in_doubt: list[MembershipCall] = []
        self.follow_ups: list[MembershipCall] = []
        self.bought = 0

    def due(self) -> bool:
        return self.rng.random() < RATE

    def operate(self) -> str:
        wire = self.sim.wire
        main_rng, wire.rng = wire.rng, self.rng  # faults here come from this step's own RNG
        try:
            return self._operate()
        finally:
            wire.rng = main_rng

    def _operate(self) -> str:
        rng, counts = self.rng, self.sim.report.counts
        if len(self.cohort) < COHORT and (len(self.cohort) < 3 or rng.random() < 0.15):
            return self._enroll()
        if self.follow_ups:
            return self._call(self.follow_ups.pop(0), "membership soon after")
        roll = rng.random()
        if self.in_doubt and roll < 0.1:
            return self._call(self.in_doubt.pop(0), "membership retry")
        if self.sent and roll < 0.25:
            request = rng.choice(self.sent[-30:])
            if rng.random() < 0.25:
                counts["membership conflicting replays sent"] += 1
                request = replace(request, order_id=request.order_id + "x")
            return self._call(request, "membership replay")
        if self.sent and roll < 0.5:
            return self._call(self._cancel(), "membership cancel")
        return self._call(self._buy(), "membership buy")

    def _enroll(self) -> str:
        member = f"vip{len(self.cohort) + 1}"
        self.cohort.append(member)
        self.model.periods[member] = []
        request = Enroll(self.tenant.tenant_id, member, None)
        self.sim.wire.enabled = False  # the cohort exists: its enrolment is not what is tested here
        result = self.sim._http(request, "membership cohort")
        for sent in (self.sim.sent_http, self.sim.accepted):  # not for the workload's replays
            if sent and sent[-1] is request:
                sent.pop()
        return result

    def _buy(self) -> BuyMembership:
        rng, tenant = self.rng, self.tenant
        member = rng.choice(self.cohort)
        plan = rng.choice(tenant.plans)
        plan_id, amount, currency = plan.plan_id, plan.price, tenant.currency
        roll = rng.random()
        if roll < 0.04:
            plan_id = "ghost-plan"
        elif roll < 0.1:
            amount = f"{Decimal(plan.price) - Decimal('0.01'):.2f}"  # a wrong price
        elif roll < 0.12:
            currency = "XTS"
        elif roll < 0.2:
            amount = amount.rstrip("0").rstrip(".")  # "9.90" as "9.9": the same price
        self.bought += 1
        request = BuyMembership(
            tenant.tenant_id, member, f"ms{self.bought}", plan_id, f"mo{self.bought}", amount, currency
        )
        self.sent.append(request)
        if rng.random() < 0.1:  # the shop withdraws the one in force soon after the renewal
            today = self.sim.model.today(tenant.tenant_id, self.sim.clock())
            current = self.model.in_force(member, today)
            if current is not None:
                self.follow_ups.append(
                    CancelMembership(tenant.tenant_id, member, current.request.membership_id)
                )
        return request

    def _cancel(self) -> CancelMembership:
        rng, tenant_id = self.rng, self.tenant.tenant_id
        if rng.random() < 0.05:
            return CancelMembership(tenant_id, rng.choice(self.cohort), f"ms{rng.randint(1, 10**6)}x")
        chosen = rng.choice(self.sent[-20:] if rng.random() < 0.7 else self.sent)  # old: often ended
        member = chosen.member_id if rng.random() > 0.05 else rng.choice(self.cohort)
        return CancelMembership(tenant_id, member, chosen.membership_id)

    def _call(self, request: MembershipCall, why: str) -> str:
        sim, tenant_id, member_id = self.sim, request.tenant_id, request.member_id
        sim._describing = f"step {sim.step} [{why}] {request.describe()}"
        now = sim.clock()
        today = sim.model.today(tenant_id, now)
        verdict, problem = self.model.decide(request, today)
        outcome: Outcome | None = None
        refused: LoyaltyError | None = None
        lost: Exception | None = None
        sim.wire.label = "http"
        try:
            if isinstance(request, BuyMembership):
                body = MembershipRequest(
                    membership_id=request.membership_id,
                    plan_id=request.plan_id,
                    order_id=request.order_id,
                    amount=request.amount,  # type: ignore[arg-type]  # validated from the shop's string
                    currency=request.currency,
                )
                outcome = memberships.buy_membership(sim.context, tenant_id, member_id, body)
            else:
                outcome = memberships.cancel_membership(
                    sim.context, tenant_id, member_id, request.membership_id
                )
        except LoyaltyError as error:
            refused = error
        except Exception as error:  # throttled, conflicts outlived retries, an answer lost
            lost = error
        finally:
            sim.wire.label = None
        committed = self._apply(request, verdict, today)
        kind = "buy" if isinstance(request, BuyMembership) else "cancel"
        if outcome is not None:
            self._check_answer(request, verdict, outcome, committed)
            result = f"{outcome.status}{' replay' if verdict == 'replay' else ''}"
        elif refused is not None:
            if committed or verdict != "refuse" or refused.problem != problem:
                raise violation(
                    ANSWERS_TRUE,
                    f"refused with {refused.problem} ({refused.detail}), committed {committed}; "
                    f"a correct ledger answers {verdict} {problem or ''}",
                )
            result = f"{refused.status} {refused.problem}"
        else:
            if not sim.wire.faults:
                raise violation(CAUSED_FAILURES, f"the call failed with {lost!r} and no fault was injected")
            self.in_doubt.append(request)
            result = f"failed ({type(lost).__name__}), committed: {committed}"
        sim.report.counts[f"membership {kind} {result.split(' (')[0].split(', ')[0]}"] += 1
        if member_id in self.model.periods:
            sim._observe(tenant_id, {member_id})
            self._check_views(member_id, today)
        return result

    def _apply(self, request: MembershipCall, verdict: str, today: date) -> bool:
        commits = list(self.sim.wire.commits)
        if not commits:
            return False
        mine = (request.tenant_id, "tier", request.member_id)
        if len(commits) > 1 or (commits[0].tenant_id, commits[0].kind, commits[0].natural_id) != mine:
            raise violation(AT_MOST_ONCE, f"{request.describe()} committed {commits}")
        if verdict != "accept":
            raise violation(
                ONLY_ACCEPTABLE_COMMITS, f"{request.describe()} committed; a correct ledger answers {verdict}"
            )
        if isinstance(request, BuyMembership):
            last_end = self.model.paid_until(request.member_id, today)
            self.model.buy(request, today)
            period = self.model.bought[request.membership_id]
            if period.starts_on != (last_end or today):
                raise violation(MEMBERSHIP_EXTENDS, f"{request.describe()} starts on {period.starts_on}")
            self.sim.report.counts[
                "membership extends one in force" if last_end else "membership starts"
            ] += 1
        else:
            self.model.cancel(request, today)
        return True

    def _check_answer(self, request: MembershipCall, verdict: str, outcome: Outcome, committed: bool) -> None:
        if verdict == "replay":
            if committed or not outcome.replayed or outcome.status != 200:
                raise violation(
                    ANSWERS_TRUE,
                    f"answered {outcome.status} (replayed {outcome.replayed}, committed {committed}); "
                    "a correct ledger answers 200 as a replay",
                )
        else:
            status = 201 if isinstance(request, BuyMembership) else 200
            if verdict != "accept" or not committed or outcome.replayed or outcome.status != status:
                raise violation(
                    ANSWERS_TRUE,
                    f"answered {outcome.status} (replayed {outcome.replayed}, committed {committed}); "
                    f"a correct ledger answers {verdict}",
                )
        expected = self.model.expected(request)
        if outcome.body != expected:
            raise violation(ANSWERS_TRUE, f"answered {outcome.body}; a correct ledger answers {expected}")

    def _check_views(self, member_id: str, today: date) -> None:
        """The member view's tier and membership in force, and the member's memberships, as the
        model has them (read without faults: the reads are the check, not the test)."""
        sim, tenant_id = self.sim, self.tenant.tenant_id
        enabled, sim.wire.enabled = sim.wire.enabled, False
        try:
            view = members.read_member(sim.context, tenant_id, member_id).body["tier"]
            listed = memberships.list_memberships(sim.context, tenant_id, member_id).body["items"]
        finally:
            sim.wire.enabled = enabled
        period, until = self.model.in_force(member_id, today), self.model.paid_until(member_id, today)
        shown = view.get("membership") or {}
        expected_view = (
            self.model.tier_id(member_id),
            period.request.membership_id if period and until else None,
            until.isoformat() if period and until else None,
        )
        if (view["id"], shown.get("membership_id"), shown.get("until")) != expected_view:
            raise violation(
                MEMBERSHIP_LAPSES,
                f"{tenant_id}/{member_id} on {today}: the member view shows tier {view['id']} and "
                f"membership {shown or None}; the model (tier, membership, until) = {expected_view}",
            )
        ids = [item["membership_id"] for item in listed]
        modelled = {p.request.membership_id: p.status(today) for p in self.model.periods[member_id]}
        if (
            len(ids) != len(set(ids))
            or {item["membership_id"]: item["status"] for item in listed} != modelled
        ):
            raise violation(
                MEMBERSHIP_ONCE,
                f"{tenant_id}/{member_id} on {today}: listed "
                f"{[(item['membership_id'], item['status']) for item in listed]}; the model has {modelled}",
            )

    def retry(self) -> str:
        """After the run: the shop retries a membership call whose answer it never heard."""
        return self._call(self.in_doubt.pop(0), "membership retry after the run")

    def check_after_tiers_run(self, now: datetime) -> None:
        self.model.check_after_tiers_run(self.sim.model.today(self.tenant.tenant_id, now))

    def final_checks(self) -> int:
        today = self.sim.model.today(self.tenant.tenant_id, self.sim.clock())
        self.model.check_none_left_unlapsed(today)
        for member_id in self.cohort:
            self._check_views(member_id, today)
        return len(self.model.bought)
