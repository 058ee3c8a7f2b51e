"""End-to-end tests against a real local stack: ``python -m infra.local`` started as a subprocess.

One stack serves the whole session, on free ports, with the documented default demo keys. It is
ready when ``GET /v1/health`` answers 200; if it does not come up within 90 s the session fails
with the stack's output (never a skip). At the end it gets SIGTERM and must exit 0 within 10 s.
Tests talk to it over real HTTP (requests) and to its queues through its AWS endpoint (boto3).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from infra.dynamodb_local import DynamoDBLocal, free_port
from tests.e2e.helpers import RunningStack

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 90
STOP_TIMEOUT = 10


def _wait_until_healthy(stack: RunningStack) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if stack.process.poll() is not None:
            pytest.fail(f"the local stack exited with {stack.process.returncode}:\n{stack.output()}")
        try:
            if requests.get(stack.url + "/v1/health", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.25)
    stack.process.kill()
    pytest.fail(f"the local stack was not healthy within {START_TIMEOUT} s:\n{stack.output()}")


@contextmanager
def running_stack(dynamodb_endpoint: str | None, *options: str) -> Iterator[RunningStack]:
    """`python -m infra.local` on free ports, its table on moto (the default) or DynamoDB Local;
    ``options`` are more command-line options (e.g. ``--persist``)."""
    port, aws_port = free_port(), free_port()
    env = {
        **os.environ,
        "LOYALTY_PORT": str(port),
        "LOYALTY_AWS_PORT": str(aws_port),
        "PYTHONUNBUFFERED": "1",
    }
    for name in (
        "LOYALTY_ADMIN_KEY",
        "LOYALTY_SERVER_KEY",
        "LOYALTY_OPERATOR_KEY",
        "LOYALTY_DYNAMODB_ENDPOINT",
        "LOYALTY_PERSIST",
        "LOYALTY_DATA_DIR",
    ):
        env.pop(name, None)  # the documented defaults
    arguments = ["--dynamodb-endpoint", dynamodb_endpoint] if dynamodb_endpoint else []
    arguments += options
    log_dir = Path(tempfile.mkdtemp(prefix="loyalty-e2e-"))
    log_path = log_dir / "stack.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "infra.local", *arguments],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    running = RunningStack(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{aws_port}", process, log_path)
    try:
        _wait_until_healthy(running)
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                pytest.fail(f"the local stack did not stop within {STOP_TIMEOUT} s:\n{running.output()}")
    assert process.returncode == 0, f"the local stack exited with {process.returncode}:\n{running.output()}"


@pytest.fixture(scope="session")
def stack() -> Iterator[RunningStack]:
    """The stack most e2e tests share. Its table is on DynamoDB Local: moto deep-copies the whole
    table on every transaction, so a long session on moto slows down as the table grows.
    `make run`'s default (moto) has its own tests in test_default_stack.py."""
    with DynamoDBLocal() as dynamodb, running_stack(dynamodb.endpoint) as running:
        yield running


@pytest.fixture(scope="session")
def sqs(stack: RunningStack) -> Any:
    return boto3.client(
        "sqs",
        endpoint_url=stack.aws_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture
def member(stack: RunningStack, unique: str) -> str:
    """A member of the demo tenant, enrolled with the default 100-point signup bonus."""
    member_id = f"m-{unique}"
    enrolled = stack.call("POST", "/v1/members", {"member_id": member_id, "name": "Ann"})
    assert enrolled.status_code == 201, enrolled.text
    return member_id
