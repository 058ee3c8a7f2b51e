"""The benchmark table on DynamoDB Local: the template's table, one tenant with the default program,
and a fresh Context (own boto3 client, warm program cache) for each caller that asks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config

from infra.dynamodb_local import DynamoDBLocal
from infra.template_model import load_template
from loyalty.models.program import default_program
from loyalty.operations.context import Context, ProgramCache
from loyalty.store.ledger_store import LedgerStore
from loyalty.store.table import CLIENT_CONFIG
from loyalty.store.tenant_store import TenantStore

TABLE = "bench"
TENANT = "bench"


@dataclass(frozen=True)
class BenchTable:
    endpoint: str

    def client(self) -> Any:
        # The functions' own client settings, with a pool wide enough for a worker's thread.
        config = CLIENT_CONFIG.merge(Config(max_pool_connections=4))
        return boto3.client("dynamodb", endpoint_url=self.endpoint, config=config)

    def context(self, client: Any | None = None) -> Context:
        """A warm Lambda's Context: its own client, the program already cached."""
        client = client or self.client()
        tenants = TenantStore(TABLE, client)
        context = Context(
            ledger=LedgerStore(TABLE, client), tenants=tenants, programs=ProgramCache(tenants, 3600)
        )
        context.programs.get(TENANT)
        return context


@contextmanager
def bench_table() -> Iterator[BenchTable]:
    with DynamoDBLocal() as server:
        table = BenchTable(server.endpoint)
        client = table.client()
        spec = next(table for table in load_template().tables if table.logical_id == "LoyaltyTable")
        client.create_table(TableName=TABLE, **spec.create_table_kwargs)
        TenantStore(TABLE, client).create_tenant(TENANT, "Bench", default_program(), [], datetime.now(UTC))
        yield table
