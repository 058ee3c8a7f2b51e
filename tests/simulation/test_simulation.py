"""The bounded simulation run of the test suite, and the proof that a seed replays exactly.

Owns the gate `make test` passes through: SIM_OPERATIONS (default 10,000) operations with faults on
DynamoDB Local, every invariant checked after every step, and a check that the run really
exercised what it claims to (each kind of fault, redeliveries, dead letters, refusals).
"""

from __future__ import annotations

from tests.simulation.simulator import SimConfig, run_simulation

FAULT_KINDS = {"conflict", "throttle-write", "throttle-read", "lost-response", "timeout"}


def test_given_a_seed_when_the_workload_runs_with_faults_then_every_invariant_holds_after_every_step(
    dynamodb_local,
):
    config = SimConfig.from_environment()

    report = run_simulation(config, dynamodb_local.endpoint)

    print(report.summary())
    assert report.operations == config.operations
    if config.operations >= 2_000:  # long enough that every kind of trouble must have happened
        assert set(report.faults) >= FAULT_KINDS, report.summary()
        for what in (
            "records redelivered",
            "invocations ended early",
            "dead-lettered member-not-found",
            "dead-lettered idempotency-conflict",
            "dead-lettered malformed-json",
            "http 409 insufficient-points",
            "http 409 refund-exceeds-purchase",
            "http 201 replay",
            "http failed",
        ):
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
