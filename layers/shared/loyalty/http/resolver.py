"""Builds the powertools HTTP API resolver every HTTP function uses: validation, OpenAPI, limits."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty.http import problems
from loyalty.operations.context import Outcome

MAX_BODY_BYTES = 256 * 1024


class LoyaltyResolver(APIGatewayHttpResolver):
    """Refuses oversized bodies before routing: powertools runs request validation before any
    user middleware, and parsing a huge body is the cost the limit exists to avoid."""

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        body = event.get("body") or ""
        size = len(body) * 3 // 4 if event.get("isBase64Encoded") else len(body.encode())
        if size > MAX_BODY_BYTES:
            detail = f"bodies are limited to {MAX_BODY_BYTES} bytes"
            refused = problems.problem(413, "payload-too-large", "Request body too large", detail)
            return {
                "statusCode": 413,
                "headers": {"Content-Type": problems.PROBLEM_JSON},
                "body": refused.body,
                "isBase64Encoded": False,
            }
        return super().resolve(event, context)


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
