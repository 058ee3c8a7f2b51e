"""The one mapping from exceptions to RFC 9457 problem+json responses."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from loyalty.errors import LoyaltyError, TransientError
from loyalty.observability import logger

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://loyalty.dev/problems/"


def problem(status: int, problem_type: str, title: str, detail: str, **extra: Any) -> Response[str]:
    body = {"type": PROBLEM_BASE + problem_type, "title": title, "status": status, "detail": detail, **extra}
    return Response(status_code=status, content_type=PROBLEM_JSON, body=json.dumps(body))


def validation_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    return [
        {
            "loc": [
                part for part in error.get("loc", ()) if part != "body" or len(error.get("loc", ())) == 1
            ],
            "msg": str(error.get("msg", "invalid")),
            "type": str(error.get("type", "invalid")),
        }
        for error in errors
    ]


def register(app: APIGatewayHttpResolver) -> None:
    # Registered one by one, and the validation handler explicitly: a catch-all Exception handler
    # would otherwise swallow RequestValidationError (powertools #3841).
    @app.exception_handler(RequestValidationError)
    def _invalid(error: RequestValidationError) -> Response[str]:
        errors = validation_errors(error.errors())
        if any(item["type"] == "json_invalid" for item in errors):
            return problem(400, "malformed-json", "Malformed JSON", "the request body is not valid JSON")
        return problem(
            422, "validation-error", "Invalid request", "the request does not match the schema", errors=errors
        )

    @app.exception_handler(LoyaltyError)
    def _business(error: LoyaltyError) -> Response[str]:
        return problem(error.status, error.problem, error.title, error.detail)

    @app.exception_handler(TransientError)
    def _transient(error: TransientError) -> Response[str]:
        logger.warning("transient failure", extra={"error": str(error)})
        response = problem(503, "try-again", "Temporarily unavailable", "please retry the same request")
        response.headers["Retry-After"] = "1"
        return response

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response[str]:
        logger.exception("unhandled error")
        return problem(500, "internal-error", "Internal error", "an unexpected error occurred; it was logged")

    @app.not_found
    def _not_found(error: Exception) -> Response[str]:
        return problem(404, "not-found", "Not found", "no such route")
