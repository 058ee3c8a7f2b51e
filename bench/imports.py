"""Cold import of each function module (plus its first DynamoDB client) against a bare
`import boto3` + client, as a ratio of medians of fresh interpreters in one run.

Each interpreter reports the CPU time (`time.process_time`) its imports took: on a machine
shared with other jobs wall time mostly measures the neighbours, and a cold import from a warm
page cache is CPU-bound.

Measured twice for the earn function: as tests and the local stack run it (tracing disabled, so
the X-Ray SDK is never imported), and as Lambda runs it with `Tracing: Active` (LAMBDA_TASK_ROOT
set): there powertools' Tracer imports the X-Ray SDK and patches botocore, and that cost is real.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys

from bench import ROOT

FUNCTIONS = ("earn", "members", "admin", "authorizer", "event_publisher")
BARE = "import boto3; boto3.client('dynamodb')"


def import_seconds(statement: str, *, traced: bool = False) -> float:
    code = (
        "import sys, time; sys.path[:0] = [{root!r}, {layer!r}]; start = time.process_time(); {statement}; "
        "print(time.process_time() - start)"
    ).format(root=str(ROOT), layer=str(ROOT / "layers" / "shared"), statement=statement)
    env = dict(os.environ)
    if traced:
        env.pop("POWERTOOLS_TRACE_DISABLED", None)
        env["LAMBDA_TASK_ROOT"] = str(ROOT)
    output = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT, env=env
    )
    return float(output.stdout.strip().splitlines()[-1])


def measure_imports(runs: int = 7, functions: tuple[str, ...] = FUNCTIONS) -> list[tuple[str, float, float]]:
    """(label, median seconds, ratio to bare boto3 + client) for each function module."""
    baseline = statistics.median(import_seconds(BARE) for _ in range(runs))
    rows = [("bare `import boto3` + DynamoDB client", baseline, 1.0)]
    for function in functions:
        statement = f"import functions.{function}.app; {BARE}"
        median = statistics.median(import_seconds(statement) for _ in range(runs))
        rows.append((f"functions/{function} (+ its DynamoDB client)", median, median / baseline))
    if "earn" in functions:
        statement = f"import functions.earn.app; {BARE}"
        median = statistics.median(import_seconds(statement, traced=True) for _ in range(runs))
        rows.append(("functions/earn in Lambda, X-Ray tracing on", median, median / baseline))
    return rows
