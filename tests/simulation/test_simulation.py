"""The bounded simulation run of the test suite, and the proof that a seed replays exactly.

Owns the gate `make test` passes through: SIM_OPERATIONS (default 10,000) operations with faults on
DynamoDB Local, every invariant checked after every step, and a check that the run really
exercised what it claims to: each kind of fault, redeliveries, dead letters and refusals; every
kind of spending (redemptions, their cancellation and fulfilment, holds captured, released and
lapsed, coupons bought and used, lottery draws) with its refusals (out of stock, limits, a tier's
reward, closed holds, unusable coupons); paid memberships bought, extended, replayed, refused
(wrong price, unknown plan, another body under the id), cancelled and lapsed; and scheduled runs
that expired points, reviewed tiers (raising and lowering) and released lapsed holds.
"""

from __future__ import annotations

from collections import Counter

from tests.simulation.simulator import SimConfig, run_simulation

FAULT_KINDS = {"conflict", "throttle-write", "throttle-read", "lost-response", "timeout"}
EARNING = (
    "records redelivered",
    "invocations ended early",
    "dead-lettered member-not-found",
    "dead-lettered idempotency-conflict",
    "dead-lettered malformed-json",
    "http 409 insufficient-points",
    "http 409 refund-exceeds-purchase",
    "http 201 replay",
    "http failed",
    "earns withheld by a velocity rule or a freeze",
    "members frozen by a velocity rule",
)
SPENDING = (
    "redemption 201",
    "redemption 201 replay",
    "redemption_cancel 200",
    "fulfil 200",
    "hold 201",
    "capture 200",
    "release 200",
    "coupon_issue 201",
    "coupon_use 200",
    "coupon_use 200 replay",
    "draw 201",
    "http 409 out-of-stock",
    "http 409 member-limit-reached",
    "http 409 reward-unavailable",
    "http 409 redemption-state",
    "http 409 hold-closed",
    "http 409 hold-order-mismatch",
    "hold_refund 201",
    "http 409 refund-exceeds-capture",
    "http 409 coupon-unusable",
    "http 409 member-frozen",
    "lapsed holds released by a spend or capture",
    "lapsed holds released by the sweep run",
    "tiers raised by an earn",
    "members expired by the expiry run",
    "expiry runs",
    "expiry runs that did not finish",
    "tiers runs",
    "sweep runs",
)
MEMBERSHIPS = (
    "membership buy 201",
    "membership extends one in force",
    "membership buy 200 replay",
    "membership buy 409 idempotency-conflict",
    "membership buy 422 price-mismatch",
    "membership buy 422 unknown-plan",
    "membership cancel 200",
    "membership cancel 200 replay",
)
AFTER_THE_REVIEW_DAY = (
    "members reviewed by the tiers run",
    "tiers lowered by the tiers run",
    "memberships lapsed by the tiers run",
    "membership cancel 409 membership-ended",
)


def test_given_a_seed_when_the_workload_runs_with_faults_then_every_invariant_holds_after_every_step(
    dynamodb_local,
):
    config = SimConfig.from_environment()

    report = run_simulation(config, dynamodb_local.endpoint)

    print(report.summary())
    assert report.operations == config.operations
    if config.operations >= 2_000:  # long enough that every kind of trouble must have happened
        assert set(report.faults) >= FAULT_KINDS, report.summary()
        for what in EARNING + SPENDING + MEMBERSHIPS:
            assert report.counts[what] > 0, f"{what!r} never happened: {report.summary()}"
    if report.simulated_days >= 120:  # past the ladder's review day (1 March) and its grace period
        for what in AFTER_THE_REVIEW_DAY:
            assert report.counts[what] > 0, f"{what!r} never happened: {report.summary()}"


def test_given_the_same_seed_when_the_simulation_runs_twice_then_both_runs_are_identical(dynamodb_local):
    first = run_simulation(SimConfig(seed=7, operations=120), dynamodb_local.endpoint)
    second = run_simulation(SimConfig(seed=7, operations=120), dynamodb_local.endpoint)
    other = run_simulation(SimConfig(seed=8, operations=120), dynamodb_local.endpoint)

    assert (second.digest, second.steps, second.faults, second.counts) == (
        first.digest,
        first.steps,
        first.faults,
        first.counts,
    )
    assert other.digest != first.digest


def test_given_seeds_when_the_stream_drains_through_the_report_aggregator_with_faults_then_liability_adds_up(
    dynamodb_local,
):
    # Given short runs with the table stream on, at two seeds; when the stream is counted into the
    # report aggregates with faults, retries, redeliveries and shards interleaved at random
    seen: Counter[str] = Counter()
    for seed in (7, 11):
        report = run_simulation(SimConfig(seed=seed, operations=400, reports=True), dynamodb_local.endpoint)
        # Then every tenant's reported liability and member count are its members' (checked in
        # the run)
        assert report.counts["tenants whose report liability was checked"] == 5
        seen.update({name: count for name, count in report.counts.items() if name.startswith("report ")})
    # And the delivery really was retried after faults and redelivered after successes
    assert seen["report batches delivered twice"] > 0
    assert seen["report batches failed and retried"] + seen["report batches partly failed"] > 0
