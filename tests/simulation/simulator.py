"""The simulator: a seeded workload against the real ledger with faults, checked after every step.

Owns the execution of each step and the verdicts on what callers heard and what was committed.
One `random.Random(seed)` makes every choice (the operation, its tenant, member and amount, the
clock's advance, when a scheduled run comes, each fault, each delivery's batch and order), and the
product is driven on one thread with a fake clock and no sleeping, so a seed replays exactly: same
steps, same faults, same digest. The generated prefix does not depend on `operations`, so a
failure at step N replays with any `SIM_OPERATIONS` that reaches it. What is asked is
`workload.Workload`'s; coupon codes and lottery rolls come from factories seeded by the request's
own id (`model.coupon_code`, `model.draw_source`), so the model knows them without being told.

A step is one client operation (enrol, purchase over the operations layer as HTTP calls it, a
purchase dropped on the queue, refund, adjustment, redemption, its cancellation or fulfilment, a
checkout hold, its capture or release, a coupon bought with points or used, a lottery draw, a
replay, a conflicting replay, a retry of a call whose answer was lost), one delivery of a batch
from the simulated queue to the real EarnFunction, or one scheduled run when the clock has moved
past its time (the expiry run, the tiers run, the holds sweep; sometimes twice in a row, sometimes
cut short as a Lambda nearly out of time cuts it). After each step, every member it touched is
checked (`observe.LedgerObserver`) against the invariants and against the independent model
(`model.LedgerModel`), which learns what committed from the wire (`wire.Wire`'s commit journal),
not from what the caller heard; so are the stock of the rewards and prizes it touched and the
coupons it bought or used. After a scheduled run that finished, nothing it should have done may be
left: no points past their last day on a member not written to for two days, no member past its
review day, no open hold past its expiry. At the end, faults stop, lost calls are retried, the
queue is drained, each run runs once more, every message must be credited exactly once or
dead-lettered, and every member, reward, prize and coupon is re-read from scratch.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import time
import traceback
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from typing import Any

from loyalty.consumers.purchases import default_dead_letters
from loyalty.errors import LoyaltyError
from loyalty.models.api import AdjustmentRequest, EnrollRequest, PurchaseRequest, RefundRequest
from loyalty.models.program import Program
from loyalty.models.rewards import (
    CaptureRequest,
    CouponIssueRequest,
    CouponTemplate,
    CouponUseRequest,
    DrawRequest,
    HoldRefundRequest,
    HoldRequest,
    Lottery,
    RedemptionRequest,
    Reward,
)
from loyalty.observability import logger
from loyalty.operations import (
    adjustments,
    coupons,
    expiry,
    hold_refunds,
    holds,
    lotteries,
    members,
    purchases,
    redemptions,
    tiers,
)
from loyalty.operations.context import Context, Outcome, Principal, default_context
from loyalty.store.job_store import JobStore
from loyalty.store.keys import EXPIRY_SHARDS
from tests.simulation.memberships import MembershipSteps
from tests.simulation.observe import (
    ANSWERS_TRUE,
    AT_MOST_ONCE,
    CAUSED_FAILURES,
    COUNTS,
    DELIVERED_ONCE,
    DRAWS,
    EXPIRED_IN_TIME,
    HOLDS,
    HOLDS_LAPSE,
    ONLY_ACCEPTABLE_COMMITS,
    REVIEWED_IN_TIME,
    InvariantViolation,
    LedgerObserver,
    RawDynamoDB,
    violation,
)
from tests.simulation.oracle import ACCEPT, Decision, JobOutcome, LedgerModel
from tests.simulation.requests import (
    EXPIRE,
    RELEASE,
    SPENDS,
    TIER,
    Adjust,
    BuyCoupon,
    CancelRedemption,
    Capture,
    Draw,
    Earn,
    Enroll,
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
from tests.simulation.specs import coupon_code, draw_source
from tests.simulation.sqs import EarnLambda, Invocation, Message, SimulatedQueue, TimeoutPlan
from tests.simulation.wire import Commit, FaultRates, LambdaTimeout, Wire
from tests.simulation.workload import TENANTS, UNKNOWN_TENANT, WORKLOAD, Workload, describe
from tests.support.backends import Aws, aws_environment, reset_caches
from tests.support.clock import FakeClock

DEFAULT_SEED = 20261123
DEFAULT_OPERATIONS = 10_000
# Hours between two runs of each schedule (drawn anew each time: some days twice, some missed).
SCHEDULES = {"expiry": (6.0, 40.0), "tiers": (6.0, 40.0), "sweep": (2.0, 8.0)}
WRITTEN_LONG_AGO = timedelta(days=2)  # a member not written to since: indexed where a run finds it


def expiry_run(context: Context, jobs: JobStore, now: datetime, should_stop: Callable[[], bool]) -> Any:
    """The simulation's one call of the daily expiry run. It must stay on this thread, its work in
    a deterministic order: a run that fans out over shards runs them one after another here."""
    return expiry.run_expiry(context, jobs, now, should_stop=should_stop)


def tiers_run(context: Context, jobs: JobStore, now: datetime, should_stop: Callable[[], bool]) -> Any:
    """The simulation's one call of the daily tiers run (same constraints as `expiry_run`)."""
    return tiers.run_tiers(context, jobs, now, should_stop=should_stop)


@dataclass(frozen=True)
class SimConfig:
    seed: int = DEFAULT_SEED
    operations: int = DEFAULT_OPERATIONS
    faults: FaultRates = field(default_factory=FaultRates)
    lambda_timeout: float = 0.06  # per invocation
    duplicate_later: float = 0.05  # per acknowledged message: SQS delivers it again later
    duplicate_in_batch: float = 0.05  # per batch: the same message twice in one batch
    cut_short: float = 0.08  # per expiry or tiers run: it stops early (the Lambda nearly out of time)
    # A scheduled run makes dozens of calls: at a request's rates most runs would fail, and a run
    # that fails keeps no progress, so its backlog (and its odds of failing) would only grow.
    run_fault_scale: float = 0.25
    follow_up: float = 0.6  # a hold captured or released, a coupon bought used, soon after
    progress_every: int = 0  # print a progress line every N operations (the soak)
    # The table stream on, and at the end the reports invariant (tests/simulation/reports.py):
    # off by default, since DynamoDB Local slows every write of a table with a stream.
    reports: bool = False

    @classmethod
    def from_environment(cls, *, operations: int = DEFAULT_OPERATIONS, **overrides: Any) -> SimConfig:
        """`SIM_SEED` (an integer, or `random` for a fresh one) and `SIM_OPERATIONS` override defaults."""
        seed_text = os.environ.get("SIM_SEED", str(DEFAULT_SEED)).strip()
        seed = random.SystemRandom().randrange(2**32) if seed_text == "random" else int(seed_text)
        return cls(seed=seed, operations=int(os.environ.get("SIM_OPERATIONS", operations)), **overrides)


class StopAfter:
    """`should_stop` of a run cut short: true from its `calls`-th question on (never when None)."""

    def __init__(self, calls: int | None) -> None:
        self.calls, self.stopped = calls, False

    def __call__(self) -> bool:
        if self.calls is not None:
            self.calls -= 1
            self.stopped = self.stopped or self.calls < 0
        return self.stopped


class SimulationFailure(AssertionError):
    """An invariant failed: the message names it, the seed and the step, and how to replay."""

    def __init__(self, message: str, *, seed: int, step: int, invariant: str) -> None:
        super().__init__(message)
        self.seed, self.step, self.invariant = seed, step, invariant


@dataclass
class Report:
    seed: int
    operations: int
    steps: int = 0
    seconds: float = 0.0
    simulated_days: float = 0.0
    digest: str = ""
    counts: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        faults = ", ".join(f"{kind} {count}" for kind, count in sorted(self.faults.items()))
        counts = ", ".join(f"{kind} {count}" for kind, count in sorted(self.counts.items()))
        return (
            f"seed {self.seed}: {self.operations} operations in {self.steps} steps, {self.seconds:.1f} s, "
            f"{self.simulated_days:.0f} simulated days, digest {self.digest[:16]}\n"
            f"  faults injected ({sum(self.faults.values())}): {faults}\n"
            f"  counts: {counts}"
        )


Sabotage = Callable[[Any], None]  # given the ledger's DynamoDB client, registers hooks that break it


def run_simulation(config: SimConfig, dynamodb_endpoint: str, sabotage: Sabotage | None = None) -> Report:
    """One run on a fresh table in the DynamoDB Local at `dynamodb_endpoint` (SQS on moto).

    The table has no stream: nothing here reads one, and DynamoDB Local keeps every stream record
    (even of deleted tables), which slows each later write of the session."""
    with aws_environment("dynamodb-local", dynamodb_endpoint, stream=config.reports) as aws:
        return Simulator(config, aws, sabotage).run()


class Simulator:
    def __init__(self, config: SimConfig, aws: Aws, sabotage: Sabotage | None = None) -> None:
        self.config = config
        self.aws = aws
        self.sabotage = sabotage
        self.rng = random.Random(config.seed)
        self.clock = FakeClock()
        self.started_at = self.clock()
        self.model = LedgerModel(list(TENANTS))
        self.workload = Workload(self.rng, self.model, self.clock)
        # paid memberships: their own RNG, so the workload's sequence stays the same
        self.memberships = MembershipSteps(self, next(tenant for tenant in TENANTS if tenant.plans))
        reader = RawDynamoDB.usable(
            os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"),
            aws.dynamodb.meta.region_name,
            os.environ.get("AWS_ACCESS_KEY_ID"),
            aws.table_name,
        )
        self.observer = LedgerObserver(reader or aws.dynamodb, aws.table_name, self.model, self.clock)
        self.report = Report(config.seed, config.operations)
        self.step = 0
        self.operation = 0
        self.trace: deque[str] = deque(maxlen=15)
        self.digest = hashlib.sha256()
        self.faults_on = True
        self.sent_http: list[Request] = []
        self.accepted: list[Request] = []
        self.in_doubt: list[Request] = []
        self.dead_lettered: dict[str, str] = {}
        self.dead_letters_sent = 0
        self.redriven: set[str] = set()
        rates = config.faults
        self.job_rates = replace(
            rates,
            **{rate.name: getattr(rates, rate.name) * config.run_fault_scale for rate in fields(rates)},
        )
        self.follow_ups: deque[Request] = deque()  # the next steps of a checkout in progress
        self.next_run = {
            job: self.started_at + timedelta(hours=self.rng.uniform(0, high))
            for job, (_, high) in SCHEDULES.items()
        }

    # --- the run -------------------------------------------------------------------------------------
    def run(self) -> Report:
        started = time.monotonic()
        with self._product() as lambda_:
            self.lambda_ = lambda_
            for operation in range(1, self.config.operations + 1):
                self.operation = operation
                while len(self.queue) and self.rng.random() < min(0.85, len(self.queue) / 12):
                    self._step(self._deliver)
                self._advance_clock()
                self._run_due_jobs()
                self._step(self._operate)
                if self.memberships.due():
                    self._step(self.memberships.operate)
                if self.config.progress_every and self.operation % self.config.progress_every == 0:
                    print(f"  {self.operation} operations, {time.monotonic() - started:.0f} s", flush=True)
            self._drain()
            if self.config.reports:
                from tests.simulation.reports import check_report_liability

                self.trace.append(check_report_liability(self))
        self.report.steps = self.step
        self.report.seconds = time.monotonic() - started
        self.report.simulated_days = (self.clock() - self.started_at).total_seconds() / 86400
        self.report.digest = self.digest.hexdigest()
        how = "raw HTTP" if isinstance(self.observer.dynamodb, RawDynamoDB) else "boto3"
        self.report.counts[f"table reads by the checker ({how})"] = self.observer.reads
        self.report.counts["tiers raised by an earn"] = self.model.raised_by_earns
        self.report.counts["earns withheld by a velocity rule or a freeze"] = self.model.withheld_earns
        self.report.counts["members frozen by a velocity rule"] = self.model.frozen_by_velocity
        self.report.counts["memberships lapsed by the tiers run"] = self.memberships.model.lapsed
        return self.report

    @contextmanager
    def _product(self) -> Iterator[EarnLambda]:
        """The warm Lambda's context on our clock, tenants with their programs and catalogs, hooks
        installed."""
        os.environ["PROGRAM_CACHE_SECONDS"] = "3600"  # programs never change during a run
        os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
        reset_caches()
        quiet = logger.log_level
        logger.setLevel("ERROR")  # every dead letter logs a warning by design: thousands per run
        self.context: Context = default_context()
        self.context.clock = self.clock
        self.context.sleep = lambda seconds: None
        self.jobs = JobStore(self.context.ledger.table_name, self.context.ledger.client)
        # the programs are new: nothing is due before today (the expiry run keeps one per shard)
        for job in (tiers.JOB, *(expiry.shard_job(shard) for shard in range(EXPIRY_SHARDS))):
            self.jobs.advance(job, (self.clock() - timedelta(days=1)).date())
        for tenant in TENANTS:
            program = Program.model_validate(tenant.program_document())
            self.context.tenants.create_tenant(
                tenant.tenant_id, tenant.tenant_id.title(), program, [], self.clock()
            )
            admin = Principal(tenant_id=tenant.tenant_id, scope="admin", key_id="key_simulation")
            for reward in tenant.rewards:
                redemptions.put_reward(
                    self.context, admin, reward.reward_id, Reward.model_validate(reward.document())
                )
            for template in tenant.coupons:
                coupons.put_template(
                    self.context,
                    admin,
                    template.template_id,
                    CouponTemplate.model_validate(template.document()),
                )
            if tenant.lottery is not None:
                lottery = Lottery.model_validate(tenant.lottery.document())
                lotteries.put_lottery(self.context, admin, tenant.lottery.lottery_id, lottery)
        self.wire = Wire(
            self.rng,
            self.config.faults,
            self.context.ledger.client,
            default_dead_letters().client,
            others=(self.context.tenants.client,),
        )
        lambda_ = EarnLambda(self.wire)
        self.queue = SimulatedQueue(self.rng, lambda_.max_receive_count, lambda_.batch_size)
        self.wire.install()
        if self.sabotage is not None:
            self.sabotage(self.context.ledger.client)
        try:
            with lambda_.installed():
                yield lambda_
        finally:
            self.wire.uninstall()
            logger.setLevel(quiet)
            reset_caches()

    def _step(self, action: Callable[[], str]) -> None:
        self.step += 1
        self.wire.begin(None)
        self.wire.enabled = self.faults_on
        self._describing = f"step {self.step}"
        try:
            outcome = action()
        except InvariantViolation as broken:
            raise self._failure(broken) from broken
        except Exception as error:  # the product or the harness broke in a way no check names
            raise self._failure(
                violation(CAUSED_FAILURES, f"the step raised {error!r}\n{traceback.format_exc()}")
            ) from error
        finally:
            self.report.faults.update(fault.kind for fault in self.wire.faults)
        line = f"{self._describing} -> {outcome}"
        self.trace.append(line)
        self.digest.update(line.encode())

    def _failure(self, broken: InvariantViolation) -> SimulationFailure:
        seed, operations = self.config.seed, self.config.operations
        trace = "\n".join(f"    {line}" for line in self.trace)
        message = (
            f"simulation failed: invariant violated: {broken.invariant}\n"
            f"  seed {seed}, step {self.step} (operation {self.operation} of {operations}): "
            f"{self._describing}\n"
            f"  {broken.detail}\n"
            f"  faults injected in this step: {[fault.kind for fault in self.wire.faults] or 'none'}\n"
            f"  last steps:\n{trace}\n"
            f"  replay: SIM_SEED={seed} SIM_OPERATIONS={max(self.operation, 1)} "
            f".venv/bin/python -m tests.simulation.soak"
        )
        return SimulationFailure(message, seed=seed, step=self.step, invariant=broken.invariant)

    # --- the workload --------------------------------------------------------------------------------
    def _advance_clock(self) -> None:
        if self.rng.random() < 0.02:
            self.clock.advance(hours=self.rng.uniform(1, 48))
        else:
            self.clock.advance(seconds=self.rng.uniform(0, 1800))

    def _operate(self) -> str:
        if self.follow_ups and self.rng.random() < 0.8:
            request = self.follow_ups.popleft()
            self.report.counts[f"operation {request.kind} soon after"] += 1
            return self._http(request, f"{request.kind} soon after")
        weights = dict(WORKLOAD, retry=WORKLOAD["retry"] if self.in_doubt else 0)
        kind = self.rng.choices(list(weights), list(weights.values()))[0]
        tenant = self.rng.choice(TENANTS).tenant_id
        workload = self.workload
        if kind != "retry" and len(workload.enrolled[tenant]) < 3:
            kind = "enroll"
        self.report.counts[f"operation {kind}"] += 1
        builders: dict[str, Callable[[str], Request]] = {
            "enroll": workload.enroll,
            "enroll-again": workload.enroll_again,
            "earn-http": workload.purchase,
            "refund": workload.refund,
            "adjust": workload.adjustment,
            "redeem": workload.redeem,
            "cancel-redemption": lambda tenant: workload.redemption_change(tenant, fulfil=False),
            "fulfil": lambda tenant: workload.redemption_change(tenant, fulfil=True),
            "hold": workload.reserve,
            "capture": workload.capture,
            "release": workload.release,
            "buy-coupon": workload.buy_coupon,
            "use-coupon": workload.use_coupon,
            "draw": workload.draw,
        }
        if kind in builders:
            return self._http(builders[kind](tenant), kind)
        if kind == "earn-queue":
            return self._send(tenant)
        if kind == "replay" and self.sent_http:
            return self._http(workload.respelled(self.rng.choice(self.sent_http)), kind)
        if kind == "conflict" and self.accepted:
            return self._http(workload.changed(self.rng.choice(self.accepted)), kind)
        if kind == "retry":
            request = self.in_doubt.pop(self.rng.randrange(len(self.in_doubt)))
            return self._http(workload.respelled(request), kind)
        return self._http(workload.purchase(tenant), "earn-http")

    # --- HTTP: the operations layer, as the routes call it -----------------------------------------
    def _call(self, request: Request) -> Outcome:
        context, tenant = self.context, request.tenant_id
        if isinstance(request, Enroll):
            return members.enroll(
                context, tenant, EnrollRequest(member_id=request.member_id, name=request.name)
            )
        if isinstance(request, Earn):
            body = PurchaseRequest(
                order_id=request.order_id,
                member_id=request.member_id,
                amount=request.amount,  # type: ignore[arg-type]  # validated from the shop's string
                currency=request.currency,
            )
            return purchases.record_purchase(context, tenant, body)
        if isinstance(request, Refund):
            refund = RefundRequest(refund_id=request.refund_id, amount=request.amount)  # type: ignore[arg-type]
            return purchases.refund_purchase(context, tenant, request.order_id, refund)
        if isinstance(request, Adjust):
            admin = Principal(tenant_id=tenant, scope="admin", key_id="key_simulation")
            adjustment = AdjustmentRequest(
                adjustment_id=request.adjustment_id, points=request.points, reason=request.reason
            )
            return adjustments.adjust(context, admin, request.member_id, adjustment)
        return self._call_spending(request)

    def _call_spending(self, request: Request) -> Outcome:
        context, tenant = self.context, request.tenant_id
        if isinstance(request, Redeem):
            redemption = RedemptionRequest(
                redemption_id=request.redemption_id, reward_id=request.reward_id, quantity=request.quantity
            )
            return redemptions.redeem(context, tenant, request.member_id, redemption)
        if isinstance(request, CancelRedemption):
            return redemptions.cancel(context, tenant, request.member_id, request.redemption_id)
        if isinstance(request, Fulfil):
            return redemptions.fulfil(context, tenant, request.member_id, request.redemption_id)
        if isinstance(request, Reserve):
            hold = HoldRequest(
                hold_id=request.hold_id,
                points=request.points,
                ttl_seconds=request.ttl_seconds,
                order_id=request.order_id,
            )
            return holds.reserve(context, tenant, request.member_id, hold)
        if isinstance(request, Capture):
            capture = CaptureRequest(order_id=request.order_id, points=request.points)
            return holds.capture_hold(context, tenant, request.hold_id, capture)
        if isinstance(request, Release):
            return holds.release_hold(context, tenant, request.hold_id)
        if isinstance(request, HoldRefund):
            refund = HoldRefundRequest(refund_id=request.refund_id, points=request.points)
            return hold_refunds.refund_points(context, tenant, request.hold_id, refund)
        if isinstance(request, BuyCoupon):
            member = Principal(tenant_id=tenant, scope="server", key_id="key_simulation")
            issue = CouponIssueRequest(
                issue_id=request.issue_id, template_id=request.template_id, pay_with_points=True
            )
            code = coupon_code(tenant, request.issue_id)
            return coupons.issue(context, member, request.member_id, issue, code_factory=lambda: code)
        if isinstance(request, UseCoupon):
            use = CouponUseRequest(
                member_id=request.member_id,
                amount=request.amount,  # type: ignore[arg-type]  # validated from the shop's string
                currency=request.currency,
                order_id=request.order_id,
            )
            return coupons.use(context, tenant, request.code, use)
        assert isinstance(request, Draw)
        draw = DrawRequest(draw_id=request.draw_id, lottery_id=request.lottery_id)
        source = draw_source(tenant, request.draw_id)
        return lotteries.draw(context, tenant, request.member_id, draw, source=source)

    def _http(self, request: Request, why: str) -> str:
        self._describing = f"step {self.step} [{why}] {describe(request)}"
        self.sent_http.append(request)
        self.wire.label = "http"
        now = self.clock()
        decision = self.model.decide(request, now)
        lapsed = self.model.releases_on_the_way(request, now)
        outcome: Outcome | None = None
        refused: LoyaltyError | None = None
        lost: Exception | None = None
        try:
            outcome = self._call(request)
        except LoyaltyError as error:
            refused = error
        except Exception as error:  # a 5xx for the shop: throttled, conflicts outlived retries, no answer
            lost = error
        finally:
            self.wire.label = None
        touched = {self.model.member_of(request)}
        committed = self._apply_commits(self.wire.commits, request)
        touched.add(self.model.member_of(request))
        applied = self.model.applied_request(request)
        if outcome is not None:
            self._check_answer(request, decision, outcome, committed)
            result = f"{outcome.status}{' replay' if decision.verdict == 'replay' else ''}"
        elif refused is not None:
            if committed:
                raise violation(ANSWERS_TRUE, f"refused with {refused.problem}, but the operation committed")
            if decision.verdict != "refuse" or refused.problem not in decision.problems:
                raise violation(
                    ANSWERS_TRUE,
                    f"refused with {refused.problem} ({refused.status}: {refused.detail}); "
                    f"a correct ledger answers {decision}",
                )
            result = f"{refused.status} {refused.problem}"
        else:
            if not self.wire.faults:
                raise violation(CAUSED_FAILURES, f"the call failed with {lost!r} and no fault was injected")
            self.in_doubt.append(request)  # the shop saw a 5xx (or nothing): it retries later
            result = f"failed ({type(lost).__name__}), committed: {bool(self.wire.commits)}"
        if lapsed:
            self._check_lapsed_released(request, lapsed, decision, outcome, refused)
        if outcome is not None and decision == ACCEPT and applied is not None:
            self.accepted.append(request)
            if isinstance(request, Reserve | BuyCoupon) and self.rng.random() < self.config.follow_up:
                self.follow_ups.append(self.workload.follow_up(request))
            if isinstance(request, Capture):  # the shop refunds the order, in part (chosen by hold id)
                self.follow_ups.extend(self.workload.refunds(request))
        self.report.counts[f"http {result.split(' (')[0]}"] += 1
        self.report.counts[f"{request.kind} {result.split(' (')[0].split(', ')[0]}"] += 1
        self._observe_request(request, touched, lapsed)
        return result

    def _check_answer(self, request: Request, decision: Decision, outcome: Outcome, committed: bool) -> None:
        applied = self.model.applied_request(request)
        if decision.verdict == "replay":
            if applied is None or committed:
                raise violation(
                    ANSWERS_TRUE, f"answered as a replay, but {decision} with commits {committed}"
                )
            if outcome.replayed != applied.marks_replay:
                raise violation(
                    ANSWERS_TRUE,
                    f"answered {outcome.status} {'as' if outcome.replayed else 'not as'} a replay "
                    f"of {describe(applied.request)}",
                )
            status = applied.replay_status or applied.status
            if outcome.status != status:
                raise violation(ANSWERS_TRUE, f"a replay answered {outcome.status}, expected {status}")
        else:
            if outcome.replayed:
                raise violation(ANSWERS_TRUE, f"answered as a replay; a correct ledger answers {decision}")
            if not committed or applied is None:
                raise violation(ANSWERS_TRUE, f"answered {outcome.status} as done, but nothing committed")
            if outcome.status != applied.status:
                raise violation(
                    ANSWERS_TRUE, f"a new {request.kind} answered {outcome.status}, expected {applied.status}"
                )
        if applied.answer is not None and outcome.body != applied.answer:
            raise violation(
                ANSWERS_TRUE, f"a replay answered {outcome.body}, the original answer was {applied.answer}"
            )
        answered, expected = _flatten(outcome.body), _flatten(applied.expected)
        wrong = {
            name: (answered.get(name), value)
            for name, value in expected.items()
            if answered.get(name) != value
        }
        if wrong:
            raise violation(ANSWERS_TRUE, f"answer fields (answered, correct): {wrong}; body {outcome.body}")
        if applied.answer is None:
            applied.answer = outcome.body

    def _check_lapsed_released(
        self,
        request: Request,
        lapsed: list[str],
        decision: Decision,
        outcome: Outcome | None,
        refused: LoyaltyError | None,
    ) -> None:
        """A spend that got as far as spending, or a capture of a lapsed hold, released the
        member's lapsed holds first."""
        got_there = (
            (outcome is not None and decision == ACCEPT)
            or (refused is not None and refused.problem in ("insufficient-points", "out-of-stock"))
            if isinstance(request, SPENDS)
            else refused is not None and refused.problem == "hold-closed"
        )
        still_open = [
            hold_id for hold_id in lapsed if self.model.holds[(request.tenant_id, hold_id)].status == "held"
        ]
        if got_there and still_open:
            raise violation(HOLDS_LAPSE, f"lapsed holds {still_open} are still open after the call")

    def _apply_commits(self, commits: list[Commit], request: Request | Poison) -> bool:
        """What committed, as the wire saw it, becomes the model's truth if a correct ledger allows
        it: the request's own operation, and the release of a lapsed hold it had to release first.
        Returns whether the request's own operation committed."""
        now = self.clock()
        lapsed = set() if isinstance(request, Poison) else set(self.model.releases_on_the_way(request, now))
        committed = False
        for commit in commits:
            if commit.kind is None:
                raise violation(
                    AT_MOST_ONCE,
                    f"a ledger transaction of {describe(request)} committed without an operation record: "
                    "nothing guards its natural id against a second application",
                )
            if (commit.tenant_id, commit.kind, commit.natural_id) == (
                request.tenant_id,
                request.kind,
                request.natural_id,
            ):
                decision = self.model.decide(request, now)
                if decision != ACCEPT or isinstance(request, Poison):
                    raise violation(
                        ONLY_ACCEPTABLE_COMMITS,
                        f"{describe(request)} committed; a correct ledger answers {decision}",
                    )
                self.model.apply(request, now)
                committed = True
            elif (
                commit.kind == RELEASE
                and commit.tenant_id == request.tenant_id
                and commit.natural_id in lapsed
                and not committed
            ):
                lapsed.discard(commit.natural_id)
                self.model.release_lapsed(request.tenant_id, commit.natural_id, now)
                self.report.counts["lapsed holds released by a spend or capture"] += 1
            else:
                raise violation(
                    ONLY_ACCEPTABLE_COMMITS, f"{commit} committed while running {describe(request)}"
                )
        return committed

    def _observe_request(self, request: Request, touched: set[str | None], lapsed: list[str]) -> None:
        """Check what the step may have changed: its members, the stock, prizes or coupon it touched."""
        tenant = request.tenant_id
        if tenant not in self.model.tenants or not self.wire.writes:
            return
        parts: set[str] = {HOLDS} if lapsed else set()
        if isinstance(request, Redeem | CancelRedemption):
            parts.add(COUNTS)
        if isinstance(request, Reserve | Capture | Release):
            parts.add(HOLDS)
        if isinstance(request, Draw):
            parts.add(DRAWS)
        self._observe(tenant, touched, frozenset(parts))
        if isinstance(request, Redeem):
            self.observer.check_reward(tenant, request.reward_id)
        if isinstance(request, CancelRedemption):
            redemption = self.model.redemptions.get((tenant, request.redemption_id))
            if redemption is not None:
                self.observer.check_reward(tenant, redemption.reward_id)
        if isinstance(request, Draw):
            self.observer.check_prizes(tenant)
        if isinstance(request, Capture | HoldRefund):
            self.observer.check_hold_refunds(tenant, request.hold_id)
        if isinstance(request, BuyCoupon | UseCoupon):
            code = coupon_code(tenant, request.issue_id) if isinstance(request, BuyCoupon) else request.code
            self.observer.check_coupon(tenant, code)

    def _observe(self, tenant: str, members_: set[str | None], parts: frozenset[str] = frozenset()) -> None:
        """Check the members a step touched, if the step wrote anything (else nothing changed)."""
        if tenant not in self.model.tenants or not self.wire.writes:
            return
        for member in sorted(member for member in members_ if member):
            self.observer.check(tenant, member, parts)

    # --- scheduled runs ------------------------------------------------------------------------------
    def _run_due_jobs(self) -> None:
        for job, (low, high) in SCHEDULES.items():
            if self.clock() < self.next_run[job]:
                continue
            self.next_run[job] = self.clock() + timedelta(hours=self.rng.uniform(low, high))
            self._step(lambda job=job: self._job(job, "scheduled"))  # type: ignore[misc]
            if self.rng.random() < 0.1:
                self._step(lambda job=job: self._job(job, "again at the same time"))  # type: ignore[misc]

    def _job(self, job: str, why: str) -> str:
        """One scheduled run at the clock's time; everything it committed must be due."""
        now = self.clock()
        cut_short = job != "sweep" and self.faults_on and self.rng.random() < self.config.cut_short
        stop = StopAfter(self.rng.randint(0, 2) if cut_short else None)
        self._describing = f"step {self.step} [{job} run, {why}] at {now.isoformat()}" + (
            f", stopping after {stop.calls} days" if cut_short else ""
        )
        self.wire.label = "job"
        self.wire.rates = self.job_rates
        report: Any = None
        failed: Exception | None = None
        try:
            if job == "expiry":
                report = expiry_run(self.context, self.jobs, now, stop)
            elif job == "tiers":
                report = tiers_run(self.context, self.jobs, now, stop)
            else:
                report = holds.sweep_expired_holds(self.context, now)
        except Exception as error:  # throttled, or a response lost: the next run picks up
            failed = error
        finally:
            self.wire.label = None
            self.wire.rates = self.config.faults
        done = JobOutcome()
        touched: dict[str, set[str | None]] = {}
        for commit in self.wire.commits:
            self._apply_job_commit(job, commit, done, touched)
        if failed is not None and not self.wire.faults:
            raise violation(
                CAUSED_FAILURES, f"the {job} run failed with {failed!r} and no fault was injected"
            )
        for tenant, members_ in sorted(touched.items()):
            self._observe(tenant, members_, frozenset({HOLDS}) if job == "sweep" else frozenset())
        finished = failed is None and not stop.stopped
        if finished:
            self._check_job_report(job, report, done)
            self._check_in_time(job, now)
        self.report.counts[f"{job} runs" + ("" if finished else " that did not finish")] += 1
        what = {"expiry": "members expired", "tiers": "members reviewed", "sweep": "lapsed holds released"}[
            job
        ]
        self.report.counts[f"{what} by the {job} run"] += done.members
        if job == "tiers":
            self.report.counts["tiers raised by the tiers run"] += done.raised
            self.report.counts["tiers lowered by the tiers run"] += done.lowered
        if job == "expiry":
            self.report.counts["points expired by the expiry run"] += done.points
        ending = "done" if finished else f"failed ({type(failed).__name__})" if failed else "cut short"
        checkpoint = f", next date {report.next_date}" if getattr(report, "next_date", None) else ""
        return f"{ending}: {done.members} {what}, {done.points} points{checkpoint}"

    def _apply_job_commit(
        self, job: str, commit: Commit, done: JobOutcome, touched: dict[str, set[str | None]]
    ) -> None:
        if commit.kind is None:
            raise violation(
                AT_MOST_ONCE, f"the {job} run committed a ledger entry without an operation record"
            )
        if commit.kind == "checkpoint":
            return
        now, tenant, natural = self.clock(), commit.tenant_id or "", commit.natural_id or ""
        expected = {"expiry": EXPIRE, "tiers": TIER, "sweep": RELEASE}[job]
        if commit.kind != expected or tenant not in self.model.tenants:
            raise violation(ONLY_ACCEPTABLE_COMMITS, f"the {job} run committed {commit}")
        member: str | None
        if commit.kind == EXPIRE:
            member, _, day = natural.rpartition("@")
            due = self.model.expiry_due(tenant, member, now)
            if (
                day != self.model.today(tenant, now).isoformat()
                or not due
                or (tenant, EXPIRE, natural) in self.model.applied
            ):
                raise violation(
                    ONLY_ACCEPTABLE_COMMITS,
                    f"the expiry run committed {commit}; the model has {due} points due on "
                    f"{self.model.today(tenant, now)}",
                )
            done.points += -self.model.expire(tenant, member, now).entry_points
        elif commit.kind == TIER:
            member = natural
            if not self.model.review_due(tenant, member, now):
                raise violation(
                    ONLY_ACCEPTABLE_COMMITS, f"the tiers run committed {commit}; no review is due"
                )
            if self.memberships.model.holds(tenant, member):
                before, after = self.memberships.model.review(member)
            else:
                before, after = self.model.review(tenant, member)
            done.raised += after > before
            done.lowered += after < before
        else:
            hold = self.model.holds.get((tenant, natural))
            if hold is None or hold.status != "held" or hold.expires_at > now:
                raise violation(ONLY_ACCEPTABLE_COMMITS, f"the sweep committed {commit}; the hold is {hold}")
            member = hold.member_id
            done.points += hold.points
            self.model.release_lapsed(tenant, natural, now)
        done.members += 1
        touched.setdefault(tenant, set()).add(member)

    def _check_job_report(self, job: str, report: Any, done: JobOutcome) -> None:
        if job == "expiry":
            heard, applied = (report.members_expired, report.points_expired), (done.members, done.points)
        elif job == "tiers":
            heard = (report.members_evaluated, report.upgraded, report.downgraded)
            applied = (done.members, done.raised, done.lowered)
        else:
            heard, applied = (report.holds_released, report.points_released), (done.members, done.points)
        if heard != applied:
            raise violation(ANSWERS_TRUE, f"the {job} run reports {report}; it committed {applied}")

    def _check_in_time(self, job: str, now: datetime) -> None:
        """Nothing a finished run should have done is left undone."""
        if job == "sweep":
            lapsed = [
                f"{tenant}/{hold_id} (expired {hold.expires_at.isoformat()})"
                for (tenant, hold_id), hold in self.model.holds.items()
                if hold.status == "held" and hold.expires_at <= now
            ]
            if lapsed:
                raise violation(HOLDS_LAPSE, f"open after the sweep at {now.isoformat()}: {lapsed[:5]}")
            return
        if job == "tiers":
            self.memberships.check_after_tiers_run(now)
        days = {tenant: self.model.today(tenant, now) for tenant in self.model.tenants}
        late = []
        for (tenant, member_id), member in self.model.members.items():
            today = days[tenant]
            if job == "tiers" and member.tier.review_on is not None and member.tier.review_on <= today:
                late.append(f"{tenant}/{member_id} (review on {member.tier.review_on}, today {today})")
            if job == "expiry" and member.last_posted and member.last_posted <= now - WRITTEN_LONG_AGO:
                overdue = {day: points for day, points in member.by_expiry().items() if day and day < today}
                if overdue:
                    late.append(
                        f"{tenant}/{member_id} (today {today}, last written "
                        f"{member.last_posted.isoformat()}, still holds {overdue})"
                    )
        if late:
            invariant = REVIEWED_IN_TIME if job == "tiers" else EXPIRED_IN_TIME
            raise violation(invariant, f"after the {job} run at {now.isoformat()}: {late[:5]}")

    # --- the queue -----------------------------------------------------------------------------------
    def _send(self, tenant: str) -> str:
        roll = self.rng.random()
        request: Earn | Poison
        workload = self.workload
        if roll < 0.03:
            request = Poison(tenant, "malformed-json", '{"tenant_id": "' + tenant + '", "order_id": ')
        elif roll < 0.06:
            body = {**workload.purchase(tenant).message_body(), "amount": "-3"}
            request = Poison(tenant, "validation-error", json.dumps(body))
        elif roll < 0.08:
            request = replace(workload.purchase(tenant), tenant_id=UNKNOWN_TENANT)
        elif roll < 0.11 and self.accepted:
            earns = [request for request in self.accepted[-200:] if isinstance(request, Earn)]
            request = workload.changed(self.rng.choice(earns)) if earns else workload.purchase(tenant)  # type: ignore[assignment]
        else:
            request = workload.purchase(tenant)
        body = request.body if isinstance(request, Poison) else json.dumps(request.message_body())
        message = Message(str(uuid.UUID(int=self.rng.getrandbits(128))), body, request)
        self.queue.send(message)
        self._describing = f"step {self.step} [earn-queue] send {message.message_id[:8]}: {describe(request)}"
        return f"queued ({len(self.queue)} visible)"

    def _deliver(self) -> str:
        batch = self.queue.receive(self.config.duplicate_in_batch)
        plan = TimeoutPlan()
        if self.faults_on and self.rng.random() < self.config.lambda_timeout:
            if len(batch) > 1 and self.rng.random() < 0.4:
                plan = TimeoutPlan(record=self.rng.randint(1, len(batch) - 1))
            else:
                plan = TimeoutPlan(
                    call=self.rng.randint(1, 2 * len(batch)), phase=self.rng.choice(("before", "after"))
                )
        self._describing = (
            f"step {self.step} [deliver] {len(batch)} records: "
            + ", ".join(f"{m.message_id[:8]}#{m.receive_count} {describe(m.request)}" for m in batch)
            + (f"; timeout planned {plan}" if plan != TimeoutPlan() else "")
        )
        invocation = self.lambda_.invoke(batch, plan)
        touched: dict[str, set[str | None]] = {}
        for run in invocation.runs:
            request = run.message.request
            decision = self.model.decide(request, self.clock())
            touched.setdefault(request.tenant_id, set()).add(self.model.member_of(request))
            self._apply_commits([c for c in self.wire.commits if c.label is run], request)
            self._check_record(run, decision, invocation)
        strays = [
            commit for commit in self.wire.commits if not any(commit.label is run for run in invocation.runs)
        ]
        if strays:
            raise violation(ONLY_ACCEPTABLE_COMMITS, f"commits outside any record: {strays}")
        self._check_batch_response(invocation)
        for message in self.queue.settle(invocation, self.config.duplicate_later):
            self.redriven.add(message.message_id)
            self.report.counts["messages redriven by SQS after maxReceiveCount"] += 1
        self.report.counts["deliveries"] += 1
        self.report.counts["records processed"] += len(invocation.runs)
        self.report.counts["records redelivered"] += sum(1 for m in batch if m.receive_count > 1)
        if invocation.crashed:
            self.report.counts["invocations ended early"] += 1
        for tenant, members_ in sorted(touched.items()):
            self._observe(tenant, members_)
        outcome = f"failed {sorted(i[:8] for i in invocation.failed_ids)}" if invocation.failed_ids else "ok"
        return invocation.crashed or outcome

    def _check_record(self, run: Any, decision: Decision, invocation: Invocation) -> None:
        message, request = run.message, run.message.request
        commits = [commit for commit in self.wire.commits if commit.label is run]
        letters = [letter for letter in self.wire.dead_letters if letter.label is run]
        faults = [fault for fault in self.wire.faults if fault.label is run]
        what = f"message {message.message_id[:8]} ({describe(request)})"
        if run.finished:
            if commits and letters:
                raise violation(DELIVERED_ONCE, f"{what} was credited and dead-lettered")
            if letters:
                letter = letters[0]
                if len(letters) > 1 or letter.source_message_id != message.message_id:
                    raise violation(DELIVERED_ONCE, f"{what} dead-lettered as {letters}")
                if decision.verdict != "refuse" or letter.reason not in decision.problems:
                    raise violation(
                        ANSWERS_TRUE,
                        f"{what} dead-lettered as {letter.reason}; a correct ledger answers {decision}",
                    )
                self.dead_lettered[message.message_id] = letter.reason
                self.dead_letters_sent += 1
                self.report.counts[f"dead-lettered {letter.reason}"] += 1
            elif not commits and decision.verdict != "replay":
                raise violation(
                    DELIVERED_ONCE,
                    f"{what} acknowledged with neither credit nor dead letter; "
                    f"a correct ledger answers {decision}",
                )
        elif not isinstance(run.error, LambdaTimeout) and not faults:
            raise violation(CAUSED_FAILURES, f"{what} failed with {run.error!r} and no fault was injected")

    def _check_batch_response(self, invocation: Invocation) -> None:
        if invocation.unexpected is not None:
            raise violation(CAUSED_FAILURES, f"the handler itself raised {invocation.unexpected!r}")
        failed = {run.message.message_id for run in invocation.runs if run.error is not None}
        if invocation.crashed and invocation.crashed.startswith("every record failed"):
            if len(failed) != len({m.message_id for m in invocation.batch}):
                raise violation(ANSWERS_TRUE, f"BatchProcessingError, but only {sorted(failed)} failed")
        elif not invocation.crashed:
            if len(invocation.runs) != len(invocation.batch):
                raise violation(
                    ANSWERS_TRUE, f"{len(invocation.runs)} of {len(invocation.batch)} records were processed"
                )
            if invocation.failed_ids != failed:
                raise violation(
                    ANSWERS_TRUE,
                    f"the batch response reports {sorted(invocation.failed_ids)} failed; "
                    "records that failed: "
                    f"{sorted(failed)}",
                )

    # --- the end -------------------------------------------------------------------------------------
    def _drain(self) -> None:
        """Faults stop; the shop retries every lost call, SQS delivers until the queue is empty."""
        self.faults_on = False
        while self.in_doubt:
            request = self.in_doubt.pop(0)
            self._step(lambda request=request: self._http(request, "retry after the run"))
        while self.memberships.in_doubt:
            self._step(self.memberships.retry)
        deliveries = 0
        while len(self.queue):
            self._step(self._deliver)
            deliveries += 1
            if deliveries > 100_000:
                raise self._failure(
                    violation(DELIVERED_ONCE, f"the queue does not drain: {len(self.queue)} left")
                )
        for job in SCHEDULES:
            self._step(lambda job=job: self._job(job, "after the run"))  # type: ignore[misc]
        self._step(self._final_checks)

    def _final_checks(self) -> str:
        self._describing = f"step {self.step} [final checks]"
        sent = {message.message_id: message for message in self.queue.sent}
        for message in sent.values():
            request = message.request
            applied = self.model.applied_request(request) if isinstance(request, Earn) else None
            credited = applied is not None and applied.request.key == request.key
            if not (
                credited or message.message_id in self.dead_lettered or message.message_id in self.redriven
            ):
                raise violation(
                    DELIVERED_ONCE,
                    f"message {message.message_id} ({describe(request)}) was neither credited "
                    "nor dead-lettered",
                )
        held = self.aws.sqs.get_queue_attributes(
            QueueUrl=self.aws.purchase_dlq_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]["ApproximateNumberOfMessages"]
        if int(held) != self.dead_letters_sent:
            raise violation(
                DELIVERED_ONCE, f"{self.dead_letters_sent} dead letters sent, the DLQ holds {held}"
            )
        checked = self.observer.check_from_scratch()
        self.report.counts["memberships bought"] = self.memberships.final_checks()
        self.report.counts["members"] = checked
        self.report.counts["messages sent"] = len(sent)
        return f"{len(sent)} messages settled, {checked} members re-read from scratch"


def _flatten(body: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name, value in body.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = value
    return flat
