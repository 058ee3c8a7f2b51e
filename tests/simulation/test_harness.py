"""The harness catches a broken ledger: each test sabotages commits and expects the failure.

Owns the proof that the checks can fail. Each sabotage is a botocore hook on the ledger's own
DynamoDB client that corrupts a transaction in the middle of a fixed-seed run (never the product's
code): a ledger entry, a lot, an idempotency record or a whole commit lost, or a redemption that
takes a reward's stock twice or past zero. The run must stop with a `SimulationFailure` naming the
invariant, the seed and the step, and telling how to replay it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from tests.simulation.memberships import MEMBERSHIP_ONCE
from tests.simulation.observe import (
    AT_MOST_ONCE,
    BALANCE_IS_LEDGER,
    LEDGER_IS_LOTS,
    MATCHES_MODEL,
    STOCK_KEPT,
)
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
    """Due at the n-th ledger transaction and every one after it, until a sabotaged one committed
    (a fault may stop the one sabotaged first: the corruption must reach the table)."""

    def __init__(self, commit: int) -> None:
        self.commit, self.seen, self.done, self.applied = commit, 0, False, False

    def due(self, items: list[dict[str, Any]]) -> bool:
        if self.done or _entry_put(items) is None:
            return False
        self.seen += 1
        return self.seen >= self.commit

    def install(self, sabotage: Any):
        """Registers `sabotage` (which sets `applied` when it corrupted the request) on a client."""

        def fresh(**_: Any) -> None:
            self.applied = False

        def committed(http_response: Any, **_: Any) -> None:
            self.done = self.done or (self.applied and http_response.status_code == 200)

        def register(client: Any) -> None:
            client.meta.events.register("before-parameter-build.dynamodb.TransactWriteItems", fresh)
            client.meta.events.register("before-parameter-build.dynamodb.TransactWriteItems", sabotage)
            client.meta.events.register("after-call.dynamodb.TransactWriteItems", committed)

        return register


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
        trigger.applied = True

    return trigger.install(hook)


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
                trigger.applied = True
                return
            lots = item.get("Put", {}).get("Item", {}).get("lots") or item.get("Update", {}).get(
                "ExpressionAttributeValues", {}
            ).get(":lots")
            if lots and lots.get("M"):
                lot = next(iter(lots["M"].values()))
                lot["N"] = str(int(lot["N"]) * 2)
                trigger.applied = True
                return

    return trigger.install(hook)


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
            trigger.applied = True

    return trigger.install(hook)


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


def take_stock(times: int, unconditionally: bool):
    """From the second redemption of a reward with limited stock on, the stock update takes
    `times` x the quantity; `unconditionally` drops its condition (enough left), so the stock may
    go below zero. The rest of the transaction (points, the member's count) stays right."""
    seen = [0]

    def hook(params: dict[str, Any], **_: Any) -> None:
        for item in params.get("TransactItems", []):
            update = item.get("Update", {})
            taking = "#stock = #stock - :quantity" in update.get("UpdateExpression", "")
            if not taking or not update["Key"]["SK"]["S"].startswith("REWARD#"):
                continue
            seen[0] += 1
            if seen[0] >= 2:  # every attempt from then on: a faulted one is retried with the same
                quantity = update["ExpressionAttributeValues"][":quantity"]
                quantity["N"] = str(int(quantity["N"]) * times)
                if unconditionally:
                    update["ConditionExpression"] = "#revision = :revision"

    return lambda client: client.meta.events.register(
        "before-parameter-build.dynamodb.TransactWriteItems", hook
    )


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


@pytest.mark.parametrize(
    "sabotage",
    [
        pytest.param(take_stock(2, unconditionally=False), id="stock-taken-twice"),
        pytest.param(take_stock(1_000, unconditionally=True), id="stock-below-zero"),
    ],
)
def test_given_a_store_that_breaks_the_stock_when_the_simulation_runs_then_it_fails_naming_the_seed(
    dynamodb_local, sabotage
):
    config = SimConfig(seed=SEED, operations=1_000)

    with pytest.raises(SimulationFailure) as failed:
        run_simulation(config, dynamodb_local.endpoint, sabotage=sabotage)

    message = str(failed.value)
    assert failed.value.invariant == STOCK_KEPT, message
    assert f"invariant violated: {STOCK_KEPT}" in message
    assert "[redeem]" in message.splitlines()[1], "caught at the redemption that broke it"
    assert f"seed {SEED}, step {failed.value.step} " in message
    assert f"SIM_SEED={SEED} " in message


def test_given_no_sabotage_when_the_same_seed_runs_then_it_passes(dynamodb_local):
    report = run_simulation(SimConfig(seed=SEED, operations=300), dynamodb_local.endpoint)

    assert report.steps > 300


def drop_membership_record(client: Any) -> None:
    """A store that leaves a membership's own record out of its purchase from the third one on
    (the member's tier still moves): a replay would buy it again, and the list never shows it."""
    seen = [0]

    def hook(params: dict[str, Any], **_: Any) -> None:
        items = params.get("TransactItems", [])
        for index, item in enumerate(items):
            if item.get("Put", {}).get("Item", {}).get("SK", {}).get("S", "").startswith("MEMBERSHIP#"):
                seen[0] += 1
                if seen[0] >= 3:
                    del items[index]
                return

    client.meta.events.register("before-parameter-build.dynamodb.TransactWriteItems", hook)


def test_given_a_store_that_loses_membership_records_when_the_simulation_runs_then_it_fails_at_the_purchase(
    dynamodb_local,
):
    config = SimConfig(seed=SEED, operations=1_000)

    with pytest.raises(SimulationFailure) as failed:
        run_simulation(config, dynamodb_local.endpoint, sabotage=drop_membership_record)

    message = str(failed.value)
    assert failed.value.invariant == MEMBERSHIP_ONCE, message
    assert "buy membership" in message.splitlines()[1], "caught at the purchase that lost it"
    assert f"SIM_SEED={SEED} " in message
