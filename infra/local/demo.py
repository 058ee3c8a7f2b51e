"""The demo tenant every local stack starts with, idempotently: tenant ``demo`` ("Demo Shop") with the
sample program, and its admin and server keys fixed by configuration.

A key whose value changed since the last start (a reused DynamoDB Local table) is revoked first,
so only the configured values work. These fixed keys exist only in the local stack.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime

from loyalty.errors import AlreadyExistsError, NotFoundError
from loyalty.models.program import default_program
from loyalty.operations.tenants import hash_key
from loyalty.store.tenant_store import ApiKeyRecord, TenantStore

TENANT_ID = "demo"
TENANT_NAME = "Demo Shop"


def seed_demo_tenant(table_name: str, admin_key: str, server_key: str) -> None:
    store = TenantStore(table_name)
    now = datetime.now(UTC)
    with suppress(AlreadyExistsError):
        store.create_tenant(TENANT_ID, TENANT_NAME, default_program(TENANT_NAME), [], now)
    for scope, key in (("admin", admin_key), ("server", server_key)):
        key_id = f"key_{TENANT_ID}_{scope}"
        with suppress(NotFoundError):
            store.revoke_key(TENANT_ID, key_id)
        store.put_api_key(
            ApiKeyRecord(
                key_id=key_id,
                tenant_id=TENANT_ID,
                scope=scope,
                key_hash=hash_key(key),
                name=f"local demo {scope} key",
            ),
            now,
        )
