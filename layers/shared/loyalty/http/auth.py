"""Who is calling, as the Lambda authorizer resolved it, and whether the key's scope allows it.

The authorizer lets every request with an Authorization header through, with the key's tenant
and scope in its context (or none for an unknown key), so 401 and 403 are answered here as
problem+json rather than as API Gateway's bare JSON."""

from __future__ import annotations

from typing import cast

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


def require(app: APIGatewayHttpResolver | Router, scope: Scope) -> Principal:
    event = cast(APIGatewayProxyEventV2, app.current_event)
    context = event.request_context.authorizer.get_lambda or {}
    tenant_id, key_scope, key_id = context.get("tenant_id"), context.get("scope"), context.get("key_id")
    if not tenant_id or key_scope not in ALLOWED["server"] | ALLOWED["operator"] or not key_id:
        raise UnauthorizedError("send a valid API key as 'Authorization: Bearer <key>'")
    if key_scope not in ALLOWED[scope]:
        raise ForbiddenError(f"this call needs a key with the {scope!r} scope")
    return Principal(tenant_id=str(tenant_id), scope=key_scope, key_id=str(key_id))
