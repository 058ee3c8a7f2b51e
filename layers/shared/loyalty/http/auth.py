"""Who is calling, as the Lambda authorizer resolved it, and whether the key's scope allows it.

The authorizer lets every request with an Authorization header through, with the key's tenant
and scope in its context (or none for an unknown key), so 401 and 403 are answered here as
problem+json rather than as API Gateway's bare JSON.

A member token resolves to scope `member` with its member id and expiry: it reaches the `/v1/me`
routes only (`require_member`), every other route answers it 403 and the `/v1/me` routes answer
an API key 403. API Gateway caches the authorizer's answer per Authorization header, so the expiry
is checked again here, on every request: a token never outlives its `exp` by the cache's TTL."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, cast

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from loyalty.errors import ForbiddenError, UnauthorizedError
from loyalty.operations.context import Principal, Scope

ALLOWED: dict[Scope, frozenset[str]] = {
    "server": frozenset({"server", "admin"}),
    "admin": frozenset({"admin"}),
    "operator": frozenset({"operator"}),
    "member": frozenset({"member"}),
}


def principal_from(
    context: Mapping[str, Any] | None, clock: Callable[[], float] = time.time
) -> Principal | None:
    """The caller the authorizer's context names, or None for a missing or unknown key, or a member
    token that is altered or has expired (even if the authorizer's answer is still cached)."""
    context = context or {}
    tenant_id, key_scope, key_id = context.get("tenant_id"), context.get("scope"), context.get("key_id")
    if not tenant_id or not key_id:
        return None
    if key_scope == "member":
        member_id, expires_at = context.get("member_id"), context.get("expires_at")
        if not member_id or not str(expires_at).isdigit() or int(str(expires_at)) <= clock():
            return None
        return Principal(
            tenant_id=str(tenant_id), scope="member", key_id=str(key_id), member_id=str(member_id)
        )
    if key_scope not in ALLOWED["server"] | ALLOWED["operator"]:
        return None
    return Principal(tenant_id=str(tenant_id), scope=key_scope, key_id=str(key_id))


def _caller(app: APIGatewayHttpResolver | Router) -> Principal:
    event = cast(APIGatewayProxyEventV2, app.current_event)
    principal = principal_from(event.request_context.authorizer.get_lambda)
    if principal is None:
        raise UnauthorizedError(UNAUTHORIZED)
    return principal


def require(app: APIGatewayHttpResolver | Router, scope: Scope) -> Principal:
    principal = _caller(app)
    if principal.scope == "member":
        raise ForbiddenError("a member token reaches the /v1/me routes only")
    if principal.scope not in ALLOWED[scope]:
        raise ForbiddenError(f"this call needs a key with the {scope!r} scope")
    return principal


def require_member(app: APIGatewayHttpResolver | Router) -> tuple[Principal, str]:
    """The caller of a /v1/me route and the one member its token is good for."""
    principal = _caller(app)
    if principal.scope != "member" or principal.member_id is None:
        raise ForbiddenError("the /v1/me routes take a member token, not an API key")
    return principal, principal.member_id


MEMBER_ROUTES_ONLY = "a member token reaches the /v1/me routes only, and they take nothing else"
UNAUTHORIZED = "send a valid API key or an unexpired member token as 'Authorization: Bearer <key>'"
