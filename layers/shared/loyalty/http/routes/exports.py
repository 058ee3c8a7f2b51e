"""Exports (admin): start one under the caller's id, then read its status and download URL."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from loyalty.consumers.exports import default_exports
from loyalty.http.auth import require
from loyalty.http.paging import Cursor, Limit
from loyalty.http.resolver import respond
from loyalty.http.routes.docs import documented, responses
from loyalty.models.common import ID_PATTERN
from loyalty.models.exports import ExportRequest, ExportResponse, ExportsPage, ExportStartedResponse
from loyalty.operations import exports
from loyalty.operations.context import default_context
from loyalty.operations.paging import DEFAULT_PAGE

router = Router()
ExportId = Annotated[str, Path(pattern=ID_PATTERN)]


@router.put(
    "/v1/exports/<export_id>",
    **documented(
        "admin",
        "Start an export",
        "Starts an export of the tenant's members (balances as the member view shows them, tier, "
        "profile) or of its ledger in a window of program-local days, as CSV or JSON Lines. "
        "Exactly-once on `export_id`: the same request again answers the same job; another request "
        "with the same id is 409.",
    ),
    responses=responses(202, ExportStartedResponse, 409),
    tags=["exports"],
)
def start_export(export_id: ExportId, body: ExportRequest) -> Response[str]:
    principal = require(router, "admin")
    return respond(
        exports.start_export(default_context(), default_exports(), principal.tenant_id, export_id, body)
    )


@router.get(
    "/v1/exports/<export_id>",
    **documented(
        "admin",
        "Read an export",
        "The export's status and progress and, once done, a presigned download URL and when it stops "
        "working.",
    ),
    responses=responses(200, ExportResponse, 404),
    tags=["exports"],
)
def read_export(export_id: ExportId) -> Response[str]:
    principal = require(router, "admin")
    return respond(exports.read_export(default_context(), default_exports(), principal.tenant_id, export_id))


@router.get(
    "/v1/exports",
    **documented(
        "admin",
        "List exports",
        "The tenant's exports, newest first, a page at a time (`limit`, `cursor`), each as `GET "
        "/v1/exports/{export_id}` shows it: status, progress and, once done, a fresh download URL.",
    ),
    responses=responses(200, ExportsPage),
    tags=["exports"],
)
def list_exports(limit: Limit = DEFAULT_PAGE, cursor: Cursor = None) -> Response[str]:
    principal = require(router, "admin")
    context, tenant_id = default_context(), principal.tenant_id
    return respond(exports.list_exports(context, default_exports(), tenant_id, limit, cursor))
