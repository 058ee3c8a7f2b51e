"""Deterministic simulation of the ledger (issue 7), in the spirit of TigerBeetle's VOPR.

A seeded workload of enrolments, purchases (over the operations layer as the HTTP routes call it,
and as SQS batches into the real EarnFunction handler), refunds (partial, full, beyond the
purchase) and adjustments (grants, deductions beyond what is available), with replays,
conflicting replays and retries of lost calls, runs across four tenants (time zones from UTC-8
to UTC+14, expiry policies rolling, fixed and never, one with a 3-day return window) and a growing
crowd of members, under a fake clock that moves at random. Faults are injected at the botocore
layer: TransactionConflict cancellations, throttling, a response lost after the transaction
committed, a Lambda timeout in the middle of a batch (the invocation dies; SQS redelivers the whole
batch, as it does when a function times out); SQS duplicates, reorders and redelivers.

After every step that wrote, each member it touched is checked against the invariants (available
+ pending = sum of ledger entries = sum of lots; nothing negative; seq 1..version without holes;
each natural id applied at most once; refunds never take back more than the order earned) and
against an independent model of what a correct ledger holds; what callers hear (answers,
replays, refusals, dead letters) is checked against the model too. At the end, faults stop, lost
calls are retried and the queue is drained: every message must be credited exactly once or
dead-lettered, and every member is re-read from scratch.

Modules: `model` (the independent model), `wire` (commit journal, faults, dead-letter tap),
`sqs` (SQS semantics and the real EarnFunction), `observe` (the invariants, on raw table items),
`simulator` (workload, steps, verdicts), `emulator` (DynamoDB Local with a JVM tuned for short
runs), `soak` (the long-run entry point).

Running it (on DynamoDB Local, the judge):

    .venv/bin/python -m pytest tests/simulation -q                   # 10,000 operations, fixed seed
    SIM_SEED=random .venv/bin/python -m pytest tests/simulation -q   # a fresh seed (printed on failure)
    SIM_OPERATIONS=200000 .venv/bin/python -m tests.simulation.soak  # the soak: `make soak`

A failure names the invariant, the seed and the step, and prints the command that replays it:
`SIM_SEED=<n> SIM_OPERATIONS=<m>` reproduces the same run exactly (one `random.Random(seed)` makes
every choice; the product runs on one thread with the fake clock and no sleeping; a run's digest
is the same on every replay). For the integrator, `make soak` is `$(PY) -m tests.simulation.soak`
after `ddblocal`; `SIM_DYNAMODB_ENDPOINT` points it at a DynamoDB Local already running.
"""
