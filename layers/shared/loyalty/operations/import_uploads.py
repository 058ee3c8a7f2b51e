"""Large import files through a presigned S3 upload: `presign_upload` answers a PUT URL for the
import's object (`imports/{tenant}/{import_id}.{format}` in the export bucket), and
`start_uploaded_import` reads that object (up to `MAX_UPLOAD_BYTES`) and starts the import exactly
as an inline file does: the file's bytes are its fingerprint, so the same file replays and another
file under the id is 409."""

from __future__ import annotations

from datetime import timedelta

from loyalty.errors import ImportFileError
from loyalty.models.imports import UploadResponse
from loyalty.operations.context import Context, Outcome, Principal
from loyalty.operations.imports import ImportOptions, Imports, start_import
from loyalty.store.import_files import UploadTooLarge, upload_key

MAX_UPLOAD_BYTES = 100 * 1024 * 1024
URL_SECONDS = 3600


def presign_upload(
    context: Context, imports: Imports, principal: Principal, import_id: str, file_format: str
) -> Outcome:
    context.programs.get(principal.tenant_id)  # the tenant exists
    key = upload_key(principal.tenant_id, import_id, file_format)
    body = UploadResponse(
        import_id=import_id,
        format=file_format,
        upload_url=imports.files.upload_url(key, URL_SECONDS),
        expires_at=context.clock() + timedelta(seconds=URL_SECONDS),
        max_bytes=MAX_UPLOAD_BYTES,
        start=f"PUT /v1/imports/{import_id}?from_upload=true&format={file_format}",
    )
    return Outcome(201, body.model_dump(mode="json"))


def start_uploaded_import(
    context: Context,
    imports: Imports,
    principal: Principal,
    import_id: str,
    options: ImportOptions,
) -> Outcome:
    file_format = options.file_format
    key = upload_key(principal.tenant_id, import_id, file_format)
    try:
        content = imports.files.read(key, MAX_UPLOAD_BYTES)
    except UploadTooLarge as error:
        raise ImportFileError(
            f"the uploaded file is {error.size} bytes, over the {MAX_UPLOAD_BYTES} byte limit: "
            "split it into several imports"
        ) from None
    if content is None:
        raise ImportFileError(
            f"no {file_format} file was uploaded for import {import_id!r} "
            f"(POST /v1/imports/{import_id}/upload, then PUT the file to its upload_url)"
        )
    return start_import(context, imports, principal, import_id, content, options)
