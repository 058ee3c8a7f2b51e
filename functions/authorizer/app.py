"""API Gateway (HTTP API) Lambda authorizer: resolves a bearer API key to its tenant and scope, or a
member token (`lmt1.` prefix) to its tenant and member (scope `member`).

Simple responses, cached by API Gateway per Authorization header (ReauthorizeEvery in the
template): a revoked key may work until its cache entry ends; a member token's expiry is passed
in the context and checked again by the function on every request, so caching never extends it.
Unknown keys and altered or expired tokens are let through with an empty context so the function
answers 401 as problem+json (API Gateway's own 401/403 bodies are not problem+json and cannot be
changed on HTTP APIs)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty.domain.member_tokens import looks_like_member_token
from loyalty.observability import logger
from loyalty.operations.context import default_context
from loyalty.operations.member_tokens import TokenVerifier
from loyalty.operations.tenants import authenticate
from loyalty.settings import get_settings

VERIFIER = TokenVerifier(default_context)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    authorization = headers.get("authorization") or ""
    scheme, _, credential = authorization.strip().partition(" ")
    if scheme.lower() == "bearer" and looks_like_member_token(credential.strip()):
        claims = VERIFIER.verify(credential.strip())
        if claims is None:
            return {"isAuthorized": True, "context": {}}
        return {
            "isAuthorized": True,
            "context": {
                "tenant_id": claims.tenant_id,
                "scope": "member",
                "key_id": f"token:{claims.key_id}",
                "member_id": claims.member_id,
                "expires_at": claims.expires_at,
            },
        }
    key = authenticate(default_context(), authorization, get_settings().operator_key_sha256)
    if key is None:
        return {"isAuthorized": True, "context": {}}
    return {
        "isAuthorized": True,
        "context": {"tenant_id": key.tenant_id, "scope": key.scope, "key_id": key.key_id},
    }
