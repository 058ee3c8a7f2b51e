"""The soak entry point: one long simulation on a DynamoDB Local of its own (`make soak`).

    SIM_OPERATIONS=200000 .venv/bin/python -m tests.simulation.soak        # default seed
    SIM_SEED=random SIM_OPERATIONS=200000 .venv/bin/python -m tests.simulation.soak
    SIM_SEED=<n> SIM_OPERATIONS=<m> .venv/bin/python -m tests.simulation.soak   # replay a failure

`SIM_DYNAMODB_ENDPOINT` uses a DynamoDB Local that is already running instead of starting one.
Exits 0 with a summary, or 1 with the failure (invariant, seed, step, how to replay).
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def prepare_environment() -> None:
    """What tests/conftest.py gives the test suites: fake credentials, a region, quiet powertools."""
    for path in (str(ROOT / "layers" / "shared"), str(ROOT)):
        if path not in sys.path:
            sys.path.insert(0, path)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ["AWS_ACCESS_KEY_ID"] = "testing"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    os.environ["POWERTOOLS_TRACE_DISABLED"] = "1"
    os.environ["POWERTOOLS_SERVICE_NAME"] = "loyalty"
    os.environ["POWERTOOLS_METRICS_NAMESPACE"] = "Loyalty"
    os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"  # dead letters log warnings by design
    os.environ.setdefault("TABLE_NAME", "loyalty-unset")
    warnings.filterwarnings("ignore", message="No application metrics to publish")


def main() -> int:
    prepare_environment()
    from tests.simulation.emulator import start_dynamodb_local
    from tests.simulation.simulator import SimConfig, SimulationFailure, run_simulation

    config = SimConfig.from_environment(operations=200_000, progress_every=10_000)
    print(f"simulation: seed {config.seed}, {config.operations} operations", flush=True)
    endpoint = os.environ.get("SIM_DYNAMODB_ENDPOINT")
    server = None if endpoint else start_dynamodb_local()
    try:
        report = run_simulation(config, endpoint or server.endpoint)  # type: ignore[union-attr]
    except SimulationFailure as failure:
        print(failure, file=sys.stderr, flush=True)
        return 1
    finally:
        if server is not None:
            server.stop()
    print(report.summary(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
