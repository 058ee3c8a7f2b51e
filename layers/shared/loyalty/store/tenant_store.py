"""Reads and writes of tenants, their program document and their API keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from loyalty.errors import AlreadyExistsError, NotFoundError, ProgramChangedError, TransientError
from loyalty.models.program import Program
from loyalty.store import keys
from loyalty.store.codec import decode
from loyalty.store.table import Guarded, TableStore, delete, from_item, names, put, to_item, update, values


@dataclass(frozen=True)
class ApiKeyRecord:
    key_id: str
    tenant_id: str
    scope: str
    key_hash: str
    name: str | None = None


class TenantStore(TableStore):
    def ping(self) -> None:
        self.client.get_item(TableName=self.table_name, Key=to_item({"PK": "HEALTH", "SK": "HEALTH"}))

    def read_program(
        self, tenant_id: str, version: int | None = None, *, consistent: bool = False
    ) -> Program | None:
        """The current program, or one published version of it (versions are never changed).
        `consistent`: as last published (a strongly consistent read), not as a replica may still
        show it for a moment after a PUT."""
        sk = keys.PROGRAM_SK if version is None else keys.program_version_sk(version)
        response = self.client.get_item(
            TableName=self.table_name,
            Key=to_item({"PK": keys.tenant_pk(tenant_id), "SK": sk}),
            ConsistentRead=consistent,
        )
        item = response.get("Item")
        if not item:
            return None
        stored = from_item(item)
        return Program.model_validate_json(stored["document"])

    def publish_program(
        self,
        tenant_id: str,
        program: Program,
        expected_version: int,
        now: datetime,
        audit: Guarded | None = None,
    ) -> None:
        """Publish `program` (whose version is expected_version + 1) as current and as a kept version
        (with the audit log's entry of who did, in the same transaction)."""
        document = program.model_dump_json()
        self._transact(
            [
                update(
                    self.table_name,
                    {"PK": keys.tenant_pk(tenant_id), "SK": keys.PROGRAM_SK},
                    "SET #document = :document, #version = :version, #updated_at = :now",
                    "#version = :expected",
                    names("document", "version", "updated_at"),
                    values(
                        document=document,
                        version=program.version,
                        now=now.isoformat(),
                        expected=expected_version,
                    ),
                ),
                self._put(
                    {
                        "PK": keys.tenant_pk(tenant_id),
                        "SK": keys.program_version_sk(program.version),
                        "version": program.version,
                        "document": document,
                        "published_at": now.isoformat(),
                    }
                ),
                *([self._sunset_registered(tenant_id)] if program.sunset else []),
                *_audited(audit),
            ],
            ProgramChangedError("the program changed while this version was being published"),
        )

    def read_api_key(self, key_hash: str) -> ApiKeyRecord | None:
        response = self.client.get_item(
            TableName=self.table_name,
            Key=to_item({"PK": keys.api_key_pk(key_hash), "SK": keys.API_KEY_SK}),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return decode(ApiKeyRecord, from_item(item), key_hash=key_hash) if item else None

    def create_tenant(
        self,
        tenant_id: str,
        name: str,
        program: Program,
        api_keys: list[ApiKeyRecord],
        now: datetime,
        audit: Guarded | None = None,
    ) -> None:
        """Tenant, program and first keys in one transaction: a tenant never exists half made."""
        actions: list[dict[str, Any]] = [
            self._put(
                {
                    "PK": keys.tenant_pk(tenant_id),
                    "SK": keys.TENANT_SK,
                    "tenant_id": tenant_id,
                    "name": name,
                    "created_at": now.isoformat(),
                }
            ),
            self._put(
                {
                    "PK": keys.tenant_pk(tenant_id),
                    "SK": keys.PROGRAM_SK,
                    "version": program.version,
                    "document": program.model_dump_json(),
                    "updated_at": now.isoformat(),
                }
            ),
            self._put(
                {
                    "PK": keys.tenant_pk(tenant_id),
                    "SK": keys.program_version_sk(program.version),
                    "version": program.version,
                    "document": program.model_dump_json(),
                    "published_at": now.isoformat(),
                }
            ),
        ]
        actions.append(  # the operator's list of tenants (tenants made before it are not on it)
            self._put(
                {
                    "PK": keys.TENANTS_PK,
                    "SK": keys.tenant_registry_sk(tenant_id),
                    "tenant_id": tenant_id,
                    "name": name,
                    "created_at": now.isoformat(),
                }
            )
        )
        for api_key in api_keys:
            actions.extend(self._key_puts(api_key, now))
        actions.extend(_audited(audit))
        self._transact(actions, AlreadyExistsError(f"tenant {tenant_id!r} already exists"))

    def list_tenants(self) -> list[dict[str, Any]]:
        """Every tenant (id, name, created_at), by id: one small partition."""
        return self.query_all(
            {
                "KeyConditionExpression": "PK = :pk",
                "ExpressionAttributeValues": values(pk=keys.TENANTS_PK),
                "ConsistentRead": True,
            }
        )

    def list_keys(self, tenant_id: str) -> list[dict[str, Any]]:
        """The tenant's key references (id, scope, name, created_at; the hash stays in the table)."""
        return self.query_all(
            {
                "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
                "ExpressionAttributeValues": values(pk=keys.tenant_pk(tenant_id), prefix=keys.key_ref_sk("")),
                "ConsistentRead": True,
            }
        )

    def create_key(self, api_key: ApiKeyRecord, now: datetime, audit: Guarded | None = None) -> None:
        self._transact(
            [*self._key_puts(api_key, now), *_audited(audit)], AlreadyExistsError("key already exists")
        )

    def put_api_key(self, api_key: ApiKeyRecord, now: datetime) -> None:
        """Upsert a key whose value is fixed by configuration (the local stack's demo keys)."""
        for action in self._key_puts(api_key, now):
            put = action["Put"]
            self.client.put_item(TableName=put["TableName"], Item=put["Item"])

    def revoke_key(self, tenant_id: str, key_id: str, audit: Guarded | None = None) -> None:
        response = self.client.get_item(
            TableName=self.table_name,
            Key=to_item({"PK": keys.tenant_pk(tenant_id), "SK": keys.key_ref_sk(key_id)}),
            ConsistentRead=True,
        )
        item = response.get("Item")
        if not item:
            raise NotFoundError(f"key {key_id!r} not found")
        key_hash = from_item(item)["key_hash"]
        self._transact(
            [
                delete(
                    self.table_name,
                    {"PK": keys.tenant_pk(tenant_id), "SK": keys.key_ref_sk(key_id)},
                    "attribute_exists(PK)",
                ),
                delete(self.table_name, {"PK": keys.api_key_pk(key_hash), "SK": keys.API_KEY_SK}),
                *_audited(audit),
            ],
            NotFoundError(f"key {key_id!r} not found"),
        )

    def _key_puts(self, api_key: ApiKeyRecord, now: datetime) -> list[dict[str, Any]]:
        common = {
            "key_id": api_key.key_id,
            "tenant_id": api_key.tenant_id,
            "scope": api_key.scope,
            "name": api_key.name,
            "created_at": now.isoformat(),
        }
        return [
            self._put({"PK": keys.api_key_pk(api_key.key_hash), "SK": keys.API_KEY_SK, **common}),
            self._put(
                {
                    "PK": keys.tenant_pk(api_key.tenant_id),
                    "SK": keys.key_ref_sk(api_key.key_id),
                    "key_hash": api_key.key_hash,
                    **common,
                }
            ),
        ]

    def _sunset_registered(self, tenant_id: str) -> dict[str, Any]:
        # The sunset runs find tenants here rather than by scanning; an update keeps the steps done.
        return update(
            self.table_name,
            {"PK": keys.SUNSETS_PK, "SK": keys.sunset_sk(tenant_id)},
            "SET #tenant_id = :tenant_id",
            None,
            names("tenant_id"),
            values(tenant_id=tenant_id),
        )

    def _put(self, item: dict[str, Any]) -> dict[str, Any]:
        return put(self.table_name, item, "attribute_not_exists(PK)")

    def _transact(self, actions: list[dict[str, Any]], on_condition: Exception) -> None:
        cancelled = self.transact(actions)
        if cancelled is None:
            return
        if "ConditionalCheckFailed" in cancelled.codes:
            raise on_condition
        raise TransientError(f"the write lost a race: {cancelled.codes}")


def _audited(audit: Guarded | None) -> list[dict[str, Any]]:
    """The audit log's item of an admin or operator action, joining the action's transaction."""
    return [audit.action] if audit is not None else []
