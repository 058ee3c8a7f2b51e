"""`make run ARGS=--persist`: the data outlives the stack. Stopped with SIGTERM and started again on
the same data folder, the stack finds its members and balances, the demo tenant and keys are set
up again without error, and the table stream goes on from where it stopped (nothing published twice)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from infra.dynamodb_local import free_port
from tests.e2e.conftest import ROOT, running_stack
from tests.e2e.helpers import RunningStack, eventually


def events_of(stack: RunningStack, member_id: str) -> list[dict[str, Any]]:
    return stack.events(member_id)


def test_members_and_balances_outlive_a_restart_with_the_persist_option(tmp_path):
    data_dir = str(tmp_path / "local-data")

    # Given a stack keeping its data, where a member enrolled and bought
    with running_stack(None, "--persist", "--data-dir", data_dir) as stack:
        assert stack.call("POST", "/v1/members", {"member_id": "kept"}).status_code == 201
        order = {"order_id": "kept-o1", "member_id": "kept", "amount": "129.90", "currency": "CNY"}
        assert stack.call("POST", "/v1/purchases", order).json()["points_earned"] == 129
        eventually(
            lambda: len([e for e in events_of(stack, "kept") if e["detail-type"] == "points.earned"]) == 2
        )

        # (and a second stack on the same data is refused at once, with the reason)
        ports = {"LOYALTY_PORT": str(free_port()), "LOYALTY_AWS_PORT": str(free_port())}
        second = subprocess.run(
            [sys.executable, "-m", "infra.local", "--persist", "--data-dir", data_dir],
            cwd=ROOT,
            env={**os.environ, **ports},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 1
        assert "another local stack keeps its data in" in second.stderr
        assert "Traceback" not in second.stderr

    # When it is stopped (SIGTERM, above) and started again on the same data
    with running_stack(None, "--persist", "--data-dir", data_dir) as stack:
        # Then the member, the balance and the ledger are still there
        member = stack.call("GET", "/v1/members/kept")
        assert member.status_code == 200, member.text
        assert member.json()["balance"]["available"] == 229
        entries = stack.call("GET", "/v1/members/kept/transactions").json()["items"]
        assert sorted(entry["points"] for entry in entries) == [100, 129]

        # And the replayed purchase is still a replay, and new members are published as before
        replay = {"order_id": "kept-o1", "member_id": "kept", "amount": "129.90", "currency": "CNY"}
        replayed = stack.call("POST", "/v1/purchases", replay)
        assert (replayed.status_code, replayed.json()["points_earned"]) == (201, 129), replayed.text
        assert stack.call("GET", "/v1/members/kept").json()["balance"]["available"] == 229
        assert stack.call("POST", "/v1/members", {"member_id": "new-after-restart"}).status_code == 201
        eventually(lambda: events_of(stack, "new-after-restart"))

        # But nothing the first run published comes again
        assert events_of(stack, "kept") == []
        assert "Traceback" not in stack.output()
