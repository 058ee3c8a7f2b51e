"""The DynamoDB Local the simulation runs on: AWS's emulator as infra/dynamodb_local.py installs and
starts it, with the JVM tuned for runs of minutes.

A run of a few minutes spends most of DynamoDB Local's CPU in the JVM's optimising (C2) JIT
compiler; with C1 only (and the serial collector) the same 1,000 operations took half the wall
time on this 2-core machine. The emulator and its semantics are unchanged: only how the JVM runs.
"""

from __future__ import annotations

import os

from infra.dynamodb_local import DynamoDBLocal

JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


def start_dynamodb_local() -> DynamoDBLocal:
    saved = os.environ.get("JAVA_TOOL_OPTIONS")
    os.environ["JAVA_TOOL_OPTIONS"] = f"{saved} {JVM_OPTIONS}" if saved else JVM_OPTIONS
    try:
        return DynamoDBLocal().start()
    finally:
        if saved is None:
            os.environ.pop("JAVA_TOOL_OPTIONS", None)
        else:
            os.environ["JAVA_TOOL_OPTIONS"] = saved
