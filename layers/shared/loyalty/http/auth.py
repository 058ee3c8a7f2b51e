"""Who is calling, as the Lambda authorizer resolved it, and whether the key's scope allows it.

The authorizer lets every request with an Authorization header through, with the key's tenant
and scope in its context (or none for an unknown key), so 401 and 403 are answered here as
problem+json rather than as API Gateway's bare JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
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
}


def principal_from(context: Mapping[str, Any] | None) -> Principal | None:
    """The caller the authorizer's context names, or None for a missing or unknown key."""
    context = context or {}
    tenant_id, key_scope, key_id = context.get("tenant_id"), context.get("scope"), context.get("key_id")
    if not tenant_id or key_scope not in ALLOWED["server"] | ALLOWED["operator"] or not key_id:
        return None
    return Principal(tenant_id=str(tenant_id), scope=key_scope, key_id=str(key_id))


def require(app: APIGatewayHttpResolver | Router, scope: Scope) -> Principal:
    event = cast(APIGatewayProxyEventV2, app.current_event)
    principal = principal_from(event.request_context.authorizer.get_lambda)
    if principal is None:
        raise UnauthorizedError(UNAUTHORIZED)
    if principal.scope not in ALLOWED[scope]:
        raise ForbiddenError(f"this call needs a key with the {scope!r} scope")
    return replace(principal, request_id=event.request_context.request_id or "")


UNAUTHORIZED = "send a valid API key as 'Authorization: Bearer <key>'"
