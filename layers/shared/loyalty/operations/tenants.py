"""Tenants and their API keys: creation by the platform operator, issue and revocation by admins."""

from __future__ import annotations

import hashlib
import secrets

from loyalty.errors import NotFoundError
from loyalty.models.api import (
    KeyCreatedResponse,
    KeyCreateRequest,
    KeysPage,
    TenantCreatedResponse,
    TenantCreateRequest,
    TenantsPage,
)
from loyalty.models.program import default_program
from loyalty.operations.audit import audit_entry
from loyalty.operations.context import Context, Outcome, Principal
from loyalty.store.tenant_store import ApiKeyRecord


def hash_key(key: str) -> str:
    # Keys are 256-bit random secrets, so a plain sha256 is enough (no slow KDF needed) and lets
    # the authorizer find a key with one GetItem.
    return hashlib.sha256(key.encode()).hexdigest()


def new_key(tenant_id: str, scope: str, name: str | None = None) -> tuple[str, ApiKeyRecord]:
    key = f"lk_{scope}_{secrets.token_urlsafe(32)}"
    record = ApiKeyRecord(
        key_id=f"key_{secrets.token_hex(8)}",
        tenant_id=tenant_id,
        scope=scope,
        key_hash=hash_key(key),
        name=name,
    )
    return key, record


def create_tenant(
    context: Context, request: TenantCreateRequest, operator: Principal | None = None
) -> Outcome:
    """The tenant, its program and first keys; the operator's action in the new tenant's audit log."""
    admin_key, admin_record = new_key(request.tenant_id, "admin", "first admin key")
    server_key, server_record = new_key(request.tenant_id, "server", "first server key")
    now = context.clock()
    audit = None
    if operator is not None:
        entry = audit_entry(operator, "tenant.created", now, name=request.name)
        audit = context.audit.put(request.tenant_id, entry)
    context.tenants.create_tenant(
        request.tenant_id,
        request.name,
        default_program(request.name),
        [admin_record, server_record],
        now,
        audit,
    )
    body = TenantCreatedResponse(
        tenant_id=request.tenant_id, name=request.name, admin_key=admin_key, server_key=server_key
    )
    return Outcome(201, body.model_dump(mode="json"))


def create_key(context: Context, principal: Principal, request: KeyCreateRequest) -> Outcome:
    key, record = new_key(principal.tenant_id, request.scope, request.name)
    now = context.clock()
    entry = audit_entry(
        principal, "key.created", now, key_id=record.key_id, scope=record.scope, name=record.name
    )
    context.tenants.create_key(record, now, context.audit.put(principal.tenant_id, entry))
    body = KeyCreatedResponse(
        key_id=record.key_id, scope=record.scope, name=record.name, key=key, created_at=now
    )
    return Outcome(201, body.model_dump(mode="json", exclude_none=True))


def list_tenants(context: Context) -> Outcome:
    page = TenantsPage.model_validate({"items": context.tenants.list_tenants()})
    return Outcome(200, page.model_dump(mode="json"))


def list_keys(context: Context, principal: Principal) -> Outcome:
    page = KeysPage.model_validate({"items": context.tenants.list_keys(principal.tenant_id)})
    return Outcome(200, page.model_dump(mode="json"))


def revoke_key(context: Context, principal: Principal, key_id: str) -> Outcome:
    if not key_id.startswith("key_"):
        raise NotFoundError(f"key {key_id!r} not found")
    entry = audit_entry(principal, "key.revoked", context.clock(), key_id=key_id)
    context.tenants.revoke_key(principal.tenant_id, key_id, context.audit.put(principal.tenant_id, entry))
    return Outcome(204, {})


def authenticate(
    context: Context, authorization: str | None, operator_key_sha256: str
) -> ApiKeyRecord | None:
    """The key behind an `Authorization: Bearer <key>` header, or None for a missing or unknown key."""
    if not authorization:
        return None
    scheme, _, key = authorization.strip().partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key or len(key) > 200 or not key.isascii():
        return None
    digest = hash_key(key)
    if operator_key_sha256 and secrets.compare_digest(digest, operator_key_sha256):
        return ApiKeyRecord(key_id="operator", tenant_id="*", scope="operator", key_hash=digest)
    return context.tenants.read_api_key(digest)
