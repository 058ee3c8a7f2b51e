"""Fixtures of the simulation suite: one DynamoDB Local for the session (the judge; never skipped)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.dynamodb_local import DynamoDBLocal
from tests.simulation.emulator import start_dynamodb_local


@pytest.fixture(scope="session")
def dynamodb_local() -> Iterator[DynamoDBLocal]:
    server = start_dynamodb_local()
    yield server
    server.stop()
