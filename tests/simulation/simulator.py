"""The simulator: a seeded workload against the real ledger with faults, checked after every step.

Owns the workload generator, the execution of each step and the verdicts on what callers heard.
One `random.Random(seed)` makes every choice (the operation, its tenant, member and amount, the
clock's advance, each fault, each delivery's batch and order), and the product is driven on one
thread with a fake clock and no sleeping, so a seed replays exactly: same steps, same faults, same
digest. The generated prefix does not depend on `operations`, so a failure at step N replays with
any `SIM_OPERATIONS` that reaches it.

A step is one client operation (enrol, purchase over the operations layer as HTTP calls it, a
purchase dropped on the queue, refund, adjustment, a replay, a conflicting replay, a retry of a
call whose answer was lost) or one delivery of a batch from the simulated queue to the real
EarnFunction. After each step, every member it touched is checked (`observe.LedgerObserver`)
against the invariants and against the independent model (`model.LedgerModel`), which learns what
committed from the wire (`wire.Wire`'s commit journal), not from what the caller heard. At the
end, faults stop, lost calls are retried, the queue is drained, every message must be credited
exactly once or dead-lettered, and every member is re-read from scratch.
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
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from loyalty.consumers.purchases import default_dead_letters
from loyalty.errors import LoyaltyError
from loyalty.models.api import AdjustmentRequest, EnrollRequest, PurchaseRequest, RefundRequest
from loyalty.models.program import Program
from loyalty.observability import logger
from loyalty.operations import adjustments, members, purchases
from loyalty.operations.context import Context, Outcome, Principal, default_context
from tests.simulation.model import (
    ACCEPT,
    Adjust,
    Decision,
    Earn,
    Enroll,
    LedgerModel,
    Poison,
    Refund,
    Request,
    TenantSpec,
)
from tests.simulation.observe import (
    ANSWERS_TRUE,
    AT_MOST_ONCE,
    CAUSED_FAILURES,
    DELIVERED_ONCE,
    ONLY_ACCEPTABLE_COMMITS,
    InvariantViolation,
    LedgerObserver,
    RawDynamoDB,
    violation,
)
from tests.simulation.sqs import EarnLambda, Invocation, Message, SimulatedQueue, TimeoutPlan
from tests.simulation.wire import Commit, FaultRates, LambdaTimeout, Wire
from tests.support.backends import Aws, aws_environment, reset_caches
from tests.support.clock import FakeClock

DEFAULT_SEED = 20261123
DEFAULT_OPERATIONS = 10_000

TENANTS = (
    TenantSpec(
        "acme", "CNY", "Asia/Shanghai", 1, 100, {"policy": "rolling", "months": 24, "end_of_month": True}
    ),
    TenantSpec("bolt", "USD", "America/Los_Angeles", 2, 0, {"policy": "never"}, pending_days=3),
    TenantSpec(
        "cove", "EUR", "Pacific/Kiritimati", 5, 50, {"policy": "rolling", "months": 12, "end_of_month": False}
    ),
    TenantSpec(
        "dune", "GBP", "Europe/London", 3, 20, {"policy": "fixed", "years_after": 2, "month": 12, "day": 31}
    ),
)
UNKNOWN_TENANT = "ghost-shop"
MAX_CENTS = 9_999_999_999  # 99,999,999.99: the largest amount the API accepts
MAX_POINTS = 1_000_000_000  # the largest adjustment the API accepts
NAMES = (None, "Ann", "Bo", "Chen Li", "Dara")

# Relative weights of the operations the workload generates.
WORKLOAD = {
    "enroll": 8,
    "enroll-again": 1,
    "earn-http": 22,
    "earn-queue": 24,
    "refund": 15,
    "adjust": 12,
    "replay": 6,
    "conflict": 3,
    "retry": 5,
}


@dataclass(frozen=True)
class SimConfig:
    seed: int = DEFAULT_SEED
    operations: int = DEFAULT_OPERATIONS
    faults: FaultRates = field(default_factory=FaultRates)
    lambda_timeout: float = 0.06  # per invocation
    duplicate_later: float = 0.05  # per acknowledged message: SQS delivers it again later
    duplicate_in_batch: float = 0.05  # per batch: the same message twice in one batch
    progress_every: int = 0  # print a progress line every N operations (the soak)

    @classmethod
    def from_environment(cls, *, operations: int = DEFAULT_OPERATIONS, **overrides: Any) -> SimConfig:
        """`SIM_SEED` (an integer, or `random` for a fresh one) and `SIM_OPERATIONS` override defaults."""
        seed_text = os.environ.get("SIM_SEED", str(DEFAULT_SEED)).strip()
        seed = random.SystemRandom().randrange(2**32) if seed_text == "random" else int(seed_text)
        return cls(seed=seed, operations=int(os.environ.get("SIM_OPERATIONS", operations)), **overrides)


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
    with aws_environment("dynamodb-local", dynamodb_endpoint, stream=False) as aws:
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
        # what the workload has issued, per tenant: next ids, members it enrolled, orders it sent
        self.counters: Counter[tuple[str, str]] = Counter()
        self.enrolled: dict[str, list[str]] = {tenant.tenant_id: [] for tenant in TENANTS}
        self.orders: dict[str, list[Earn]] = {tenant.tenant_id: [] for tenant in TENANTS}
        self.sent_http: list[Request] = []
        self.accepted: list[Request] = []
        self.in_doubt: list[Request] = []
        self.dead_lettered: dict[str, str] = {}
        self.dead_letters_sent = 0
        self.redriven: set[str] = set()

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
                self._step(self._operate)
                if self.config.progress_every and self.operation % self.config.progress_every == 0:
                    print(f"  {self.operation} operations, {time.monotonic() - started:.0f} s", flush=True)
            self._drain()
        self.report.steps = self.step
        self.report.seconds = time.monotonic() - started
        self.report.simulated_days = (self.clock() - self.started_at).total_seconds() / 86400
        self.report.digest = self.digest.hexdigest()
        how = "raw HTTP" if isinstance(self.observer.dynamodb, RawDynamoDB) else "boto3"
        self.report.counts[f"table reads by the checker ({how})"] = self.observer.reads
        return self.report

    @contextmanager
    def _product(self) -> Iterator[EarnLambda]:
        """The warm Lambda's context on our clock, tenants with their programs, hooks installed."""
        os.environ["PROGRAM_CACHE_SECONDS"] = "3600"  # programs never change during a run
        os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
        reset_caches()
        quiet = logger.log_level
        logger.setLevel("ERROR")  # every dead letter logs a warning by design: thousands per run
        self.context: Context = default_context()
        self.context.clock = self.clock
        self.context.sleep = lambda seconds: None
        for tenant in TENANTS:
            program = Program.model_validate(tenant.program_document())
            self.context.tenants.create_tenant(
                tenant.tenant_id, tenant.tenant_id.title(), program, [], self.clock()
            )
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
        weights = dict(WORKLOAD, retry=WORKLOAD["retry"] if self.in_doubt else 0)
        kind = self.rng.choices(list(weights), list(weights.values()))[0]
        tenant = self.rng.choice(TENANTS).tenant_id
        if kind != "retry" and len(self.enrolled[tenant]) < 3:
            kind = "enroll"
        self.report.counts[f"operation {kind}"] += 1
        if kind == "enroll":
            member = self._next(tenant, "m")
            self.enrolled[tenant].append(member)
            return self._http(Enroll(tenant, member, self.rng.choice(NAMES)), kind)
        if kind == "enroll-again":
            member = self.rng.choice(self.enrolled[tenant])
            applied = self.model.applied.get((tenant, "enroll", member))
            name = applied.request.key[0] if applied and self.rng.random() < 0.5 else self.rng.choice(NAMES)
            return self._http(Enroll(tenant, member, name), kind)
        if kind == "earn-http":
            return self._http(self._purchase(tenant), kind)
        if kind == "earn-queue":
            return self._send(tenant)
        if kind == "refund":
            return self._http(self._refund(tenant), kind)
        if kind == "adjust":
            return self._http(self._adjustment(tenant), kind)
        if kind == "replay" and self.sent_http:
            return self._http(self._respelled(self.rng.choice(self.sent_http)), kind)
        if kind == "conflict" and self.accepted:
            return self._http(self._changed(self.rng.choice(self.accepted)), kind)
        if kind == "retry":
            request = self.in_doubt.pop(self.rng.randrange(len(self.in_doubt)))
            return self._http(self._respelled(request), kind)
        return self._http(self._purchase(tenant), "earn-http")

    def _next(self, tenant: str, prefix: str) -> str:
        self.counters[(tenant, prefix)] += 1
        return f"{prefix}{self.counters[(tenant, prefix)]}"

    def _member(self, tenant: str) -> str:
        members_ = self.enrolled[tenant]
        if self.rng.random() < 0.25:
            return self.rng.choice(members_[:5])  # a few busy members with long ledgers
        return self.rng.choice(members_)

    def _amount(self) -> Decimal:
        roll = self.rng.random()
        if roll < 0.1:
            cents = self.rng.randint(1, 99)  # less than one unit: may earn nothing
        elif roll < 0.98:
            cents = self.rng.randint(100, 40_000)
        else:
            cents = self.rng.randint(1_000_000, 9_999_999_999)  # up to 99,999,999.99
        return Decimal(cents) / 100

    def _spell(self, amount: Decimal) -> str:
        text = f"{amount:.2f}"
        if self.rng.random() < 0.15 and text.endswith("0"):
            text = text.rstrip("0").rstrip(".")  # "12.30" as "12.3", "12.00" as "12": the same amount
        return text

    def _purchase(self, tenant: str) -> Earn:
        spec = self.model.tenants[tenant]
        roll = self.rng.random()
        member = self._member(tenant)
        currency = spec.currency
        if roll < 0.03:
            member = self._next(tenant, "ghost")  # never enrolled
        elif roll < 0.05:
            currency = "XTS"  # not this program's currency
        elif roll < 0.13 and self.orders[tenant]:
            return self._respelled(self.rng.choice(self.orders[tenant]))  # the same purchase again
        earn = Earn(tenant, self._next(tenant, "o"), member, self._spell(self._amount()), currency)
        self.orders[tenant].append(earn)
        return earn

    def _refund(self, tenant: str) -> Refund:
        refund_id = self._next(tenant, "r")
        if not self.orders[tenant] or self.rng.random() < 0.08:
            return Refund(tenant, f"o{self.rng.randint(1, 10**6)}x", refund_id, self._spell(self._amount()))
        earn = self.rng.choice(self.orders[tenant])
        order = self.model.orders.get((tenant, earn.order_id))
        total = order.amount if order else Decimal(earn.amount)
        left_cents = int((total - (order.refunded if order else 0)) * 100)
        roll = self.rng.random()
        if roll < 0.35 and left_cents > 1:
            cents = self.rng.randint(1, left_cents - 1)  # partial
        elif roll < 0.6 and left_cents > 0:
            cents = left_cents  # the rest: a full refund
        elif roll < 0.75:
            cents = min(left_cents + self.rng.randint(1, 5_000), MAX_CENTS)  # beyond the purchase
        elif roll < 0.9:
            cents = 1
        else:
            cents = max(1, left_cents // 2)
        return Refund(tenant, earn.order_id, refund_id, self._spell(Decimal(cents) / 100))

    def _adjustment(self, tenant: str) -> Adjust:
        member = self._member(tenant) if self.rng.random() > 0.03 else self._next(tenant, "ghost")
        adjustment_id = self._next(tenant, "a")
        reason = self.rng.choice(("goodwill", "correction", "fraud review", "migration"))
        if self.rng.random() < 0.5:
            points = self.rng.randint(1, 2_000) if self.rng.random() > 0.01 else self.rng.randint(1, 10**7)
            return Adjust(tenant, member, adjustment_id, points, reason)
        available = self.model.available(tenant, member, self.clock())
        if available > 0 and self.rng.random() < 0.55:
            return Adjust(tenant, member, adjustment_id, -self.rng.randint(1, available), reason)
        points = min(available + self.rng.randint(1, 500), MAX_POINTS)  # beyond what is available
        return Adjust(tenant, member, adjustment_id, -points, reason)

    def _respelled(self, request: Request) -> Any:
        if isinstance(request, Earn | Refund):
            return replace(request, amount=self._spell(Decimal(request.amount)))
        return request

    def _changed(self, request: Request) -> Request:
        """The same natural id with another body: a correct ledger refuses it (409)."""
        if isinstance(request, Earn | Refund):
            amount = Decimal(request.amount)
            amount += Decimal("0.01") if amount * 100 < MAX_CENTS else Decimal("-0.01")
            return replace(request, amount=f"{amount:.2f}")
        if isinstance(request, Adjust):
            return replace(request, reason=request.reason + " (edited)")
        return replace(request, name=(request.name or "") + "x")

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
        admin = Principal(tenant_id=tenant, scope="admin", key_id="key_simulation")
        adjustment = AdjustmentRequest(
            adjustment_id=request.adjustment_id, points=request.points, reason=request.reason
        )
        return adjustments.adjust(context, admin, request.member_id, adjustment)

    def _http(self, request: Request, why: str) -> str:
        self._describing = f"step {self.step} [{why}] {describe(request)}"
        self.sent_http.append(request)
        self.wire.label = "http"
        decision = self.model.decide(request, self.clock())
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
        self._apply_commits(self.wire.commits, request)
        touched.add(self.model.member_of(request))
        applied = self.model.applied_request(request)
        if outcome is not None:
            self._check_answer(request, decision, outcome)
            result = f"{outcome.status}{' replay' if outcome.replayed else ''}"
        elif refused is not None:
            if self.wire.commits:
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
        if outcome is not None and not outcome.replayed and applied is not None:
            self.accepted.append(request)
        self.report.counts[f"http {result.split(' (')[0]}"] += 1
        self._observe(request.tenant_id, touched)
        return result

    def _check_answer(self, request: Request, decision: Decision, outcome: Outcome) -> None:
        applied = self.model.applied_request(request)
        if outcome.replayed:
            if decision.verdict != "replay" or applied is None:
                raise violation(ANSWERS_TRUE, f"answered as a replay; a correct ledger answers {decision}")
            status = 200 if isinstance(request, Enroll) else applied.status
            if outcome.status != status:
                raise violation(ANSWERS_TRUE, f"a replay answered {outcome.status}, expected {status}")
        else:
            if not self.wire.commits or applied is None:
                raise violation(ANSWERS_TRUE, f"answered {outcome.status} as done, but nothing committed")
            if outcome.status != 201:
                raise violation(ANSWERS_TRUE, f"a new {request.kind} answered {outcome.status}, expected 201")
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

    def _apply_commits(self, commits: list[Commit], request: Request | Poison) -> None:
        """What committed, as the wire saw it, becomes the model's truth if a correct ledger allows it."""
        for commit in commits:
            if commit.kind is None:
                raise violation(
                    AT_MOST_ONCE,
                    f"a ledger transaction of {describe(request)} committed without an operation record: "
                    "nothing guards its natural id against a second application",
                )
            if (commit.tenant_id, commit.kind, commit.natural_id) != (
                request.tenant_id,
                request.kind,
                request.natural_id,
            ):
                raise violation(
                    ONLY_ACCEPTABLE_COMMITS, f"{commit} committed while running {describe(request)}"
                )
            decision = self.model.decide(request, self.clock())
            if decision != ACCEPT or isinstance(request, Poison):
                raise violation(
                    ONLY_ACCEPTABLE_COMMITS,
                    f"{describe(request)} committed; a correct ledger answers {decision}",
                )
            self.model.apply(request, self.clock())

    def _observe(self, tenant: str, members_: set[str | None]) -> None:
        """Check the members a step touched, if the step wrote anything (else nothing changed)."""
        if tenant not in self.model.tenants or not self.wire.writes:
            return
        for member in sorted(member for member in members_ if member):
            self.observer.check(tenant, member)

    # --- the queue -----------------------------------------------------------------------------------
    def _send(self, tenant: str) -> str:
        roll = self.rng.random()
        request: Earn | Poison
        if roll < 0.03:
            request = Poison(tenant, "malformed-json", '{"tenant_id": "' + tenant + '", "order_id": ')
        elif roll < 0.06:
            body = {**self._purchase(tenant).message_body(), "amount": "-3"}
            request = Poison(tenant, "validation-error", json.dumps(body))
        elif roll < 0.08:
            request = replace(self._purchase(tenant), tenant_id=UNKNOWN_TENANT)
        elif roll < 0.11 and self.accepted:
            earns = [request for request in self.accepted[-200:] if isinstance(request, Earn)]
            request = self._changed(self.rng.choice(earns)) if earns else self._purchase(tenant)
        else:
            request = self._purchase(tenant)
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
        deliveries = 0
        while len(self.queue):
            self._step(self._deliver)
            deliveries += 1
            if deliveries > 100_000:
                raise self._failure(
                    violation(DELIVERED_ONCE, f"the queue does not drain: {len(self.queue)} left")
                )
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
        self.report.counts["members"] = checked
        self.report.counts["messages sent"] = len(sent)
        return f"{len(sent)} messages settled, {checked} members re-read from scratch"


def describe(request: Request | Poison) -> str:
    if isinstance(request, Enroll):
        return f"enroll {request.tenant_id}/{request.member_id}" + (
            f" name={request.name}" if request.name else ""
        )
    if isinstance(request, Earn):
        return (
            f"purchase {request.tenant_id}/{request.order_id} member {request.member_id} "
            f"{request.amount} {request.currency}"
        )
    if isinstance(request, Refund):
        return f"refund {request.tenant_id}/{request.refund_id} of {request.order_id} {request.amount}"
    if isinstance(request, Adjust):
        return (
            f"adjust {request.tenant_id}/{request.adjustment_id} member {request.member_id} "
            f"{request.points:+d}"
        )
    return f"poison {request.problem} ({request.tenant_id})"


def _flatten(body: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name, value in body.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = value
    return flat
