"""API Gateway (HTTP API) Lambda authorizer: resolves a bearer API key to its tenant and scope.

Simple responses, cached by API Gateway per Authorization header (ReauthorizeEvery in the
template): a revoked key may work until its cache entry ends. Unknown keys are let through with
an empty context so the function answers 401 as problem+json (API Gateway's own 401/403 bodies
are not problem+json and cannot be changed on HTTP APIs)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty.observability import logger
from loyalty.operations.context import default_context
from loyalty.operations.tenants import authenticate
from loyalty.settings import get_settings


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    key = authenticate(default_context(), headers.get("authorization"), get_settings().operator_key_sha256)
    if key is None:
        return {"isAuthorized": True, "context": {}}
    return {
        "isAuthorized": True,
        "context": {"tenant_id": key.tenant_id, "scope": key.scope, "key_id": key.key_id},
    }
