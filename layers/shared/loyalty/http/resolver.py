"""Builds the powertools HTTP API resolver every HTTP function uses: validation, OpenAPI, limits."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty.errors import ForbiddenError
from loyalty.http import problems
from loyalty.http.auth import MEMBER_ROUTES_ONLY, UNAUTHORIZED, principal_from
from loyalty.operations.context import Outcome

MAX_BODY_BYTES = 256 * 1024


# Routes API Gateway serves without the authorizer (template.yaml says Authorizer: NONE).
PUBLIC_ROUTES = frozenset({"GET /v1/health", "GET /v1/openapi.json"})


class LoyaltyResolver(APIGatewayHttpResolver):
    """Refuses, before routing, what must not reach request validation: powertools validates the
    body before any user middleware runs, so an unknown key would hear 422 instead of 401, a body
    that is not UTF-8 would fail inside the validator (a 500), and parsing a huge body is the very
    cost the size limit exists to avoid."""

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        refused = _refusal(event)
        if refused is not None:
            return {
                "statusCode": refused.status_code,
                "headers": {"Content-Type": problems.PROBLEM_JSON},
                "body": refused.body,
                "isBase64Encoded": False,
            }
        return super().resolve(event, context)


def _refusal(event: Mapping[str, Any]) -> Response[str] | None:
    body = event.get("body") or ""
    raw = body.encode()
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
        except binascii.Error:
            return problems.problem(400, "malformed-body", "Malformed body", "the body is not valid base64")
    if len(raw) > MAX_BODY_BYTES:
        detail = f"bodies are limited to {MAX_BODY_BYTES} bytes"
        return problems.problem(413, "payload-too-large", "Request body too large", detail)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return problems.problem(400, "malformed-json", "Malformed JSON", "the request body is not UTF-8 JSON")
    route_key = str(event.get("routeKey") or "")
    if route_key not in PUBLIC_ROUTES:
        authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
        principal = principal_from(authorizer.get("lambda"))
        if principal is None:
            return problems.problem(401, "unauthorized", "Missing or unknown API key", UNAUTHORIZED)
        # A member token reaches the member's own routes only, and those take nothing else: refused
        # here, before any path or body validation, like every scope check.
        if (principal.scope == "member") != is_member_route(route_key):
            return problems.problem(403, ForbiddenError.problem, ForbiddenError.title, MEMBER_ROUTES_ONLY)
    return None


def is_member_route(route_key: str) -> bool:
    path = route_key.partition(" ")[2]
    return path == "/v1/me" or path.startswith("/v1/me/")


def build_resolver(*routers: Router) -> APIGatewayHttpResolver:
    app = LoyaltyResolver(enable_validation=True)
    problems.register(app)
    for router in routers:
        app.include_router(router)
    return app


def respond(outcome: Outcome) -> Response[str]:
    if outcome.status == 204:
        return Response(status_code=204, body="")
    return Response(
        status_code=outcome.status, content_type="application/json", body=json.dumps(outcome.body)
    )
