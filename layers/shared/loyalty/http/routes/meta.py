"""Health, the published program, and the OpenAPI document of the whole API."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from loyalty.domain.publishing import etag
from loyalty.http.auth import require
from loyalty.http.resolver import respond
from loyalty.http.routes.docs import responses, routes
from loyalty.models.api import HealthResponse
from loyalty.models.program import Program
from loyalty.operations import programs
from loyalty.operations.context import Outcome, default_context

router, route = routes(tags=["meta"])


@route("GET", "/v1/health", "public", responses(200, HealthResponse, 503))
def health() -> Response[str]:
    default_context().tenants.ping()
    return respond(Outcome(200, {"status": "ok"}))


@route("GET", "/v1/program", "server", responses(200, Program, 404), tags=["program"])
def read_program() -> Response[str]:
    principal = require(router, "server")
    program = programs.current_program(default_context(), principal.tenant_id)
    return respond(Outcome(200, program.model_dump(mode="json")), {"ETag": etag(program.version)})


@route("GET", "/v1/openapi.json", "public", include_in_schema=False)
def openapi_document() -> Response[str]:
    # Imported here: the full document needs every router, which only this route uses.
    from loyalty.http.openapi import openapi_json

    return Response(status_code=200, content_type="application/json", body=openapi_json())
