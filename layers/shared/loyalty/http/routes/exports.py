"""Exports (admin): start one under the caller's id, then read its status and download URL."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from loyalty.consumers.exports import default_exports
from loyalty.http.auth import require
from loyalty.http.paging import Cursor, Limit
from loyalty.http.resolver import respond
from loyalty.http.routes.docs import responses, routes
from loyalty.models.common import ID_PATTERN
from loyalty.models.exports import ExportRequest, ExportResponse, ExportsPage, ExportStartedResponse
from loyalty.operations import exports
from loyalty.operations.context import default_context
from loyalty.operations.paging import DEFAULT_PAGE

router, route = routes(tags=["exports"])
ExportId = Annotated[str, Path(pattern=ID_PATTERN)]


@route("PUT", "/v1/exports/<export_id>", "admin", responses(202, ExportStartedResponse, 409))
def start_export(export_id: ExportId, body: ExportRequest) -> Response[str]:
    principal = require(router, "admin")
    return respond(
        exports.start_export(default_context(), default_exports(), principal.tenant_id, export_id, body)
    )


@route("GET", "/v1/exports/<export_id>", "admin", responses(200, ExportResponse, 404))
def read_export(export_id: ExportId) -> Response[str]:
    principal = require(router, "admin")
    return respond(exports.read_export(default_context(), default_exports(), principal.tenant_id, export_id))


@route("GET", "/v1/exports", "admin", responses(200, ExportsPage))
def list_exports(limit: Limit = DEFAULT_PAGE, cursor: Cursor = None) -> Response[str]:
    principal = require(router, "admin")
    context, tenant_id = default_context(), principal.tenant_id
    return respond(exports.list_exports(context, default_exports(), tenant_id, limit, cursor))
