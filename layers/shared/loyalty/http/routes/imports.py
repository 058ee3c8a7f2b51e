"""Imports and bulk adjustments (admin): send a file under the caller's id (inline, or a large one
through a presigned upload), follow the job, undo it."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from loyalty.consumers.imports import default_imports
from loyalty.errors import ImportMediaTypeError
from loyalty.http.auth import require
from loyalty.http.paging import Cursor, Limit
from loyalty.http.resolver import BODY_LIMIT_EXTENSION, respond
from loyalty.http.routes.docs import documented, responses
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

router = Router()
ImportId = Annotated[str, Path(pattern=ID_PATTERN)]
MAX_FILE_BYTES = 4 * 1024 * 1024  # under Lambda's 6 MB request payload, with room for base64
FORMATS = {
    "text/csv": "csv",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/x-jsonlines": "jsonl",
}


def _with_file_limit(metadata: dict) -> dict:  # type: ignore[type-arg]
    metadata["openapi_extensions"] = {**metadata["openapi_extensions"], BODY_LIMIT_EXTENSION: MAX_FILE_BYTES}
    return metadata


@router.put(
    "/v1/imports/<import_id>",
    **_with_file_limit(
        documented(
            "admin",
            "Start an import or a bulk adjustment",
            "The body is the file: `text/csv` with a header row, or JSON Lines (`application/x-ndjson`), "
            "up to 4 MiB. Columns `member_id, points, expires_on?, earned_on?, name?, email?, phone?, "
            "birthday?, reason?, tier_id?, tier_ends_on?` (a tier only for a member the import enrols). "
            "`kind=import` (the default) credits points (a member not enrolled yet is "
            "enrolled, without the signup bonus); `kind=adjustment` moves signed points on existing members "
            "and needs a `reason`. `dry_run=true` reads the whole file and answers its counts and refused "
            "rows (200), changing nothing. Exactly-once on `import_id`: the same file again answers the same "
            "job; another file under the same id is 409. A larger file (up to 100 MiB): "
            "`POST /v1/imports/{import_id}/upload`, PUT the file to the presigned URL, then this "
            "request with `from_upload=true&format=csv|jsonl` and no body. See docs/data.md.",
        )
    ),
    responses=responses(202, ImportStartedResponse, 409, 415),
    tags=["imports"],
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


@router.post(
    "/v1/imports/<import_id>/upload",
    **documented(
        "admin",
        "Upload a large import file",
        "For a file over the inline 4 MiB: answers a presigned S3 `PUT` URL (valid an hour) for the "
        "import's file, up to 100 MiB and 200,000 rows. PUT the file's bytes to `upload_url`, then start "
        "the import with `PUT /v1/imports/{import_id}?from_upload=true&format=csv|jsonl` (the same "
        "`kind`, `reason`, `dry_run` options; the uploaded file's bytes decide replay or 409 as an inline "
        "file's do). The uploaded object is deleted after a day.",
    ),
    responses=responses(201, UploadResponse, 404),
    tags=["imports"],
)
def upload_import(import_id: ImportId, body: UploadRequest) -> Response[str]:
    principal = require(router, "admin")
    return respond(
        import_uploads.presign_upload(default_context(), default_imports(), principal, import_id, body.format)
    )


@router.get(
    "/v1/imports/<import_id>",
    **documented(
        "admin",
        "Read an import",
        "The job's status (`queued`, `running`, `done`, `failed`, `reverting`, `reverted`), its row counts "
        "(`total`, `imported`, `failed`) and the refused rows by line with their reason.",
    ),
    responses=responses(200, ImportResponse, 404),
    tags=["imports"],
)
def read_import(import_id: ImportId) -> Response[str]:
    principal = require(router, "admin")
    return respond(imports.read_import(default_context(), default_imports(), principal.tenant_id, import_id))


@router.get(
    "/v1/imports",
    **documented(
        "admin", "List imports", "The tenant's imports and bulk adjustments, by id, a page at a time."
    ),
    responses=responses(200, ImportPage),
    tags=["imports"],
)
def list_imports(limit: Limit = DEFAULT_PAGE, cursor: Cursor = None) -> Response[str]:
    principal = require(router, "admin")
    return respond(
        imports.list_imports(default_context(), default_imports(), principal.tenant_id, limit, cursor)
    )


@router.post(
    "/v1/imports/<import_id>/revert",
    **documented(
        "admin",
        "Revert an import",
        "Takes back every row the import (or bulk adjustment) applied: credits are debited (as debt where "
        "the points are already spent), deductions given back. Once: a second call answers the same. "
        "Audited. 409 while the import is still running.",
    ),
    responses=responses(202, ImportStartedResponse, 404, 409),
    tags=["imports"],
)
def revert_import(import_id: ImportId) -> Response[str]:
    principal = require(router, "admin")
    return respond(imports.start_revert(default_context(), default_imports(), principal, import_id))
