"""The harness catches a broken ledger: each test sabotages one commit and expects the failure.

Owns the proof that the checks can fail. Each sabotage is a botocore hook on the ledger's own
DynamoDB client that corrupts exactly one transaction in the middle of a fixed-seed run (never
the product's code); the run must stop with a `SimulationFailure` naming the invariant, the seed
and the step, and telling how to replay it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from tests.simulation.observe import AT_MOST_ONCE, BALANCE_IS_LEDGER, LEDGER_IS_LOTS, MATCHES_MODEL
from tests.simulation.simulator import SimConfig, SimulationFailure, run_simulation

SEED = 4242
AT_COMMIT = 120  # well into the run: members have history, the queue is busy


def _entry_put(items: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The Put of the ledger entry in a ledger transaction (None in any other transaction)."""
    for item in items:
        if item.get("Put", {}).get("Item", {}).get("SK", {}).get("S", "").startswith("LEDGER#"):
            return item
    return None


class OnceAfter:
    """Due at the n-th ledger transaction and every one after it, until the sabotage is `done`."""

    def __init__(self, commit: int) -> None:
        self.commit, self.seen, self.done = commit, 0, False

    def due(self, items: list[dict[str, Any]]) -> bool:
        if self.done or _entry_put(items) is None:
            return False
        self.seen += 1
        return self.seen >= self.commit


def drop_ledger_entry(at_commit: int):
    """A commit that silently leaves out its ledger-entry Put (the balance and lots still change)."""
    trigger = OnceAfter(at_commit)

    def hook(params: dict[str, Any], **_: Any) -> None:
        items = params.get("TransactItems", [])
        if not trigger.due(items):
            return
        entry = _entry_put(items)
        if int(entry["Put"]["Item"]["points"]["N"]) == 0:
            return  # a zero-point entry would unbalance nothing: corrupt the next one instead
        items.remove(entry)
        trigger.done = True

    return lambda client: client.meta.events.register(
        "before-parameter-build.dynamodb.TransactWriteItems", hook
    )


def double_lot_credit(at_commit: int):
    """A credit whose lot gets twice the points its ledger entry and balance say.

    Lots live in the member item's `lots` map (or, in an older layout, in lot items updated with
    `ADD #remaining :points`): either way one lot of the transaction is inflated."""
    trigger = OnceAfter(at_commit)

    def hook(params: dict[str, Any], **_: Any) -> None:
        items = params.get("TransactItems", [])
        entry = _entry_put(items)
        if entry is None or int(entry["Put"]["Item"]["points"]["N"]) <= 0 or not trigger.due(items):
            return
        for item in items:
            if "ADD #remaining" in item.get("Update", {}).get("UpdateExpression", ""):
                points = item["Update"]["ExpressionAttributeValues"][":points"]
                points["N"] = str(int(points["N"]) * 2)
                trigger.done = True
                return
            lots = item.get("Put", {}).get("Item", {}).get("lots") or item.get("Update", {}).get(
                "ExpressionAttributeValues", {}
            ).get(":lots")
            if lots and lots.get("M"):
                lot = next(iter(lots["M"].values()))
                lot["N"] = str(int(lot["N"]) * 2)
                trigger.done = True
                return

    return lambda client: client.meta.events.register(
        "before-parameter-build.dynamodb.TransactWriteItems", hook
    )


def drop_operation_record(at_commit: int):
    """A commit without its idempotency record: nothing stops a redelivery from crediting again."""
    trigger = OnceAfter(at_commit)

    def hook(params: dict[str, Any], **_: Any) -> None:
        items = params.get("TransactItems", [])
        if trigger.due(items):
            items[:] = [
                item
                for item in items
                if "#OP#" not in item.get("Put", {}).get("Item", {}).get("PK", {}).get("S", "")
            ]
            trigger.done = True

    return lambda client: client.meta.events.register(
        "before-parameter-build.dynamodb.TransactWriteItems", hook
    )


def swallow_commit(at_commit: int):
    """A commit acknowledged with HTTP 200 that never reached the table: consistent, but wrong."""
    trigger = OnceAfter(at_commit)

    def hook(model: Any, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if model.name != "TransactWriteItems" or not trigger.due(json.loads(params["body"])["TransactItems"]):
            return None
        trigger.done = True
        return AWSResponse("http://dynamodb.invalid", 200, {}, None), {}

    # After the harness's own before-call hook (same event, registered later): it still journals it.
    return lambda client: client.meta.events.register("before-call.dynamodb", hook)


@pytest.mark.parametrize(
    ("sabotage", "invariant"),
    [
        pytest.param(drop_ledger_entry, BALANCE_IS_LEDGER, id="dropped-ledger-entry"),
        pytest.param(double_lot_credit, LEDGER_IS_LOTS, id="doubled-lot-credit"),
        pytest.param(drop_operation_record, AT_MOST_ONCE, id="idempotency-record-left-out"),
        pytest.param(swallow_commit, MATCHES_MODEL, id="acknowledged-but-lost-commit"),
    ],
)
def test_given_one_corrupted_commit_when_the_simulation_runs_then_it_fails_naming_invariant_seed_and_step(
    dynamodb_local, sabotage, invariant
):
    config = SimConfig(seed=SEED, operations=1_000)

    with pytest.raises(SimulationFailure) as failed:
        run_simulation(config, dynamodb_local.endpoint, sabotage=sabotage(AT_COMMIT))

    message = str(failed.value)
    assert failed.value.invariant == invariant, message
    assert failed.value.seed == SEED
    assert f"invariant violated: {invariant}" in message
    assert f"seed {SEED}, step {failed.value.step} " in message
    assert f"SIM_SEED={SEED} " in message
    assert failed.value.step < 400, "the corruption is caught at the step that made it, not at the end"


def test_given_no_sabotage_when_the_same_seed_runs_then_it_passes(dynamodb_local):
    report = run_simulation(SimConfig(seed=SEED, operations=300), dynamodb_local.endpoint)

    assert report.steps > 300
