"""The program document: publish a new version (admin), read past versions (server)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header, Path

from loyalty.domain.publishing import etag
from loyalty.http.auth import require
from loyalty.http.resolver import respond
from loyalty.http.routes.docs import responses, routes
from loyalty.models.program import Program
from loyalty.operations import programs
from loyalty.operations.context import default_context

router, route = routes(tags=["program"])


@route("PUT", "/v1/program", "admin", responses(200, Program, 409, 412))
def publish_program(
    body: Program,
    if_match: Annotated[
        str | None,
        Header(max_length=500, description='The ETag of the version edited (GET\'s), e.g. "3"; stale: 412'),
    ] = None,
) -> Response[str]:
    principal = require(router, "admin")
    outcome = programs.publish_program(default_context(), principal, body, if_match)
    return respond(outcome, {"ETag": etag(outcome.body["version"])})


@route("GET", "/v1/program/versions/<version>", "server", responses(200, Program, 404))
def read_program_version(version: Annotated[int, Path(ge=1, le=999_999)]) -> Response[str]:
    principal = require(router, "server")
    return respond(programs.read_program(default_context(), principal.tenant_id, version))
