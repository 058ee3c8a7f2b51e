"""Every integration test runs twice: DynamoDB on moto, and on DynamoDB Local (AWS's emulator).

DynamoDB Local is installed and started by infra/dynamodb_local.py; if it cannot start, the
tests error out loudly. They are never skipped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.dynamodb_local import DynamoDBLocal
from tests.support.api import Api, Tenant, create_tenant, make_api
from tests.support.backends import Aws, aws_environment
from tests.support.clock import FakeClock

BACKENDS = ["moto", "dynamodb-local"]


@pytest.fixture(scope="session")
def dynamodb_local() -> Iterator[DynamoDBLocal]:
    server = DynamoDBLocal().start()
    yield server
    server.stop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def aws(backend: str, request: pytest.FixtureRequest) -> Iterator[Aws]:
    endpoint = request.getfixturevalue("dynamodb_local").endpoint if backend == "dynamodb-local" else None
    # The table stream only for the tests that read it (@pytest.mark.stream): a stream slows every
    # later write on DynamoDB Local, and every transaction on moto.
    stream = request.node.get_closest_marker("stream") is not None
    with aws_environment(backend, endpoint, stream=stream) as environment:
        yield environment


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def api(aws: Aws) -> Api:
    return make_api()


@pytest.fixture
def shop(api: Api) -> Tenant:
    return create_tenant(api, "acme")


@pytest.fixture
def rival(api: Api) -> Tenant:
    return create_tenant(api, "rival")


@pytest.fixture
def context(aws, clock):
    """Operations on the test table for tenant `shop` (the sample program), with a clock tests move."""
    from loyalty.models.program import default_program
    from loyalty.operations.context import Context, ProgramCache
    from loyalty.store.ledger_store import LedgerStore
    from loyalty.store.tenant_store import TenantStore

    tenants = TenantStore(aws.table_name)
    tenants.create_tenant("shop", "Shop", default_program("Shop"), [], clock())
    return Context(
        ledger=LedgerStore(aws.table_name),
        tenants=tenants,
        programs=ProgramCache(tenants, 0),
        clock=clock,
        sleep=lambda seconds: None,
    )
