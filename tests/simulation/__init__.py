"""Deterministic simulation of the ledger (issue 7), in the spirit of TigerBeetle's VOPR.

A seeded workload of enrolments, purchases (over the operations layer as the HTTP routes call it,
and as SQS batches into the real EarnFunction handler), refunds (partial, full, beyond the
purchase), adjustments (grants, deductions beyond what is available) and spending: catalog
redemptions (a reward with little stock, one with a per-member limit, one for the top tier only),
their cancellation and fulfilment, checkout holds (reserved, then captured whole or in part,
released or left to lapse; points of a captured order given back for a refund, sometimes past
the capture), coupons bought with points and used, lottery draws (rolls from a source seeded by the
draw id, prizes that run out); paid memberships (`memberships`: a cohort of echo's members buys
them, extends one in force, replays the same membership id, pays a wrong price, cancels; the tiers
run lapses them on their ends, and the member's tier, view and list are checked against a model of
the membership as a floor); with replays, conflicting replays and retries of lost calls. It
runs across five tenants (time zones from UTC-8 to UTC+14, one half an hour off; expiry policies
rolling, fixed, by days and never; a 3-day return window; a tier ladder reviewed on a date, with
grace; velocity rules on two of them, one withholding a busy member's earns past a weekly count,
one freezing a member past a daily sum of points, whose spends and captures are then refused
with member-frozen and whose later credits are withheld) and a growing crowd of members, under a
fake clock that moves at random; when the clock
passes their time, the scheduled runs run: the expiry run, the tiers run (each through one adapter
in simulator.py), the holds sweep, sometimes twice, sometimes cut short. Faults are injected at the
botocore layer: TransactionConflict cancellations, throttling, a response lost after a write
committed, a Lambda timeout in the middle of a batch (the invocation dies; SQS redelivers the whole
batch, as it does when a function times out); SQS duplicates, reorders and redelivers.

After every step that wrote, each member it touched is checked against the invariants (available
+ pending + held + withheld = sum of ledger entries = sum of the member's lots, its open holds'
lots and its withheld points;
held = the open holds' points; nothing negative; seq 1..version without holes; each natural id
applied at most once; refunds never take back more than the order earned; per-member and daily
limits never exceeded) and against an independent model of what a correct ledger holds; so are
the rewards, prizes and coupons it touched (stock never below zero, and stock taken = redemptions
not cancelled; a coupon used once, by its owner). What callers hear (answers, replays, refusals,
dead letters, what a run reports) is checked against the model too, and after a run that finished,
nothing due may be left (points past their last day, a review day come, a lapsed hold). At the end,
faults stop, lost calls are retried, the queue is drained, each run runs once more: every message
must be credited exactly once or dead-lettered, and everything is re-read from scratch.

Modules: `model` (the independent model), `memberships` (the membership steps and their model,
on a seeded RNG of their own), `workload` (tenants, catalogs, the requests shops send),
`wire` (commit journal, faults, dead-letter tap), `sqs` (SQS semantics and the real EarnFunction),
`observe` (the invariants, on raw table items), `simulator` (steps, scheduled runs, verdicts),
`emulator` (DynamoDB Local with a JVM tuned for short runs), `soak` (the long-run entry point).

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
