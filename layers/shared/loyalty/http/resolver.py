"""Builds the powertools HTTP API resolver every HTTP function uses: validation, OpenAPI, limits."""

from __future__ import annotations

import json
from collections.abc import Callable

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from loyalty.http import problems
from loyalty.operations.context import Outcome

MAX_BODY_BYTES = 256 * 1024


def _limit_body(app: APIGatewayHttpResolver, next_middleware: Callable[..., Response[str]]) -> Response[str]:
    body = app.current_event.body or ""
    size = len(body.encode()) if not app.current_event.is_base64_encoded else len(body) * 3 // 4
    if size > MAX_BODY_BYTES:
        return problems.problem(
            413,
            "payload-too-large",
            "Request body too large",
            f"bodies are limited to {MAX_BODY_BYTES} bytes",
        )
    return next_middleware(app)


def build_resolver(*routers: Router) -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver(enable_validation=True)
    problems.register(app)
    app.use(middlewares=[_limit_body])
    for router in routers:
        app.include_router(router)
    app.configure_openapi(
        title="Loyalty API",
        version="1.0.0",
        description="Points and membership tiers for shops: see the public contract (API.md).",
        security_schemes={"bearer": HTTPBearer(description="API key")},
        security=[{"bearer": []}],
    )
    return app


def respond(outcome: Outcome) -> Response[str]:
    if outcome.status == 204:
        return Response(status_code=204, body="")
    return Response(
        status_code=outcome.status, content_type="application/json", body=json.dumps(outcome.body)
    )
