"""Builds the powertools HTTP API resolver every HTTP function uses: validation, OpenAPI, limits."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from functools import cached_property
from typing import Any, Literal, cast

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import Route, Router
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty.errors import ForbiddenError
from loyalty.http import problems
from loyalty.http.auth import ALLOWED, MEMBER_ROUTES_ONLY, UNAUTHORIZED, principal_from
from loyalty.operations.context import Outcome, Scope

MAX_BODY_BYTES = 256 * 1024
# A route taking a file (an import) states its own, larger limit (`routes/docs.py: operation`, `body_limit`).
BODY_LIMIT_EXTENSION = "x-max-body-bytes"

# The key scope a route needs, declared once on the route (`openapi_extensions`, see
# `routes/docs.py: operation`), published in the OpenAPI document and checked here.
SCOPE_EXTENSION = "x-key-scope"
Access = Scope | Literal["public"]
PUBLIC: Access = "public"
# API Gateway's catch-all route: whatever matches no route of the API (template.yaml).
DEFAULT_ROUTE = "$default"
JSON = "application/json"


class LoyaltyResolver(APIGatewayHttpResolver):
    """Refuses, before routing, what must not reach request validation: powertools validates the
    body before any user middleware runs, so an unknown key would hear 422 instead of 401, a key
    without the route's scope 422 instead of 403, a body that is not UTF-8 or not JSON would fail
    inside the validator (a 500), and parsing a huge body is the very cost the size limit exists
    to avoid."""

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        route = self._route_by_key.get(str(event.get("routeKey") or ""))
        limit = (route.openapi_extensions or {}).get(BODY_LIMIT_EXTENSION) if route is not None else None
        refused = _transport_refusal(event, int(limit or MAX_BODY_BYTES)) or self._route_refusal(event)
        if refused is not None:
            return {
                "statusCode": refused.status_code,
                "headers": {**refused.headers, "Content-Type": problems.PROBLEM_JSON},
                "body": refused.body,
                "isBase64Encoded": False,
            }
        return super().resolve(event, context)

    def routes(self) -> list[Route]:
        return self._static_routes + self._dynamic_routes

    def _route_refusal(self, event: Mapping[str, Any]) -> Response[str] | None:
        route_key = str(event.get("routeKey") or "")
        if route_key == DEFAULT_ROUTE:
            return unrouted(
                str(event.get("requestContext", {}).get("http", {}).get("method", "")), _path(event)
            )
        route = self._route_by_key.get(route_key)
        access = _access(route) if route is not None else None
        if access != PUBLIC:
            authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
            principal = principal_from(authorizer.get("lambda"))
            if principal is None:
                return problems.problem(401, "unauthorized", "Missing or unknown API key", UNAUTHORIZED)
            # A member token reaches the member's own routes only, and those take nothing else.
            if (principal.scope == "member") != is_member_route(route_key):
                return problems.problem(
                    ForbiddenError.status, ForbiddenError.problem, ForbiddenError.title, MEMBER_ROUTES_ONLY
                )
            if access is not None and principal.scope not in ALLOWED[cast(Scope, access)]:
                detail = f"this call needs a key with the {access!r} scope"
                return problems.problem(
                    ForbiddenError.status, ForbiddenError.problem, ForbiddenError.title, detail
                )
        if route is not None and _takes_body(route):
            return _media_type_refusal(event)
        return None

    @cached_property
    def _route_by_key(self) -> dict[str, Route]:
        # API Gateway's routeKey ("POST /v1/members/{member_id}/holds") names the matched route.
        return {f"{route.method} {route.openapi_path}": route for route in self.routes()}


def _access(route: Route) -> Access | None:
    value = (route.openapi_extensions or {}).get(SCOPE_EXTENSION)
    return value if value in (PUBLIC, *ALLOWED) else None


def _path(event: Mapping[str, Any]) -> str:
    return str(event.get("rawPath") or "/")


def _takes_body(route: Route) -> bool:
    """A route with a body model (a body sent to any other route is ignored, as powertools does)."""
    return route.body_field is not None


def _media_type_refusal(event: Mapping[str, Any]) -> Response[str] | None:
    headers = {str(name).lower(): str(value) for name, value in (event.get("headers") or {}).items()}
    content_type = headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == JSON or (not media_type and not event.get("body")):
        return None
    sent = f"'{content_type}'" if content_type else "no Content-Type"
    detail = f"send the body as JSON with 'Content-Type: {JSON}' (this request sent {sent})"
    return problems.problem(415, "unsupported-media-type", "Unsupported media type", detail)


def unrouted(method: str, path: str) -> Response[str]:
    """404 for a path no route of the API serves, 405 (with Allow) for a method it does not."""
    from loyalty.http.openapi import full_api  # every router: only this rare answer needs them

    allowed = sorted({route.method for route in full_api().routes() if route.rule.match(path)})
    if not allowed:
        return problems.problem(404, "not-found", "Not found", f"no route serves {path}")
    response = problems.problem(
        405, "method-not-allowed", "Method not allowed", f"{path} answers {', '.join(allowed)}, not {method}"
    )
    response.headers["Allow"] = ", ".join(allowed)
    return response


def _transport_refusal(event: Mapping[str, Any], limit: int = MAX_BODY_BYTES) -> Response[str] | None:
    body = event.get("body") or ""
    raw = body.encode()
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
        except binascii.Error:
            return problems.problem(400, "malformed-body", "Malformed body", "the body is not valid base64")
    if len(raw) > limit:
        detail = f"bodies are limited to {limit} bytes"
        return problems.problem(413, "payload-too-large", "Request body too large", detail)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return problems.problem(400, "malformed-json", "Malformed JSON", "the request body is not UTF-8 JSON")
    return None


def is_member_route(route_key: str) -> bool:
    path = route_key.partition(" ")[2]
    return path == "/v1/me" or path.startswith("/v1/me/")


def build_resolver(*routers: Router) -> LoyaltyResolver:
    app = LoyaltyResolver(enable_validation=True)
    problems.register(app)
    for router in routers:
        app.include_router(router)
    return app


def respond(outcome: Outcome, headers: Mapping[str, str] | None = None) -> Response[str]:
    if outcome.status == 204:
        return Response(status_code=204, body="", headers=dict(headers or {}))
    return Response(
        status_code=outcome.status,
        content_type="application/json",
        body=json.dumps(outcome.body),
        headers=dict(headers or {}),
    )
