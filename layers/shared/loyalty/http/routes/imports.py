"""Imports and bulk adjustments (admin): send a file under the caller's id (inline, or a large one
through a presigned upload), follow the job, undo it."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from loyalty.consumers.imports import default_imports
from loyalty.errors import ImportMediaTypeError
from loyalty.http.auth import require
from loyalty.http.paging import Cursor, Limit
from loyalty.http.resolver import respond
from loyalty.http.routes.docs import responses, routes
from loyalty.models.common import ID_PATTERN
from loyalty.models.imports import (
    ImportFormat,
    ImportPage,
    ImportResponse,
    ImportStartedResponse,
    UploadRequest,
    UploadResponse,
)
from loyalty.operations import import_uploads, imports
from loyalty.operations.context import default_context
from loyalty.operations.paging import DEFAULT_PAGE

router, route = routes(tags=["imports"])
ImportId = Annotated[str, Path(pattern=ID_PATTERN)]
MAX_FILE_BYTES = 4 * 1024 * 1024  # under Lambda's 6 MB request payload, with room for base64
FORMATS = {
    "text/csv": "csv",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/x-jsonlines": "jsonl",
}


@route(
    "PUT",
    "/v1/imports/<import_id>",
    "admin",
    responses(202, ImportStartedResponse, 409, 415),
    body_limit=MAX_FILE_BYTES,
)
def start_import(
    import_id: ImportId,
    kind: Annotated[Literal["import", "adjustment"], Query()] = "import",
    reason: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    dry_run: Annotated[bool, Query()] = False,
    from_upload: Annotated[bool, Query()] = False,
    format: Annotated[ImportFormat, Query()] = "csv",
) -> Response[str]:
    principal = require(router, "admin")
    if from_upload:
        uploaded = imports.ImportOptions(format, kind, reason, dry_run)
        outcome = import_uploads.start_uploaded_import(
            default_context(), default_imports(), principal, import_id, uploaded
        )
        return respond(outcome)
    event = router.current_event
    content_type = (event.headers.get("content-type") or event.headers.get("Content-Type") or "").lower()
    file_format = FORMATS.get(content_type.split(";", 1)[0].strip())
    if file_format is None:
        raise ImportMediaTypeError(
            "send the file as text/csv or application/x-ndjson "
            f"(this request sent {content_type or 'none'!r})"
        )
    content = (event.decoded_body or "").encode()
    options = imports.ImportOptions(file_format, kind, reason, dry_run)  # the format: its content type
    outcome = imports.start_import(
        default_context(), default_imports(), principal, import_id, content, options
    )
    return respond(outcome)


@route("POST", "/v1/imports/<import_id>/upload", "admin", responses(201, UploadResponse, 404))
def upload_import(import_id: ImportId, body: UploadRequest) -> Response[str]:
    principal = require(router, "admin")
    return respond(
        import_uploads.presign_upload(default_context(), default_imports(), principal, import_id, body.format)
    )


@route("GET", "/v1/imports/<import_id>", "admin", responses(200, ImportResponse, 404))
def read_import(import_id: ImportId) -> Response[str]:
    principal = require(router, "admin")
    return respond(imports.read_import(default_context(), default_imports(), principal.tenant_id, import_id))


@route("GET", "/v1/imports", "admin", responses(200, ImportPage))
def list_imports(limit: Limit = DEFAULT_PAGE, cursor: Cursor = None) -> Response[str]:
    principal = require(router, "admin")
    return respond(
        imports.list_imports(default_context(), default_imports(), principal.tenant_id, limit, cursor)
    )


@route("POST", "/v1/imports/<import_id>/revert", "admin", responses(202, ImportStartedResponse, 404, 409))
def revert_import(import_id: ImportId) -> Response[str]:
    principal = require(router, "admin")
    return respond(imports.start_revert(default_context(), default_imports(), principal, import_id))
